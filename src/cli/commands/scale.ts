import { NAMES } from '../../actors/deploy/names.js';
import { kubeTarget, parseCount, type KubeFlags } from '../../actors/deploy/flags.js';

/**
 * `tributary scale <replicas>`: set the number of actor nodes of the deployment in the namespace.
 * The coordinator moves key groups to new nodes, or away from removed ones, from the last checkpoint.
 *
 * Wire it in main.ts:
 *   program.command('scale').argument('<replicas>', 'number of actor nodes').description('change the number of actor nodes on Kubernetes')
 *     .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
 *     .option('--context <name>', 'kubeconfig context (default the current one)')
 *     .option('-n, --namespace <ns>', 'namespace (default the context\'s, or default)')
 *     .action((replicas: string, flags) => run(() => scaleCommand(replicas, flags, out))());
 *
 * @example
 * // tributary scale 4 -n fraud
 */
export async function scaleCommand(replicasText: string, flags: KubeFlags, out: (line: string) => void): Promise<number> {
  const replicas = parseCount(replicasText, 'replicas');
  // @kubernetes/client-node takes about half a second to import: load it only when this command runs,
  // not every time main.ts loads its commands.
  const [{ AppsV1Api }, { connect }, { scaleNodes }] = await Promise.all([import('@kubernetes/client-node'), import('../../actors/deploy/kubeClient.js'), import('../../actors/deploy/scale.js')]);
  const k = connect(kubeTarget(flags));
  const { from, to } = await scaleNodes(k.config.makeApiClient(AppsV1Api), k.namespace, replicas);
  if (from === to) out(`${NAMES.nodes} in ${k.namespace} already has ${to} nodes`);
  else out(`scaled ${NAMES.nodes} in ${k.namespace}: ${from} → ${to} nodes${to === 0 ? ' (all nodes stop; the coordinator and the data volume stay)' : ''}`);
  return 0;
}
