import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { V1Deployment, V1PersistentVolumeClaim, V1StatefulSet } from '@kubernetes/client-node';
import { loadBase } from '../../../src/actors/deploy/loadBase.js';
import { CONFIG_HASH_ANNOTATION, LABELS, NAMES } from '../../../src/actors/deploy/names.js';
import { nodeReplicas, planDeploy, withNodeReplicas } from '../../../src/actors/deploy/plan.js';
import { PLACEHOLDER_IMAGE, podTemplate, render } from '../../../src/actors/deploy/render.js';
import type { KubeObject } from '../../../src/actors/deploy/kubeObject.js';
import { tempDir } from '../../helpers/tables.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
const base = loadBase();
const readText = (path: string) => readFileSync(path, 'utf8');
const get = <T>(objects: KubeObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as unknown as T;

describe('render', () => {
  it('applies namespace, labels, image, replicas, storage and config without touching the base', () => {
    const before = JSON.stringify(base);
    const objects = render(base, {
      namespace: 'fraud',
      labels: { [LABELS.instance]: 'payments', [LABELS.managedBy]: 'tributary' },
      image: 'my.registry/tributary:1.2.3',
      replicas: 5,
      storageClass: 'nfs',
      storageSize: '100Gi',
      accessMode: 'ReadWriteOnce',
      config: { text: 'name: payments\n', hash: 'abc123' },
    });
    expect(JSON.stringify(base)).toBe(before);
    for (const o of objects) {
      expect(o.metadata.namespace).toBe('fraud');
      expect(o.metadata.labels).toMatchObject({ [LABELS.instance]: 'payments', [LABELS.managedBy]: 'tributary', [LABELS.partOf]: 'tributary' });
    }
    const sts = get<V1StatefulSet>(objects, 'StatefulSet', NAMES.nodes);
    const deployment = get<V1Deployment>(objects, 'Deployment', NAMES.coordinator);
    expect(sts.spec!.replicas).toBe(5);
    for (const w of [sts, deployment]) {
      expect(w.spec!.template.metadata!.labels).toMatchObject({ [LABELS.instance]: 'payments' });
      expect(w.spec!.template.metadata!.annotations).toEqual({ [CONFIG_HASH_ANNOTATION]: 'abc123' });
      expect(w.spec!.template.spec!.containers.map((c) => c.image)).toEqual(['my.registry/tributary:1.2.3']);
      // Selectors are immutable: labels added later must never reach them.
      expect(w.spec!.selector.matchLabels).not.toHaveProperty(LABELS.instance);
    }
    expect(get<{ data: unknown }>(objects, 'ConfigMap', NAMES.configMap).data).toEqual({ [NAMES.configKey]: 'name: payments\n' });
    const pvc = get<V1PersistentVolumeClaim>(objects, 'PersistentVolumeClaim', NAMES.data);
    expect(pvc.spec).toMatchObject({ storageClassName: 'nfs', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } });
  });

  it('orders objects for apply: identities and config first, policies before workloads, nodes last', () => {
    const kinds = render(base).map((o) => o.kind);
    expect(kinds.indexOf('NetworkPolicy')).toBeLessThan(kinds.indexOf('Deployment'));
    expect(kinds.lastIndexOf('ServiceAccount')).toBeLessThan(kinds.indexOf('ConfigMap'));
    expect(kinds[kinds.length - 1]).toBe('StatefulSet');
  });

  it('refuses bad options with messages that name them', () => {
    expect(() => render(base, { namespace: 'Bad_NS' })).toThrow(/namespace "Bad_NS"/);
    expect(() => render(base, { replicas: -1 })).toThrow(/replicas/);
    expect(() => render(base, { replicas: 1.5 })).toThrow(/replicas/);
    expect(() => render(base, { image: 'has space' })).toThrow(/image/);
    expect(() => render(base, { storageSize: 'lots' })).toThrow(/storage size "lots"/);
    expect(() => render(base, { labels: { [LABELS.instance]: 'x'.repeat(64) } })).toThrow(/label/);
    expect(() => render(base, { config: { text: 'x'.repeat(1024 * 1024), hash: 'h' } })).toThrow(/1 MiB/);
  });

  it('podTemplate finds the templates of workloads only', () => {
    const objects = render(base);
    expect(objects.filter((o) => podTemplate(o) !== undefined).map((o) => o.kind).sort()).toEqual(['Deployment', 'StatefulSet']);
  });
});

describe('loadBase', () => {
  const copy = (name: string) => {
    const dir = join(tmp.dir, name);
    cpSync(resolve('deploy/k8s'), dir, { recursive: true });
    return dir;
  };

  it('reads the base as kubectl would: YAML 1.1, generated ConfigMaps keyed by file name', () => {
    expect(base.configMaps).toHaveLength(1);
    expect(base.configMaps[0]!.name).toBe(NAMES.configMap);
    expect(Object.keys(base.configMaps[0]!.data)).toEqual([NAMES.configKey]);
    const dir = copy('octal');
    writeFileSync(join(dir, 'serviceaccounts.yaml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: a, annotations: { mode: "x" } }\nautomountServiceAccountToken: off\n');
    const sa = loadBase(dir).resources.find((o) => o.kind === 'ServiceAccount')!;
    expect(sa.automountServiceAccountToken).toBe(false); // `off` is false in YAML 1.1
  });

  it('supports key=path in configMapGenerator files', () => {
    const dir = copy('keyed');
    writeFileSync(join(dir, 'other.yaml'), 'name: other\n');
    const k = join(dir, 'kustomization.yaml');
    writeFileSync(k, readText(join(dir, 'kustomization.yaml')).replace('- feature-set.yaml', '- feature-set.yaml=other.yaml'));
    expect(loadBase(dir).configMaps[0]!.data).toEqual({ 'feature-set.yaml': 'name: other\n' });
  });

  it('refuses kustomize features it does not implement, rather than render something else', () => {
    const dir = copy('unsupported');
    const k = join(dir, 'kustomization.yaml');
    const original = readText(join(dir, 'kustomization.yaml'));
    writeFileSync(k, `${original}\nnamePrefix: prod-\n`);
    expect(() => loadBase(dir)).toThrow(/"namePrefix" is not supported/);
    writeFileSync(k, original.replace('disableNameSuffixHash: true', 'disableNameSuffixHash: false'));
    expect(() => loadBase(dir)).toThrow(/disableNameSuffixHash: true/);
    writeFileSync(k, original.replace('  - name: tributary-config\n', '  - name: tributary-config\n    behavior: merge\n'));
    expect(() => loadBase(dir)).toThrow(/behavior is not supported/);
    writeFileSync(k, original.replace('  - serviceaccounts.yaml\n', '  - nope.yaml\n'));
    expect(() => loadBase(dir)).toThrow(/nope\.yaml/);
  });
});

describe('planDeploy', () => {
  it('validates the config, renders it into the ConfigMap with its hash, and labels everything with its name', () => {
    const plan = planDeploy({ configFile: 'configs/payments.yaml', namespace: 'fraud', image: 'img:1', replicas: 3 });
    expect(plan.config.name).toBe('payments');
    const cm = get<{ data: Record<string, string> }>(plan.objects, 'ConfigMap', NAMES.configMap);
    expect(cm.data[NAMES.configKey]).toBe(readText('configs/payments.yaml'));
    const sts = get<V1StatefulSet>(plan.objects, 'StatefulSet', NAMES.nodes);
    expect(sts.spec!.template.metadata!.annotations![CONFIG_HASH_ANNOTATION]).toBe(plan.config.hash);
    expect(plan.objects.every((o) => o.metadata.labels?.[LABELS.instance] === 'payments' && o.metadata.labels?.[LABELS.managedBy] === 'tributary')).toBe(true);
    expect(nodeReplicas(plan.objects)).toBe(3);
    // The example configs read local sample files: say that pods cannot.
    expect(plan.warnings.join('\n')).toMatch(/name local files/);
  });

  it('refuses the placeholder image unless asked to render only', () => {
    expect(() => planDeploy({ configFile: 'configs/payments.yaml', namespace: 'x' })).toThrow(/give --image/);
    const plan = planDeploy({ configFile: 'configs/payments.yaml', namespace: 'x', allowPlaceholderImage: true });
    expect(podTemplate(get(plan.objects, 'StatefulSet', NAMES.nodes))!.spec!.containers[0]!.image).toBe(PLACEHOLDER_IMAGE);
  });

  it('refuses an invalid config before rendering anything', () => {
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nsources: {}\nfeatures: [{ name: f, source: nope, op: summ }]\n');
    expect(() => planDeploy({ configFile: bad, namespace: 'x', image: 'i' })).toThrow();
  });

  it('warns when there are more nodes than key groups', () => {
    const small = join(tmp.dir, 'small.yaml');
    writeFileSync(small, readText('deploy/k8s/feature-set.yaml').replace('name: example', 'name: small\nkey_groups: 2'));
    const plan = planDeploy({ configFile: small, namespace: 'x', image: 'i', replicas: 3 });
    expect(plan.warnings).toContain('3 nodes but 2 key groups: 1 nodes will own nothing (raise key_groups in the config)');
  });

  it('withNodeReplicas changes only the node StatefulSet, on a copy', () => {
    const objects = render(base);
    const changed = withNodeReplicas(objects, 7);
    expect(nodeReplicas(changed)).toBe(7);
    expect(nodeReplicas(objects)).toBe(2);
    expect(changed.filter((o, i) => o !== objects[i]).map((o) => o.kind)).toEqual(['StatefulSet']);
  });
});
