import type { WorkloadStatus } from '../../actors/deploy/status.js';
import { table } from '../format.js';
import { kubeTarget, type KubeFlags } from '../../actors/deploy/flags.js';

export interface StatusFlags extends KubeFlags {
  json?: boolean;
}

/**
 * `tributary status`: the actor nodes, the coordinator and their pods in the namespace, from the
 * Kubernetes API. Exit code 0 when a deployment is there (ready or not), 1 when there is none.
 *
 * Wire it in main.ts:
 *   program.command('status').description('actor nodes, coordinator and pods on Kubernetes')
 *     .option('--json', 'print as JSON')
 *     .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
 *     .option('--context <name>', 'kubeconfig context (default the current one)')
 *     .option('-n, --namespace <ns>', 'namespace (default the context\'s, or default)')
 *     .action((flags) => run(() => statusCommand(flags, out))());
 *
 * @example
 * // tributary status -n fraud
 * // namespace fraud: feature set payments, config 1f0c3a9e2b7d
 * // nodes        2/2 ready, 2 updated
 * // coordinator  1/1 ready, 1 updated
 */
export async function statusCommand(flags: StatusFlags, out: (line: string) => void): Promise<number> {
  // @kubernetes/client-node takes about half a second to import: load it only when this command runs,
  // not every time main.ts loads its commands.
  const [{ AppsV1Api, CoreV1Api }, { connect }, { readStatus }] = await Promise.all([import('@kubernetes/client-node'), import('../../actors/deploy/kubeClient.js'), import('../../actors/deploy/status.js')]);
  const k = connect(kubeTarget(flags));
  const s = await readStatus(k.config.makeApiClient(AppsV1Api), k.config.makeApiClient(CoreV1Api), k.namespace);
  const deployed = s.nodes !== undefined || s.coordinator !== undefined;
  if (flags.json) {
    out(JSON.stringify(s, null, 2));
    return deployed ? 0 : 1;
  }
  if (!deployed) {
    out(`nothing deployed in namespace ${k.namespace} (context ${k.context})${s.pods.length > 0 ? `; ${s.pods.length} tributary pods are left over` : ''}`);
    return 1;
  }
  out(`namespace ${k.namespace}: feature set ${s.instance ?? '(not deployed by tributary deploy)'}${s.configHash ? `, config ${s.configHash.slice(0, 12)}` : ''}`);
  out(`nodes        ${workload(s.nodes)}`);
  out(`coordinator  ${workload(s.coordinator)}`);
  if (s.pods.length > 0) {
    out('');
    out(table(s.pods.map((p) => [p.name, p.component, p.phase, p.ready ? 'yes' : 'no', p.restarts, p.node ?? '', p.reason ?? '']), ['pod', 'component', 'phase', 'ready', 'restarts', 'machine', 'reason']));
  }
  return 0;
}

function workload(w: WorkloadStatus | undefined): string {
  return w === undefined ? 'missing' : `${w.ready}/${w.desired} ready, ${w.updated} updated`;
}
