import type { AppsV1Api, CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { describeApiError, isNotFound } from './apiErrors.js';
import { CONFIG_HASH_ANNOTATION, LABELS, NAMES } from './names.js';

export interface WorkloadStatus {
  desired: number;
  ready: number;
  /** Pods already on the latest pod template (a rollout is done when updated = desired). */
  updated: number;
}

export interface PodStatus {
  name: string;
  component: string;
  phase: string;
  ready: boolean;
  restarts: number;
  /** The machine it runs on. */
  node?: string;
  /** Why a container is not running (CrashLoopBackOff, ImagePullBackOff, ...). */
  reason?: string;
}

export interface DeploymentStatus {
  namespace: string;
  /** The feature set (`app.kubernetes.io/instance`), when deployed by `tributary deploy`. */
  instance?: string;
  /** SHA-256 of the config the pod template asks for. */
  configHash?: string;
  nodes?: WorkloadStatus;
  coordinator?: WorkloadStatus;
  pods: PodStatus[];
}

/**
 * What runs in a namespace: the node StatefulSet, the coordinator Deployment and their pods,
 * read from the Kubernetes API (not from the coordinator: this works while the coordinator is down,
 * which is when it is most needed).
 *
 * @example
 * const s = await readStatus(config.makeApiClient(AppsV1Api), config.makeApiClient(CoreV1Api), 'fraud');
 * s.nodes; // { desired: 3, ready: 2, updated: 3 }
 */
export async function readStatus(apps: AppsV1Api, core: CoreV1Api, namespace: string): Promise<DeploymentStatus> {
  const [sts, deployment, pods] = await Promise.all([
    orUndefined(apps.readNamespacedStatefulSet({ name: NAMES.nodes, namespace }), `read StatefulSet/${NAMES.nodes}`),
    orUndefined(apps.readNamespacedDeployment({ name: NAMES.coordinator, namespace }), `read Deployment/${NAMES.coordinator}`),
    core.listNamespacedPod({ namespace, labelSelector: `${LABELS.partOf}=tributary` }).catch((err: unknown) => {
      throw new Error(`list pods in ${namespace}: ${describeApiError(err)}`);
    }),
  ]);
  const out: DeploymentStatus = { namespace, pods: pods.items.map(podStatus).sort((a, b) => a.name.localeCompare(b.name)) };
  const instance = sts?.metadata?.labels?.[LABELS.instance] ?? deployment?.metadata?.labels?.[LABELS.instance];
  if (instance !== undefined) out.instance = instance;
  const hash = sts?.spec?.template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
  if (hash !== undefined) out.configHash = hash;
  if (sts !== undefined) out.nodes = { desired: sts.spec?.replicas ?? 0, ready: sts.status?.readyReplicas ?? 0, updated: sts.status?.updatedReplicas ?? 0 };
  if (deployment !== undefined) out.coordinator = { desired: deployment.spec?.replicas ?? 0, ready: deployment.status?.readyReplicas ?? 0, updated: deployment.status?.updatedReplicas ?? 0 };
  return out;
}

function podStatus(p: V1Pod): PodStatus {
  const containers = p.status?.containerStatuses ?? [];
  const waiting = containers.map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason).find((r) => r !== undefined);
  const out: PodStatus = {
    name: p.metadata?.name ?? '?',
    component: p.metadata?.labels?.[LABELS.component] ?? '?',
    phase: p.metadata?.deletionTimestamp !== undefined ? 'Terminating' : (p.status?.phase ?? 'Unknown'),
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: containers.reduce((n, c) => n + (c.restartCount ?? 0), 0),
  };
  if (p.spec?.nodeName !== undefined) out.node = p.spec.nodeName;
  if (waiting !== undefined) out.reason = waiting;
  return out;
}

async function orUndefined<T>(p: Promise<T>, what: string): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new Error(`${what}: ${describeApiError(err)}`);
  }
}
