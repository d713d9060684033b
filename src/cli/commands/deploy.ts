import { stringify } from 'yaml';
import { kubeTarget, parseCount, type KubeFlags } from '../../actors/deploy/flags.js';
import { LABELS } from '../../actors/deploy/names.js';
import { nodeReplicas, planDeploy, withNodeReplicas } from '../../actors/deploy/plan.js';
import type { AccessMode } from '../../actors/deploy/render.js';

export interface DeployFlags extends KubeFlags {
  image?: string;
  replicas?: string;
  storageClass?: string;
  storageSize?: string;
  accessMode?: string;
  /** `client`: print the manifests, contact no cluster; `server`: the API server validates, stores nothing. */
  dryRun?: string;
}

/**
 * `tributary deploy <config>`: render deploy/k8s with the config (a ConfigMap of the YAML, the
 * image, the replicas, the storage) and server-side apply it to the namespace.
 * Without `--replicas`, a deployment that exists keeps its number of nodes (what `tributary scale`
 * set); a new one gets the base's 2.
 *
 * Wire it in main.ts:
 *   program.command('deploy').argument('<config>', 'feature-set YAML').description('deploy the feature set to Kubernetes: actor nodes, coordinator, config')
 *     .option('--image <ref>', 'container image (required: the base names a placeholder)')
 *     .option('--replicas <n>', 'actor nodes (default: keep the current number, or 2)')
 *     .option('--storage-class <name>', 'storage class of the data volume (default: the cluster default)')
 *     .option('--storage-size <quantity>', 'size of the data volume (default 20Gi)')
 *     .option('--access-mode <mode>', 'ReadWriteMany (default) or ReadWriteOnce (single-machine clusters)')
 *     .option('--dry-run <mode>', 'client: print the manifests; server: validate on the API server, change nothing')
 *     .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
 *     .option('--context <name>', 'kubeconfig context (default the current one)')
 *     .option('-n, --namespace <ns>', 'namespace (default the context\'s, or default)')
 *     .action((file: string, flags) => run(() => deployCommand(file, flags, out))());
 *
 * @example
 * // tributary deploy configs/payments.yaml --image my.registry/tributary:0.1.0 -n fraud --replicas 3
 * // tributary deploy configs/payments.yaml --dry-run client --image x > manifests.yaml
 */
export async function deployCommand(file: string, flags: DeployFlags, out: (line: string) => void): Promise<number> {
  if (flags.dryRun !== undefined && flags.dryRun !== 'client' && flags.dryRun !== 'server') throw new Error(`--dry-run must be client or server, got "${flags.dryRun}"`);
  if (flags.accessMode !== undefined && flags.accessMode !== 'ReadWriteMany' && flags.accessMode !== 'ReadWriteOnce') {
    throw new Error(`--access-mode must be ReadWriteMany or ReadWriteOnce, got "${flags.accessMode}"`);
  }
  const replicas = flags.replicas === undefined ? undefined : parseCount(flags.replicas, '--replicas');
  const clientOnly = flags.dryRun === 'client';
  const kube = clientOnly ? undefined : await loadKube();
  // A client dry run needs no cluster, so it needs no kubeconfig either: only a namespace to write in.
  const connection = kube?.connect(kubeTarget(flags));
  const namespace = connection?.namespace ?? flags.namespace ?? 'default';
  const plan = planDeploy({
    configFile: file,
    namespace,
    ...(flags.image !== undefined && { image: flags.image }),
    ...(replicas !== undefined && { replicas }),
    ...(flags.storageClass !== undefined && { storageClass: flags.storageClass }),
    ...(flags.storageSize !== undefined && { storageSize: flags.storageSize }),
    ...(flags.accessMode !== undefined && { accessMode: flags.accessMode as AccessMode }),
    allowPlaceholderImage: clientOnly,
  });

  if (clientOnly) {
    for (const w of plan.warnings) out(`# warning: ${w}`);
    out(plan.objects.map((o) => stringify(o, { lineWidth: 0 }).trimEnd()).join('\n---\n'));
    return 0;
  }
  const { KubernetesObjectApi, readExisting, applyObjects } = kube!;
  const api = KubernetesObjectApi.makeApiClient(connection!.config);
  const name = plan.config.name;
  out(`deploying ${name} (config ${plan.config.hash.slice(0, 12)}) to namespace ${namespace}, context ${connection!.context} (${connection!.server})${flags.dryRun === 'server' ? ' — server dry run' : ''}`);
  for (const w of plan.warnings) out(`warning: ${w}`);

  const existing = await readExisting(api, namespace);
  if (existing?.instance !== undefined && existing.instance !== name) {
    throw new Error(`namespace ${namespace} already runs feature set "${existing.instance}" (${LABELS.instance}); deploy ${name} to another namespace, or tear that one down first`);
  }
  let objects = plan.objects;
  let kept = false;
  if (replicas === undefined && existing?.replicas !== undefined) {
    objects = withNodeReplicas(objects, existing.replicas);
    kept = true;
  }
  const applied = await applyObjects(api, objects, { dryRun: flags.dryRun === 'server' });
  for (const ref of applied) out(`  applied ${ref}`);
  const nodes = nodeReplicas(objects);
  out(`${nodes} actor nodes${kept ? ' (kept from the running deployment; --replicas to change)' : ''}, ${plan.config.keyGroups} key groups`);
  out(`next: tributary status -n ${namespace}`);
  return 0;
}

// @kubernetes/client-node takes about half a second to import: load it only when this command runs,
// not every time main.ts loads its commands.
async function loadKube() {
  const [{ KubernetesObjectApi }, { applyObjects }, { readExisting }, { connect }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('../../actors/deploy/apply.js'),
    import('../../actors/deploy/existing.js'),
    import('../../actors/deploy/kubeClient.js'),
  ]);
  return { KubernetesObjectApi, applyObjects, readExisting, connect };
}
