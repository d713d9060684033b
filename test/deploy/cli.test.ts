import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { deployCommand } from '../../src/cli/commands/deploy.js';
import { scaleCommand } from '../../src/cli/commands/scale.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import { teardownCommand } from '../../src/cli/commands/teardown.js';
import { NAMES } from '../../src/actors/deploy/names.js';
import { FakeKubeApi } from '../actors/deploy/fixtures/fakeKubeApi.js';
import { tempDir } from '../helpers/tables.js';

const fake = new FakeKubeApi();
const tmp = tempDir();
let kubeconfig: string;
beforeAll(async () => {
  await fake.start();
  kubeconfig = fake.kubeconfig();
});
afterAll(async () => {
  await fake.stop();
  tmp.remove();
});
beforeEach(() => {
  fake.objects.clear();
  fake.clear();
});

/**
 * The commands wired exactly as the doc comments of src/cli/commands/{deploy,scale,status,teardown}.ts
 * tell main.ts to wire them, so the flag names (--storage-class → storageClass, -n, --dry-run <mode>)
 * are tested as a user types them.
 */
async function tributary(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const out = (l: string) => lines.push(l);
  let code = 0;
  const run = (action: () => Promise<number>) => async () => {
    code = await action();
  };
  const program = new Command('tributary').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  const kube = (c: Command) =>
    c
      .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context (default the current one)')
      .option('-n, --namespace <ns>', "namespace (default the context's, or default)");
  kube(
    program
      .command('deploy')
      .argument('<config>', 'feature-set YAML')
      .option('--image <ref>', 'container image (required: the base names a placeholder)')
      .option('--replicas <n>', 'actor nodes (default: keep the current number, or 2)')
      .option('--storage-class <name>', 'storage class of the data volume (default: the cluster default)')
      .option('--storage-size <quantity>', 'size of the data volume (default 20Gi)')
      .option('--access-mode <mode>', 'ReadWriteMany (default) or ReadWriteOnce (single-machine clusters)')
      .option('--dry-run <mode>', 'client: print the manifests; server: validate on the API server, change nothing'),
  ).action((file: string, flags) => run(() => deployCommand(file, flags, out))());
  kube(program.command('scale').argument('<replicas>', 'number of actor nodes')).action((replicas: string, flags) => run(() => scaleCommand(replicas, flags, out))());
  kube(program.command('status').option('--json', 'print as JSON')).action((flags) => run(() => statusCommand(flags, out))());
  kube(program.command('teardown').option('--delete-data', 'also delete the data volume').option('--yes', 'confirm --delete-data').option('--dry-run', 'list what would be deleted')).action((flags) =>
    run(() => teardownCommand(flags, out))(),
  );
  try {
    await program.parseAsync(['node', 'tributary', ...args]);
  } catch (e) {
    lines.push(`error: ${(e as Error).message}`);
    code = 1;
  }
  return { code, out: lines.join('\n') };
}

describe('tributary deploy | scale | status | teardown', () => {
  it('deploy → scale → deploy again (keeps the scale) → status → teardown', async () => {
    const k = ['--kubeconfig', kubeconfig, '-n', 'fraud'];
    const deployed = await tributary('deploy', 'configs/payments.yaml', '--image', 'my.registry/tributary:1.0', '--storage-class', 'nfs', ...k);
    expect(deployed.code).toBe(0);
    expect(deployed.out).toMatch(/^deploying payments \(config [0-9a-f]{12}\) to namespace fraud, context fake \(https:\/\/127\.0\.0\.1:\d+\)/);
    expect(deployed.out).toContain('applied StatefulSet/tributary-node');
    expect(deployed.out).toContain('2 actor nodes, 128 key groups');
    expect(fake.get('/api/v1', 'fraud', 'persistentvolumeclaims', NAMES.data)!.spec!.storageClassName).toBe('nfs');

    expect(await tributary('scale', '4', ...k)).toEqual({ code: 0, out: 'scaled tributary-node in fraud: 2 → 4 nodes' });
    expect(await tributary('scale', '4', ...k)).toEqual({ code: 0, out: 'tributary-node in fraud already has 4 nodes' });

    // Deploying again without --replicas must not undo the scale.
    const again = await tributary('deploy', 'configs/payments.yaml', '--image', 'my.registry/tributary:1.1', ...k);
    expect(again.out).toContain('4 actor nodes (kept from the running deployment; --replicas to change)');
    const sts = fake.get('/apis/apps/v1', 'fraud', 'statefulsets', NAMES.nodes)!;
    expect(sts.spec!.replicas).toBe(4);

    const status = await tributary('status', ...k);
    expect(status.code).toBe(0);
    expect(status.out).toContain('namespace fraud: feature set payments, config ');
    expect(status.out).toContain('nodes        0/4 ready, 0 updated');
    const json = JSON.parse((await tributary('status', '--json', ...k)).out) as { instance: string; nodes: { desired: number } };
    expect(json).toMatchObject({ instance: 'payments', nodes: { desired: 4 } });

    const down = await tributary('teardown', ...k);
    expect(down.code).toBe(0);
    expect(down.out).toContain('deleted StatefulSet/tributary-node');
    expect(down.out).toContain('kept PersistentVolumeClaim/tributary-data');
    expect(down.out).toContain('torn down namespace fraud');
    expect(await tributary('status', ...k)).toMatchObject({ code: 1, out: 'nothing deployed in namespace fraud (context fake)' });
  });

  it('deploy --dry-run client prints the manifests without a cluster or a kubeconfig', async () => {
    const r = await tributary('deploy', 'configs/payments.yaml', '--dry-run', 'client', '-n', 'fraud', '--replicas', '3', '--kubeconfig', join(tmp.dir, 'does-not-exist'));
    expect(r.code).toBe(0);
    expect(fake.requests).toEqual([]);
    const docs = parseAllDocuments(r.out).map((d) => d.toJS() as { kind: string; metadata: { namespace: string }; spec?: { replicas?: number } });
    expect(docs).toHaveLength(10);
    expect(docs.every((d) => d.metadata.namespace === 'fraud')).toBe(true);
    expect(docs.find((d) => d.kind === 'StatefulSet')!.spec!.replicas).toBe(3);
    expect(r.out).toMatch(/^# warning: /m);
  });

  it('deploy --dry-run server asks the API server to validate only', async () => {
    const r = await tributary('deploy', 'configs/payments.yaml', '--image', 'i:1', '--dry-run', 'server', '--kubeconfig', kubeconfig, '-n', 'fraud');
    expect(r.out).toContain('server dry run');
    expect(fake.calls().filter((c) => c.method === 'PATCH').every((c) => c.query.dryRun === 'All')).toBe(true);
  });

  it('the namespace comes from --namespace, else the context', async () => {
    await tributary('deploy', 'configs/payments.yaml', '--image', 'i:1', '--kubeconfig', kubeconfig, '--context', 'other');
    expect(fake.get('/apis/apps/v1', 'from-context', 'statefulsets', NAMES.nodes)).toBeDefined();
  });

  it('refuses to replace another feature set deployed in the namespace', async () => {
    const k = ['--kubeconfig', kubeconfig, '-n', 'shared'];
    expect((await tributary('deploy', 'configs/payments.yaml', '--image', 'i:1', ...k)).code).toBe(0);
    const r = await tributary('deploy', 'configs/market.yaml', '--image', 'i:1', ...k);
    expect(r.code).toBe(1);
    expect(r.out).toContain('namespace shared already runs feature set "payments"');
  });

  it('refuses bad flags before touching the cluster', async () => {
    const k = ['--kubeconfig', kubeconfig, '-n', 'fraud'];
    expect((await tributary('deploy', 'configs/payments.yaml', ...k)).out).toMatch(/give --image/);
    expect((await tributary('deploy', 'configs/payments.yaml', '--image', 'i', '--replicas', 'many', ...k)).out).toMatch(/--replicas must be a whole number/);
    expect((await tributary('deploy', 'configs/payments.yaml', '--image', 'i', '--access-mode', 'RWX', ...k)).out).toMatch(/--access-mode must be/);
    expect((await tributary('deploy', 'configs/payments.yaml', '--dry-run', 'yes', ...k)).out).toMatch(/--dry-run must be client or server/);
    expect((await tributary('scale', 'lots', ...k)).out).toMatch(/replicas must be a whole number/);
    expect((await tributary('teardown', '--delete-data', ...k)).out).toMatch(/add --yes/);
    expect(fake.calls()).toEqual([]);
  });

  it('teardown with nothing deployed says so', async () => {
    expect(await tributary('teardown', '--kubeconfig', kubeconfig, '-n', 'empty')).toEqual({ code: 0, out: 'nothing deployed by tributary in namespace empty (context fake)' });
  });

  it('a config that does not validate is never deployed', async () => {
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nsources: {}\nfeatures: [{ name: f, source: nope, op: sum }]\n');
    const r = await tributary('deploy', bad, '--image', 'i', '--kubeconfig', kubeconfig, '-n', 'x');
    expect(r.code).toBe(1);
    expect(fake.calls().filter((c) => c.method === 'PATCH')).toEqual([]);
  });
});
