/**
 * Names and labels of the objects in deploy/k8s. One feature set is deployed per namespace, so
 * the names are fixed; the feature set's name goes in the `app.kubernetes.io/instance` label.
 */
export const NAMES = {
  /** StatefulSet of actor nodes, and its headless Service (pod DNS: tributary-node-0.tributary-node.<ns>.svc). */
  nodes: 'tributary-node',
  coordinator: 'tributary-coordinator',
  configMap: 'tributary-config',
  /** The key in the ConfigMap holding the feature-set YAML. */
  configKey: 'feature-set.yaml',
  data: 'tributary-data',
  /** The optional Secret with CURVE keys. */
  curveSecret: 'tributary-curve',
} as const;

export const LABELS = {
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  instance: 'app.kubernetes.io/instance',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** The value of `app.kubernetes.io/managed-by` on what `tributary deploy` applies; teardown deletes by it. */
export const MANAGED_BY = 'tributary';

/** Also the field manager of server-side apply, so `kubectl get --show-managed-fields` names us. */
export const FIELD_MANAGER = 'tributary';

/** Pod-template annotation holding the config's SHA-256: a new config rolls the pods, which read it only at start. */
export const CONFIG_HASH_ANNOTATION = 'tributary.dev/config-sha256';

/**
 * The label selector of everything `tributary deploy` made in a namespace.
 *
 * @example
 * managedSelector(); // 'app.kubernetes.io/part-of=tributary,app.kubernetes.io/managed-by=tributary'
 */
export function managedSelector(): string {
  return `${LABELS.partOf}=tributary,${LABELS.managedBy}=${MANAGED_BY}`;
}

/** The selector labels of a component's pods (immutable on a StatefulSet/Deployment: no instance label here). */
export function selectorLabels(component: 'node' | 'coordinator'): Record<string, string> {
  return { [LABELS.name]: 'tributary', [LABELS.component]: component };
}
