import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as apps from 'kubernetes-models/apps/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as core from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { V1Container, V1Deployment, V1LabelSelector, V1PersistentVolumeClaim, V1PodSpec, V1Service, V1ServiceAccount, V1StatefulSet } from '@kubernetes/client-node';
import { DEFAULT_BASE_DIR, loadBase } from '../../src/actors/deploy/loadBase.js';
import { HEALTH_PATHS, POD_PATHS, PORTS, PORT_NAMES } from '../../src/actors/deploy/ports.js';
import { NAMES, selectorLabels } from '../../src/actors/deploy/names.js';
import { PLACEHOLDER_IMAGE, render } from '../../src/actors/deploy/render.js';
import { unknownFields } from '../../src/actors/deploy/unknownFields.js';
import type { KubeObject } from '../../src/actors/deploy/kubeObject.js';
import { loadConfig } from '../../src/sdk/config/loadConfig.js';

const BASE = resolve('deploy/k8s');
const base = loadBase(BASE);
const objects = render(base);

/** Every YAML document in deploy/k8s, parsed with the yaml package as is (not through loadBase). */
const rawDocuments = readdirSync(BASE)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'feature-set.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(BASE, f), 'utf8')).map((d, i) => ({ file: f, index: i, errors: d.errors, value: d.toJS() as KubeObject })));

/** The kubernetes-models class of each kind we ship (Kubernetes 1.27 OpenAPI schemas, as JSON-schema validators). */
type ModelClass = { apiVersion: string; new (data: never): { validate(): void } };
const MODELS: Record<string, ModelClass> = {
  ServiceAccount: core.ServiceAccount as unknown as ModelClass,
  ConfigMap: core.ConfigMap as unknown as ModelClass,
  PersistentVolumeClaim: core.PersistentVolumeClaim as unknown as ModelClass,
  Service: core.Service as unknown as ModelClass,
  Deployment: apps.Deployment as unknown as ModelClass,
  StatefulSet: apps.StatefulSet as unknown as ModelClass,
  NetworkPolicy: networking.NetworkPolicy as unknown as ModelClass,
};

const find = <T>(kind: string, name: string): T => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`no ${kind}/${name} in the base`);
  return o as unknown as T;
};
const sts = find<V1StatefulSet>('StatefulSet', NAMES.nodes);
const coordinator = find<V1Deployment>('Deployment', NAMES.coordinator);
const workloads = [
  { name: 'node', spec: sts.spec!.template.spec!, labels: sts.spec!.template.metadata!.labels!, selector: sts.spec!.selector },
  { name: 'coordinator', spec: coordinator.spec!.template.spec!, labels: coordinator.spec!.template.metadata!.labels!, selector: coordinator.spec!.selector },
];
const containers = (): { workload: string; c: V1Container; pod: V1PodSpec }[] => workloads.flatMap((w) => w.spec.containers.map((c) => ({ workload: w.name, c, pod: w.spec })));

/** A NetworkPolicy as JSON (the client's V1NetworkPolicy calls `from` `_from`, so it cannot describe the manifest). */
interface V1NetworkPolicy {
  spec?: {
    podSelector: V1LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: { podSelector?: V1LabelSelector; namespaceSelector?: V1LabelSelector; ipBlock?: unknown }[]; ports?: { port?: number | string; protocol?: string }[] }[];
  };
}

function matches(selector: { matchLabels?: Record<string, string> } | Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const wanted = (selector as { matchLabels?: Record<string, string> })?.matchLabels ?? (selector as Record<string, string>) ?? {};
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

/** A container port number by its name, as Kubernetes resolves a named targetPort or probe port. */
function portNumber(c: V1Container, port: number | string): number | undefined {
  return typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;
}

describe('deploy/k8s manifests', () => {
  it('parse as YAML, and each document is a Kubernetes object', () => {
    expect(rawDocuments).toHaveLength(9); // plus the generated ConfigMap
    for (const d of rawDocuments) {
      expect(d.errors, `${d.file}[${d.index}]`).toEqual([]);
      expect(typeof d.value.apiVersion, `${d.file}[${d.index}]`).toBe('string');
      expect(typeof d.value.kind).toBe('string');
      expect(typeof d.value.metadata.name).toBe('string');
    }
  });

  it('the kustomization lists every manifest file, and nothing else', () => {
    const listed = new Set(rawDocuments.map((d) => d.file));
    const text = readFileSync(join(BASE, 'kustomization.yaml'), 'utf8');
    for (const f of listed) expect(text).toContain(`- ${f}`);
    expect(base.resources).toHaveLength(rawDocuments.length);
    expect(DEFAULT_BASE_DIR).toBe(BASE);
  });

  it('every object validates against the Kubernetes schemas (kubernetes-models)', () => {
    for (const o of objects) {
      const Model = MODELS[o.kind];
      expect(Model, `a model for ${o.kind}`).toBeDefined();
      expect(o.apiVersion).toBe(Model!.apiVersion);
      expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  it('the schema check is not vacuous: it rejects a broken StatefulSet', () => {
    const broken = structuredClone(sts) as unknown as { spec: { replicas: unknown; template: { spec: { containers: { name?: string }[] } } } };
    broken.spec.replicas = 'two';
    delete broken.spec.template.spec.containers[0]!.name;
    expect(() => new apps.StatefulSet(broken as never).validate()).toThrow(/replicas must be integer|required property/);
  });

  it('no object has a field Kubernetes does not know (which the client would silently drop)', () => {
    for (const o of objects) expect(unknownFields(o)).toEqual([]);
    const typo = structuredClone(sts) as unknown as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    typo.spec.template.spec.containers[0]!.readinesProbe = {};
    expect(unknownFields(typo as unknown as KubeObject)).toEqual(['StatefulSet/tributary-node spec.template.spec.containers[0].readinesProbe: not a field of V1Container']);
  });

  it('kinds and names are the documented ones, and the base renders as `kubectl kustomize` would', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ConfigMap/tributary-config',
        'Deployment/tributary-coordinator',
        'NetworkPolicy/tributary-coordinator',
        'NetworkPolicy/tributary-node',
        'PersistentVolumeClaim/tributary-data',
        'Service/tributary-coordinator',
        'Service/tributary-node',
        'ServiceAccount/tributary-coordinator',
        'ServiceAccount/tributary-node',
        'StatefulSet/tributary-node',
      ].sort(),
    );
  });
});

describe('labels and selectors', () => {
  it('each workload selects its own pod template, and nothing else', () => {
    for (const w of workloads) {
      expect(matches(w.selector, w.labels), w.name).toBe(true);
      expect(w.selector.matchLabels).toEqual(selectorLabels(w.name as 'node' | 'coordinator'));
    }
    const [node, coord] = workloads;
    expect(matches(node!.selector, coord!.labels)).toBe(false);
    expect(matches(coord!.selector, node!.labels)).toBe(false);
  });

  it('the headless Service is the StatefulSet serviceName, selects the nodes and targets their named ports', () => {
    const svc = find<V1Service>('Service', sts.spec!.serviceName!);
    expect(svc.spec!.clusterIP).toBe('None');
    expect(svc.spec!.publishNotReadyAddresses).toBe(true);
    expect(matches(svc.spec!.selector, workloads[0]!.labels)).toBe(true);
    expect(matches(svc.spec!.selector, workloads[1]!.labels)).toBe(false);
    const node = sts.spec!.template.spec!.containers[0]!;
    expect(svc.spec!.ports!.map((p) => [p.name, p.port, portNumber(node, p.targetPort as string)])).toEqual([
      [PORT_NAMES.data, PORTS.data, PORTS.data],
      [PORT_NAMES.online, PORTS.online, PORTS.online],
    ]);
  });

  it('the coordinator Service selects the coordinator, on the control and sink ports the nodes dial', () => {
    const svc = find<V1Service>('Service', NAMES.coordinator);
    expect(matches(svc.spec!.selector, workloads[1]!.labels)).toBe(true);
    expect(matches(svc.spec!.selector, workloads[0]!.labels)).toBe(false);
    const c = coordinator.spec!.template.spec!.containers[0]!;
    expect(svc.spec!.ports!.map((p) => [p.port, portNumber(c, p.targetPort as string)])).toEqual([
      [PORTS.control, PORTS.control],
      [PORTS.sink, PORTS.sink],
    ]);
    const nodeArgs = sts.spec!.template.spec!.containers[0]!.args!;
    expect(nodeArgs[nodeArgs.indexOf('--coordinator') + 1]).toBe(`tcp://${NAMES.coordinator}:${PORTS.control}`);
    const coordArgs = c.args!;
    expect(coordArgs[coordArgs.indexOf('--bind') + 1]).toBe(`tcp://0.0.0.0:${PORTS.control}`);
  });

  it('NetworkPolicies: nodes admit peers and the coordinator on data, the namespace on online; the coordinator admits nodes on control and sink', () => {
    const [node, coord] = workloads;
    const nodePolicy = find<V1NetworkPolicy>('NetworkPolicy', NAMES.nodes);
    expect(matches(nodePolicy.spec!.podSelector, node!.labels)).toBe(true);
    expect(matches(nodePolicy.spec!.podSelector, coord!.labels)).toBe(false);
    expect(nodePolicy.spec!.policyTypes).toEqual(['Ingress']);
    const [shuffle, online] = nodePolicy.spec!.ingress!;
    const peers = shuffle!.from!.map((f) => f.podSelector!);
    expect(peers.some((s) => matches(s, node!.labels))).toBe(true);
    expect(peers.some((s) => matches(s, coord!.labels))).toBe(true);
    expect(peers.every((s) => Object.keys(s.matchLabels ?? {}).length > 0)).toBe(true); // nobody else
    expect(shuffle!.from!.every((f) => f.namespaceSelector === undefined && f.ipBlock === undefined)).toBe(true);
    expect(shuffle!.ports!.map((p) => p.port)).toEqual([PORTS.data]);
    expect(online!.from).toEqual([{ podSelector: {} }]); // this namespace only
    expect(online!.ports!.map((p) => p.port)).toEqual([PORTS.online]);
    expect(nodePolicy.spec!.ingress).toHaveLength(2);

    const coordPolicy = find<V1NetworkPolicy>('NetworkPolicy', NAMES.coordinator);
    expect(matches(coordPolicy.spec!.podSelector, coord!.labels)).toBe(true);
    expect(coordPolicy.spec!.ingress).toHaveLength(1);
    const rule = coordPolicy.spec!.ingress![0]!;
    expect(rule.from!.map((f) => matches(f.podSelector, node!.labels))).toEqual([true]);
    expect(rule.ports!.map((p) => p.port)).toEqual([PORTS.control, PORTS.sink]);
  });

  it('the ports the policies open are ports the selected containers listen on', () => {
    const node = sts.spec!.template.spec!.containers[0]!;
    const coord = coordinator.spec!.template.spec!.containers[0]!;
    const listens = (c: V1Container) => (c.ports ?? []).map((p) => p.containerPort);
    for (const rule of find<V1NetworkPolicy>('NetworkPolicy', NAMES.nodes).spec!.ingress!) for (const p of rule.ports!) expect(listens(node)).toContain(p.port);
    for (const rule of find<V1NetworkPolicy>('NetworkPolicy', NAMES.coordinator).spec!.ingress!) for (const p of rule.ports!) expect(listens(coord)).toContain(p.port);
  });
});

describe('containers', () => {
  it('probes hit the documented health port and paths', () => {
    for (const { workload, c } of containers()) {
      const health = c.ports!.find((p) => p.name === PORT_NAMES.health);
      expect(health?.containerPort, workload).toBe(PORTS.health);
      for (const [probe, path] of [
        [c.startupProbe, HEALTH_PATHS.live],
        [c.livenessProbe, HEALTH_PATHS.live],
        [c.readinessProbe, HEALTH_PATHS.ready],
      ] as const) {
        expect(probe?.httpGet?.path, workload).toBe(path);
        expect(portNumber(c, probe!.httpGet!.port as string | number), workload).toBe(PORTS.health);
      }
      expect(c.args![c.args!.indexOf('--health-port') + 1]).toBe(String(PORTS.health));
    }
  });

  it('every container has cpu and memory requests and limits, requests within limits', () => {
    const quantity = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : q.endsWith('Gi') ? Number(q.slice(0, -2)) * 1024 : q.endsWith('Mi') ? Number(q.slice(0, -2)) : Number(q));
    for (const { workload, c } of containers()) {
      for (const r of ['cpu', 'memory']) {
        const req = c.resources?.requests?.[r];
        const lim = c.resources?.limits?.[r];
        expect(req, `${workload} ${r} request`).toBeDefined();
        expect(lim, `${workload} ${r} limit`).toBeDefined();
        expect(quantity(req!)).toBeLessThanOrEqual(quantity(lim!));
      }
    }
  });

  it('run unprivileged, read-only, with the placeholder image and the documented paths', () => {
    for (const { workload, c, pod } of containers()) {
      expect(c.image, workload).toBe(PLACEHOLDER_IMAGE);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
      expect(mounts.config).toBe(POD_PATHS.configDir);
      expect(mounts.data).toBe(POD_PATHS.dataDir);
      expect(mounts.tmp).toBe('/tmp');
      expect(c.args![1]).toBe(POD_PATHS.configFile);
      expect(c.args![c.args!.indexOf('--data-dir') + 1]).toBe(POD_PATHS.dataDir);
      const volumes = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
      expect(volumes.config?.configMap?.name).toBe(NAMES.configMap);
      expect(volumes.data?.persistentVolumeClaim?.claimName).toBe(NAMES.data);
    }
    const node = sts.spec!.template.spec!;
    expect(node.volumes!.find((v) => v.name === 'curve')?.secret).toMatchObject({ secretName: NAMES.curveSecret, optional: true });
  });

  it('the ConfigMap holds the feature-set YAML under the key the pods read, and it is a valid config', () => {
    const cm = find<{ data: Record<string, string> }>('ConfigMap', NAMES.configMap);
    expect(Object.keys(cm.data)).toEqual([NAMES.configKey]);
    expect(POD_PATHS.configFile).toBe(`${POD_PATHS.configDir}/${NAMES.configKey}`);
    expect(loadConfig(join(BASE, 'feature-set.yaml')).name).toBe('example');
  });

  it('the data volume is shared (one claim, ReadWriteMany) and named by both workloads', () => {
    const pvc = find<V1PersistentVolumeClaim>('PersistentVolumeClaim', NAMES.data);
    expect(pvc.spec!.accessModes).toEqual(['ReadWriteMany']);
    expect(pvc.spec!.resources!.requests!.storage).toBe('20Gi');
    expect(sts.spec!.volumeClaimTemplates).toBeUndefined();
  });
});

describe('least privilege', () => {
  it('each workload has its own ServiceAccount, with no token mounted and no role bound', () => {
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount') as unknown as V1ServiceAccount[];
    expect(accounts.map((a) => a.metadata!.name).sort()).toEqual([NAMES.coordinator, NAMES.nodes]);
    for (const a of accounts) expect(a.automountServiceAccountToken).toBe(false);
    expect(workloads.map((w) => w.spec.serviceAccountName)).toEqual([NAMES.nodes, NAMES.coordinator]);
    for (const w of workloads) expect(w.spec.automountServiceAccountToken).toBe(false);
    expect(objects.filter((o) => /Role|Binding/.test(o.kind))).toEqual([]);
  });

  it('one coordinator, replaced by stopping the old one first', () => {
    expect(coordinator.spec!.replicas).toBe(1);
    expect(coordinator.spec!.strategy?.type).toBe('Recreate');
  });
});

describe('docs/operations.md', () => {
  const doc = readFileSync('docs/operations.md', 'utf8');
  it('documents the ports, paths and names the manifests use', () => {
    for (const port of Object.values(PORTS)) expect(doc).toContain(String(port));
    for (const path of [...Object.values(HEALTH_PATHS), ...Object.values(POD_PATHS)]) expect(doc).toContain(path);
    for (const name of [NAMES.nodes, NAMES.coordinator, NAMES.configMap, NAMES.data, NAMES.curveSecret]) expect(doc).toContain(name);
    expect(doc).toContain(PLACEHOLDER_IMAGE);
  });
});

// kubectl embeds kustomize; where it is installed, check that our TypeScript rendering of the base
// is exactly what kustomize renders. Where it is not, say so instead of passing silently.
const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('kustomize', () => {
  it.skipIf(!kubectl)('render(loadBase()) equals `kubectl kustomize deploy/k8s` (skipped when kubectl is not installed)', () => {
    const text = execFileSync('kubectl', ['kustomize', BASE], { encoding: 'utf8' });
    const theirs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
    const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
    const byKey = (list: KubeObject[]) => Object.fromEntries(list.map((o) => [key(o), o]));
    expect(byKey(objects)).toEqual(byKey(theirs));
  });
});
