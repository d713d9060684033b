import type { KubernetesObjectApi } from '@kubernetes/client-node';
import { describeApiError, isNotFound } from './apiErrors.js';
import type { KubeObject } from './kubeObject.js';
import { LABELS, NAMES } from './names.js';

/** What is already deployed in the namespace: the StatefulSet of nodes, if any. */
export interface ExistingDeployment {
  instance?: string;
  replicas?: number;
}

/**
 * The StatefulSet of nodes that is already there, read so that deploy can (a) refuse to replace a
 * different feature set deployed in the same namespace and (b) keep the replica count that
 * `tributary scale` set when `--replicas` is not given.
 */
export async function readExisting(api: KubernetesObjectApi, namespace: string): Promise<ExistingDeployment | undefined> {
  try {
    const sts = (await api.read({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: NAMES.nodes, namespace } })) as KubeObject & { spec?: { replicas?: number } };
    const instance = sts.metadata.labels?.[LABELS.instance];
    const replicas = sts.spec?.replicas;
    return { ...(instance !== undefined && { instance }), ...(replicas !== undefined && { replicas }) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new Error(`read StatefulSet/${NAMES.nodes} in ${namespace}: ${describeApiError(err)}`);
  }
}
