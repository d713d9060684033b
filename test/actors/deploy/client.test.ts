import { AppsV1Api, CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyObjects } from '../../../src/actors/deploy/apply.js';
import { readExisting } from '../../../src/actors/deploy/existing.js';
import { toClientModel } from '../../../src/actors/deploy/clientModel.js';
import { connect } from '../../../src/actors/deploy/kubeClient.js';
import type { KubeObject } from '../../../src/actors/deploy/kubeObject.js';
import { LABELS, MANAGED_BY, managedSelector, NAMES } from '../../../src/actors/deploy/names.js';
import { planDeploy } from '../../../src/actors/deploy/plan.js';
import { scaleNodes } from '../../../src/actors/deploy/scale.js';
import { readStatus } from '../../../src/actors/deploy/status.js';
import { teardown } from '../../../src/actors/deploy/teardown.js';
import { FakeKubeApi } from './fixtures/fakeKubeApi.js';

const NS = 'fraud';
const fake = new FakeKubeApi();
let objectApi: KubernetesObjectApi;
let apps: AppsV1Api;
let core: CoreV1Api;
let plan: ReturnType<typeof planDeploy>;

beforeAll(async () => {
  await fake.start();
  const k = connect({ kubeconfig: fake.kubeconfig(), namespace: NS });
  objectApi = KubernetesObjectApi.makeApiClient(k.config);
  apps = k.config.makeApiClient(AppsV1Api);
  core = k.config.makeApiClient(CoreV1Api);
  plan = planDeploy({ configFile: 'configs/payments.yaml', namespace: NS, image: 'my.registry/tributary:1.0', replicas: 2 });
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.objects.clear();
  fake.clear();
});

const PATHS: Record<string, string> = {
  ServiceAccount: `/api/v1/namespaces/${NS}/serviceaccounts`,
  ConfigMap: `/api/v1/namespaces/${NS}/configmaps`,
  PersistentVolumeClaim: `/api/v1/namespaces/${NS}/persistentvolumeclaims`,
  Service: `/api/v1/namespaces/${NS}/services`,
  NetworkPolicy: `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`,
  Deployment: `/apis/apps/v1/namespaces/${NS}/deployments`,
  StatefulSet: `/apis/apps/v1/namespaces/${NS}/statefulsets`,
};
const pathOf = (o: KubeObject) => `${PATHS[o.kind]}/${o.metadata.name}`;

describe('applyObjects (server-side apply)', () => {
  it('PATCHes each object at its path, as apply-patch+yaml with field manager tributary and force, over TLS with the token', async () => {
    const applied = await applyObjects(objectApi, plan.objects);
    expect(applied).toEqual(plan.objects.map((o) => `${o.kind}/${o.metadata.name}`));
    const patches = fake.calls();
    expect(patches.map((r) => `${r.method} ${r.path}`)).toEqual(plan.objects.map((o) => `PATCH ${pathOf(o)}`));
    for (const r of patches) {
      expect(r.contentType).toBe('application/apply-patch+yaml');
      expect(r.query).toEqual({ fieldManager: 'tributary', force: 'true' });
    }
    expect(fake.requests.every((r) => r.authorization === 'Bearer test-token')).toBe(true);
  });

  it('sends every object exactly as rendered: no field dropped, renamed or added', async () => {
    await applyObjects(objectApi, plan.objects);
    const bodies = fake.calls().map((r) => r.body);
    expect(bodies).toEqual(JSON.parse(JSON.stringify(plan.objects)));
  });

  it('keeps NetworkPolicy `from` rules, which the client drops from plain JSON', async () => {
    await applyObjects(objectApi, plan.objects);
    const policy = fake.calls().find((r) => r.path.endsWith(`/networkpolicies/${NAMES.nodes}`))!.body as { spec: { ingress: { from?: unknown[] }[] } };
    expect(policy.spec.ingress.map((rule) => rule.from?.length)).toEqual([2, 1]);

    // The bug it guards against, shown with the client itself: plain JSON loses `from`, so the rule admits everyone.
    fake.clear();
    const raw = plan.objects.find((o) => o.kind === 'NetworkPolicy')!;
    await objectApi.patch(structuredClone(raw), undefined, undefined, 'test', true, 'application/apply-patch+yaml');
    const dropped = fake.calls()[0]!.body as { spec: { ingress: { from?: unknown[] }[] } };
    expect(dropped.spec.ingress.every((rule) => rule.from === undefined)).toBe(true);
    // ...and toClientModel is what makes it survive.
    expect(JSON.parse(JSON.stringify(toClientModel(raw)))).not.toEqual(raw);
  });

  it('server-side dry run adds dryRun=All', async () => {
    await applyObjects(objectApi, plan.objects.slice(0, 1), { dryRun: true });
    expect(fake.calls()[0]!.query).toEqual({ fieldManager: 'tributary', force: 'true', dryRun: 'All' });
  });

  it('refuses, before any request, an object with a field Kubernetes does not know', async () => {
    const bad = structuredClone(plan.objects);
    (bad.find((o) => o.kind === 'Service')!.spec as Record<string, unknown>).selectr = {};
    await expect(applyObjects(objectApi, bad)).rejects.toThrow(/spec\.selectr: not a field of V1ServiceSpec/);
    expect(fake.calls()).toEqual([]);
  });

  it("reports the API server's own message when it refuses", async () => {
    fake.failNext((r) => r.method === 'PATCH' && r.path.includes('/statefulsets/'), 403, 'statefulsets.apps "tributary-node" is forbidden: User "dev" cannot patch resource "statefulsets"');
    await expect(applyObjects(objectApi, plan.objects)).rejects.toThrow(
      'apply StatefulSet/tributary-node in fraud: HTTP 403: statefulsets.apps "tributary-node" is forbidden: User "dev" cannot patch resource "statefulsets"',
    );
  });

  it('hints at a missing namespace when apply gets a 404', async () => {
    fake.failNext((r) => r.method === 'PATCH', 404, 'namespaces "fraud" not found');
    await expect(applyObjects(objectApi, plan.objects)).rejects.toThrow(
      'apply ServiceAccount/tributary-node in fraud: HTTP 404: namespaces "fraud" not found (does namespace fraud exist? kubectl create namespace fraud)',
    );
  });
});

describe('readExisting', () => {
  it('is undefined when nothing is deployed, else the instance and replicas of the node StatefulSet', async () => {
    expect(await readExisting(objectApi, NS)).toBeUndefined();
    expect(fake.calls().map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${PATHS.StatefulSet}/${NAMES.nodes}`]);
    await applyObjects(objectApi, plan.objects);
    expect(await readExisting(objectApi, NS)).toEqual({ instance: 'payments', replicas: 2 });
  });
});

describe('scaleNodes', () => {
  it('reads and merge-patches the scale subresource, touching nothing else', async () => {
    await applyObjects(objectApi, plan.objects);
    fake.clear();
    expect(await scaleNodes(apps, NS, 5)).toEqual({ from: 2, to: 5 });
    const calls = fake.calls();
    expect(calls.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${PATHS.StatefulSet}/${NAMES.nodes}/scale`, `PATCH ${PATHS.StatefulSet}/${NAMES.nodes}/scale`]);
    expect(calls[1]!.contentType).toBe('application/merge-patch+json');
    expect(calls[1]!.body).toEqual({ spec: { replicas: 5 } });
    expect(calls[1]!.query).toEqual({ fieldManager: 'tributary' });
    expect(fake.get('/apis/apps/v1', NS, 'statefulsets', NAMES.nodes)!.spec!.replicas).toBe(5);
  });

  it('says to deploy first when there is nothing to scale, and refuses bad counts without a request', async () => {
    await expect(scaleNodes(apps, NS, 3)).rejects.toThrow(/nothing to scale: no StatefulSet\/tributary-node in namespace fraud/);
    fake.clear();
    await expect(scaleNodes(apps, NS, -1)).rejects.toThrow(/whole number/);
    expect(fake.calls()).toEqual([]);
  });
});

describe('readStatus', () => {
  it('reads the StatefulSet, the Deployment and the pods by label', async () => {
    await applyObjects(objectApi, plan.objects);
    const sts = fake.get('/apis/apps/v1', NS, 'statefulsets', NAMES.nodes)!;
    sts.status = { readyReplicas: 1, updatedReplicas: 2, replicas: 2 };
    const pod = (name: string, component: string, ready: boolean, extra: Record<string, unknown> = {}) =>
      fake.put('/api/v1', 'pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: NS, labels: { [LABELS.partOf]: 'tributary', [LABELS.component]: component } },
        spec: { nodeName: 'machine-1', containers: [{ name: component, image: 'i' }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [{ name: component, image: 'i', imageID: '', ready, restartCount: ready ? 0 : 3, ...extra }] },
      });
    pod('tributary-node-1', 'node', false, { state: { waiting: { reason: 'CrashLoopBackOff' } } });
    pod('tributary-node-0', 'node', true);
    pod('tributary-coordinator-abc', 'coordinator', true);
    fake.put('/api/v1', 'pods', { metadata: { name: 'unrelated', namespace: NS, labels: { app: 'other' } } });
    fake.clear();

    const s = await readStatus(apps, core, NS);
    expect(fake.calls().map((r) => `${r.method} ${r.path}${r.query.labelSelector ? `?${r.query.labelSelector}` : ''}`).sort()).toEqual(
      [`GET ${PATHS.StatefulSet}/${NAMES.nodes}`, `GET ${PATHS.Deployment}/${NAMES.coordinator}`, `GET /api/v1/namespaces/${NS}/pods?${LABELS.partOf}=tributary`].sort(),
    );
    expect(s).toMatchObject({ namespace: NS, instance: 'payments', configHash: plan.config.hash, nodes: { desired: 2, ready: 1, updated: 2 }, coordinator: { desired: 1, ready: 0, updated: 0 } });
    expect(s.pods).toEqual([
      { name: 'tributary-coordinator-abc', component: 'coordinator', phase: 'Running', ready: true, restarts: 0, node: 'machine-1' },
      { name: 'tributary-node-0', component: 'node', phase: 'Running', ready: true, restarts: 0, node: 'machine-1' },
      { name: 'tributary-node-1', component: 'node', phase: 'Running', ready: false, restarts: 3, node: 'machine-1', reason: 'CrashLoopBackOff' },
    ]);
  });

  it('is empty, not an error, when nothing is deployed', async () => {
    expect(await readStatus(apps, core, NS)).toEqual({ namespace: NS, pods: [] });
  });
});

describe('teardown', () => {
  it('lists each kind by the managed-by selector and deletes what it finds, keeping the data volume', async () => {
    await applyObjects(objectApi, plan.objects);
    // Someone else's objects in the same namespace are not ours to delete.
    fake.put('/api/v1', 'configmaps', { metadata: { name: 'theirs', namespace: NS, labels: { [LABELS.partOf]: 'tributary' } } });
    fake.clear();

    const r = await teardown(objectApi, NS);
    const lists = fake.calls().filter((c) => c.method === 'GET');
    expect(lists.every((c) => c.query.labelSelector === managedSelector())).toBe(true);
    expect(managedSelector()).toBe(`${LABELS.partOf}=tributary,${LABELS.managedBy}=${MANAGED_BY}`);
    const deletes = fake.calls().filter((c) => c.method === 'DELETE');
    expect(deletes.every((c) => c.query.propagationPolicy === 'Background')).toBe(true);
    expect(deletes.map((c) => c.path)).toEqual(r.deleted.map((ref) => `${PATHS[ref.split('/')[0]!]}/${ref.split('/')[1]}`));
    // Workloads first, NetworkPolicies last.
    expect(r.deleted[0]).toBe('StatefulSet/tributary-node');
    expect(r.deleted[1]).toBe('Deployment/tributary-coordinator');
    expect(r.deleted.slice(-2)).toEqual(['NetworkPolicy/tributary-coordinator', 'NetworkPolicy/tributary-node']);
    expect(r.deleted).toHaveLength(plan.objects.length - 1);
    expect(r.kept).toEqual(['PersistentVolumeClaim/tributary-data']);
    expect([...fake.objects.keys()].sort()).toEqual([`/api/v1/${NS}/configmaps/theirs`, `/api/v1/${NS}/persistentvolumeclaims/${NAMES.data}`]);
  });

  it('deletes the data volume only when asked; a dry run deletes nothing', async () => {
    await applyObjects(objectApi, plan.objects);
    fake.clear();
    const dry = await teardown(objectApi, NS, { deleteData: true, dryRun: true });
    expect(dry.deleted).toContain('PersistentVolumeClaim/tributary-data');
    expect(fake.calls().filter((c) => c.method === 'DELETE')).toEqual([]);
    const r = await teardown(objectApi, NS, { deleteData: true });
    expect(r.kept).toEqual([]);
    expect(fake.objects.size).toBe(0);
  });

  it('treats an object that vanished between list and delete as deleted', async () => {
    await applyObjects(objectApi, plan.objects);
    fake.failNext((c) => c.method === 'DELETE' && c.path.endsWith('/deployments/tributary-coordinator'), 404, 'deployments.apps "tributary-coordinator" not found');
    const r = await teardown(objectApi, NS);
    expect(r.deleted).toContain('Deployment/tributary-coordinator');
  });
});
