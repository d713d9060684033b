import { kubeTarget, type KubeFlags } from '../../actors/deploy/flags.js';

export interface TeardownFlags extends KubeFlags {
  /** Also delete the data volume: the event log and every checkpoint. */
  deleteData?: boolean;
  /** Required with --delete-data: it cannot be undone. */
  yes?: boolean;
  dryRun?: boolean;
}

/**
 * `tributary teardown`: delete what `tributary deploy` made in the namespace (found by label).
 * The data volume (event log, checkpoints) stays unless `--delete-data --yes`.
 *
 * Wire it in main.ts:
 *   program.command('teardown').description('delete the Kubernetes deployment (keeps the data volume)')
 *     .option('--delete-data', 'also delete the data volume: event log and checkpoints')
 *     .option('--yes', 'confirm --delete-data')
 *     .option('--dry-run', 'list what would be deleted')
 *     .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
 *     .option('--context <name>', 'kubeconfig context (default the current one)')
 *     .option('-n, --namespace <ns>', 'namespace (default the context\'s, or default)')
 *     .action((flags) => run(() => teardownCommand(flags, out))());
 *
 * @example
 * // tributary teardown -n fraud
 * // tributary teardown -n fraud --delete-data --yes
 */
export async function teardownCommand(flags: TeardownFlags, out: (line: string) => void): Promise<number> {
  if (flags.deleteData && !flags.yes && !flags.dryRun) throw new Error('--delete-data deletes the event log and every checkpoint for good: add --yes to confirm');
  // @kubernetes/client-node takes about half a second to import: load it only when this command runs,
  // not every time main.ts loads its commands.
  const [{ KubernetesObjectApi }, { connect }, { teardown }] = await Promise.all([import('@kubernetes/client-node'), import('../../actors/deploy/kubeClient.js'), import('../../actors/deploy/teardown.js')]);
  const k = connect(kubeTarget(flags));
  const r = await teardown(KubernetesObjectApi.makeApiClient(k.config), k.namespace, { ...(flags.deleteData && { deleteData: true }), ...(flags.dryRun && { dryRun: true }) });
  const verb = flags.dryRun ? 'would delete' : 'deleted';
  if (r.deleted.length === 0 && r.kept.length === 0) {
    out(`nothing deployed by tributary in namespace ${k.namespace} (context ${k.context})`);
    return 0;
  }
  for (const ref of r.deleted) out(`  ${verb} ${ref}`);
  for (const ref of r.kept) out(`  kept ${ref} (the event log and checkpoints; --delete-data --yes to delete it)`);
  out(`${flags.dryRun ? 'dry run: nothing deleted in' : 'torn down'} namespace ${k.namespace}`);
  return 0;
}
