import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describeApiError, isNotFound } from './apiErrors.js';
import { FIELD_MANAGER, NAMES } from './names.js';

/**
 * Set the number of actor nodes: a merge patch of the StatefulSet's `scale` subresource, as
 * `kubectl scale` does. The scale subresource touches only `spec.replicas`, so it never races with
 * a deploy over other fields. The coordinator sees nodes join or leave and moves key groups
 * (reassign: the fewest moves), restoring them from the last checkpoint.
 *
 * @example
 * const apps = kubeConfig.makeApiClient(AppsV1Api);
 * await scaleNodes(apps, 'fraud', 4); // { from: 2, to: 4 }
 */
export async function scaleNodes(apps: AppsV1Api, namespace: string, replicas: number): Promise<{ from: number; to: number }> {
  if (!(Number.isInteger(replicas) && replicas >= 0)) throw new Error(`replicas must be a whole number ≥ 0, got ${replicas}`);
  let from: number;
  try {
    const current = await apps.readNamespacedStatefulSetScale({ name: NAMES.nodes, namespace });
    from = current.spec?.replicas ?? 0;
  } catch (err) {
    if (isNotFound(err)) throw new Error(`nothing to scale: no StatefulSet/${NAMES.nodes} in namespace ${namespace} (run tributary deploy first)`);
    throw new Error(`read StatefulSet/${NAMES.nodes} scale in ${namespace}: ${describeApiError(err)}`);
  }
  try {
    await apps.patchNamespacedStatefulSetScale(
      { name: NAMES.nodes, namespace, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  } catch (err) {
    throw new Error(`scale StatefulSet/${NAMES.nodes} in ${namespace}: ${describeApiError(err)}`);
  }
  return { from, to: replicas };
}
