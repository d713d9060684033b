import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { describeApiError, statusOf } from './apiErrors.js';
import { toClientModel } from './clientModel.js';
import { objectRef, type KubeObject } from './kubeObject.js';
import { FIELD_MANAGER } from './names.js';
import { unknownFields } from './unknownFields.js';

export interface ApplyOptions {
  /** Server-side dry run: the API server validates and admits, and stores nothing. */
  dryRun?: boolean;
}

/**
 * Server-side apply of each object, in the given order (render's apply order).
 *
 * Server-side apply, not create-or-replace: it is idempotent (deploy twice, nothing changes), it
 * merges with fields other controllers own (a StatefulSet's status, an HPA's replicas) instead of
 * overwriting them, and it records `tributary` as the field manager. `force` takes over fields
 * last set by someone else (a `kubectl edit`), as `kubectl apply --server-side --force-conflicts`
 * does: deploy is the source of truth for what it renders.
 *
 * Every object is first checked against the client's models (unknownFields), because the client
 * would silently drop a field it does not know, and converted to the client's model form
 * (toClientModel), because it would silently drop NetworkPolicy `from` rules given as plain JSON.
 *
 * @example
 * const api = KubernetesObjectApi.makeApiClient(kubeConfig);
 * await applyObjects(api, render(loadBase(), { namespace: 'fraud', image }));
 */
export async function applyObjects(api: KubernetesObjectApi, objects: readonly KubeObject[], options: ApplyOptions = {}): Promise<string[]> {
  const problems = objects.flatMap(unknownFields);
  if (problems.length > 0) throw new Error(`refusing to apply objects with fields Kubernetes does not know:\n  ${problems.join('\n  ')}`);
  const models = objects.map(toClientModel);
  const applied: string[] = [];
  for (const [i, o] of objects.entries()) {
    try {
      await api.patch(models[i]!, undefined, options.dryRun ? 'All' : undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      const ns = o.metadata.namespace;
      // Apply creates objects but not their namespace; a 404 on apply almost always means that.
      const hint = statusOf(err) === 404 && ns !== undefined ? ` (does namespace ${ns} exist? kubectl create namespace ${ns})` : '';
      throw new Error(`apply ${objectRef(o)}${ns ? ` in ${ns}` : ''}: ${describeApiError(err)}${hint}`);
    }
    applied.push(objectRef(o));
  }
  return applied;
}
