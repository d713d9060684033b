/**
 * The network contract between the Kubernetes manifests (deploy/k8s) and the processes they run
 * (`tributary node`, `tributary coordinator`). The manifests' probes, Services and NetworkPolicies
 * use these numbers; the node and coordinator must listen on them. Tests check both sides against
 * this file, so change a port here and in deploy/k8s together. docs/operations.md describes them.
 *
 * @example
 * import { PORTS, HEALTH_PATHS } from '../deploy/ports.js';
 * server.listen(PORTS.health);           // in `tributary node`
 * if (url.pathname === HEALTH_PATHS.ready) ...
 */
export const PORTS = {
  /** Coordinator ROUTER: membership, heartbeats, assignments, checkpoint barriers, status. Nodes connect (DEALER). */
  control: 7600,
  /** Node PULL socket: Arrow IPC batches of the keyed shuffle, pushed by peers and sources. */
  data: 7601,
  /** Node online fetch endpoint (ZeroMQ request/reply), open to every pod in the namespace. */
  online: 7602,
  /** Coordinator PULL sink: nodes push their outputs, late events and checkpoint acks (with state) here. */
  sink: 7603,
  /** HTTP health endpoints of both the node and the coordinator (GET /healthz, GET /readyz). */
  health: 7680,
} as const;

/** The container port names the manifests use for PORTS (IANA service names: ≤ 15 chars, lowercase). */
export const PORT_NAMES = { control: 'control', data: 'data', online: 'online', sink: 'sink', health: 'health' } as const;

/**
 * - `live`: 200 while the process can serve requests at all (its event loop runs). It must not depend
 *   on the coordinator or on peers: a coordinator outage must not make Kubernetes restart every node.
 * - `ready`: 200 once the process does its job: a node has joined the coordinator, knows its key
 *   groups and has restored their state; the coordinator has loaded the last complete checkpoint and
 *   listens on `control`. 503 otherwise. Both answer with a JSON body saying why.
 */
export const HEALTH_PATHS = { live: '/healthz', ready: '/readyz' } as const;

/** Where the pods find things (mount paths in the manifests; flags of `tributary node|coordinator`). */
export const POD_PATHS = {
  /** The ConfigMap: the feature-set YAML. */
  configDir: '/etc/tributary',
  configFile: '/etc/tributary/feature-set.yaml',
  /** The shared PersistentVolumeClaim: event log and checkpoints. */
  dataDir: '/var/lib/tributary',
  /** Optional Secret with ZeroMQ CURVE keys; absent means no CURVE. */
  curveDir: '/etc/tributary/curve',
} as const;
