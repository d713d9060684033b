import type { KubernetesObjectApi } from '@kubernetes/client-node';
import { describeApiError, isNotFound } from './apiErrors.js';
import { managedSelector } from './names.js';

export interface TeardownOptions {
  /** Also delete the PersistentVolumeClaim with the event log and checkpoints. */
  deleteData?: boolean;
  /** List what would be deleted, delete nothing. */
  dryRun?: boolean;
}

export interface TeardownResult {
  deleted: string[];
  /** Found but kept (the data volume, unless deleteData). */
  kept: string[];
}

/**
 * The kinds deploy makes, in the order teardown deletes them: workloads first, so no pod runs
 * while its config or identity disappears, and NetworkPolicies last, so no pod is ever unprotected.
 */
const KINDS: { apiVersion: string; kind: string; data?: boolean }[] = [
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', data: true },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
];

/**
 * Delete what `tributary deploy` made in a namespace, found by its labels
 * (`app.kubernetes.io/part-of=tributary,app.kubernetes.io/managed-by=tributary`), so objects
 * someone else made there are never touched. The data volume is kept unless `deleteData`: it
 * holds the event log and the checkpoints, which a later deploy resumes from.
 *
 * Pods go with their StatefulSet and Deployment (background cascading deletion, as kubectl does).
 *
 * @example
 * await teardown(KubernetesObjectApi.makeApiClient(kubeConfig), 'fraud'); // { deleted: [...], kept: ['PersistentVolumeClaim/tributary-data'] }
 */
export async function teardown(api: KubernetesObjectApi, namespace: string, options: TeardownOptions = {}): Promise<TeardownResult> {
  const result: TeardownResult = { deleted: [], kept: [] };
  const selector = managedSelector();
  for (const { apiVersion, kind, data } of KINDS) {
    let names: string[];
    try {
      const list = await api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, selector);
      names = list.items.map((item) => item.metadata?.name).filter((n): n is string => n !== undefined);
    } catch (err) {
      throw new Error(`list ${kind} in ${namespace}: ${describeApiError(err)}`);
    }
    for (const name of names.sort()) {
      const ref = `${kind}/${name}`;
      if (data && !options.deleteData) {
        result.kept.push(ref);
        continue;
      }
      if (!options.dryRun) {
        try {
          await api.delete({ apiVersion, kind, metadata: { name, namespace } }, undefined, undefined, undefined, undefined, 'Background');
        } catch (err) {
          // Gone already (a concurrent teardown, or garbage-collected): that is what we wanted.
          if (!isNotFound(err)) throw new Error(`delete ${ref} in ${namespace}: ${describeApiError(err)}`);
        }
      }
      result.deleted.push(ref);
    }
  }
  return result;
}
