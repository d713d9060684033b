import type { V1Deployment, V1PersistentVolumeClaim, V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';
import type { KustomizeBase } from './loadBase.js';
import type { KubeObject } from './kubeObject.js';
import { CONFIG_HASH_ANNOTATION, NAMES } from './names.js';

/** The image the base names. It is a placeholder: nothing is published under it. */
export const PLACEHOLDER_IMAGE = 'registry.example.com/tributary:0.1.0';

export type AccessMode = 'ReadWriteMany' | 'ReadWriteOnce';

export interface RenderOptions {
  /** Set on every object (the base leaves it to `kubectl -n`). */
  namespace?: string;
  /** The feature-set YAML to run, replacing the base's example: its text and SHA-256 (FeatureSetConfig.hash). */
  config?: { text: string; hash: string };
  /** Labels added to every object and pod template, never to selectors (those are immutable). */
  labels?: Record<string, string>;
  /** Image of every container. */
  image?: string;
  /** Actor nodes (StatefulSet replicas). */
  replicas?: number;
  storageClass?: string;
  /** A quantity, e.g. `100Gi`. */
  storageSize?: string;
  accessMode?: AccessMode;
}

/** The order objects are applied in: identities and config before what uses them, NetworkPolicies before any pod runs. */
const APPLY_ORDER = ['ServiceAccount', 'ConfigMap', 'PersistentVolumeClaim', 'NetworkPolicy', 'Service', 'Deployment', 'StatefulSet'];

/** ConfigMaps are limited to 1 MiB by the API server (etcd's object limit); fail before it does. */
const CONFIG_MAP_LIMIT = 1024 * 1024 - 4096;

/**
 * The objects to apply: the base's resources and generated ConfigMaps, with the options applied,
 * in apply order. Pure: the base is not modified. With no options, the result is what
 * `kubectl kustomize deploy/k8s` renders (a test checks it).
 *
 * @example
 * const objects = render(loadBase(), {
 *   namespace: 'fraud', image: 'my.registry/tributary:1.0', replicas: 4,
 *   config: { text: readFileSync('configs/payments.yaml', 'utf8'), hash: config.hash },
 *   labels: { 'app.kubernetes.io/instance': 'payments' },
 * });
 */
export function render(base: KustomizeBase, options: RenderOptions = {}): KubeObject[] {
  checkOptions(options);
  const objects: KubeObject[] = structuredClone(base.resources);
  for (const cm of base.configMaps) {
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.name, labels: { ...cm.labels } }, data: { ...cm.data } });
  }

  for (const o of objects) {
    if (options.namespace !== undefined) o.metadata.namespace = options.namespace;
    if (options.labels !== undefined) o.metadata.labels = { ...o.metadata.labels, ...options.labels };
    const template = podTemplate(o);
    if (template !== undefined) {
      template.metadata ??= {};
      if (options.labels !== undefined) template.metadata.labels = { ...template.metadata.labels, ...options.labels };
      if (options.config !== undefined) template.metadata.annotations = { ...template.metadata.annotations, [CONFIG_HASH_ANNOTATION]: options.config.hash };
      if (options.image !== undefined) for (const c of template.spec?.containers ?? []) c.image = options.image;
    }
    if (o.kind === 'ConfigMap' && o.metadata.name === NAMES.configMap && options.config !== undefined) {
      o.data = { [NAMES.configKey]: options.config.text };
    }
    if (o.kind === 'StatefulSet' && o.metadata.name === NAMES.nodes && options.replicas !== undefined) {
      (o as unknown as V1StatefulSet).spec!.replicas = options.replicas;
    }
    if (o.kind === 'PersistentVolumeClaim' && o.metadata.name === NAMES.data) {
      const spec = (o as unknown as V1PersistentVolumeClaim).spec!;
      if (options.storageClass !== undefined) spec.storageClassName = options.storageClass;
      if (options.accessMode !== undefined) spec.accessModes = [options.accessMode];
      if (options.storageSize !== undefined) spec.resources = { ...spec.resources, requests: { ...spec.resources?.requests, storage: options.storageSize } };
    }
  }
  return objects.sort((a, b) => rank(a) - rank(b));
}

/** The pod template of a workload (Deployment, StatefulSet), or undefined. */
export function podTemplate(o: KubeObject): V1PodTemplateSpec | undefined {
  if (o.kind === 'Deployment' || o.kind === 'StatefulSet') return (o as unknown as V1Deployment | V1StatefulSet).spec?.template;
  return undefined;
}

function rank(o: KubeObject): number {
  const i = APPLY_ORDER.indexOf(o.kind);
  return i < 0 ? APPLY_ORDER.length : i;
}

// Kubernetes' own rules, checked here so a bad flag is reported as such, not as an API error later.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

function checkOptions(o: RenderOptions): void {
  if (o.namespace !== undefined && !DNS_LABEL.test(o.namespace)) throw new Error(`namespace "${o.namespace}" is not a valid name (lowercase letters, digits and '-', at most 63)`);
  for (const [k, v] of Object.entries(o.labels ?? {})) if (!LABEL_VALUE.test(v)) throw new Error(`label ${k}="${v}" is not a valid label value (letters, digits, '-', '_', '.', at most 63)`);
  if (o.replicas !== undefined && !(Number.isInteger(o.replicas) && o.replicas >= 0)) throw new Error(`replicas must be a whole number ≥ 0, got ${o.replicas}`);
  if (o.image !== undefined && (o.image.trim() === '' || /\s/.test(o.image))) throw new Error(`image "${o.image}" is not an image reference`);
  if (o.storageSize !== undefined && !QUANTITY.test(o.storageSize)) throw new Error(`storage size "${o.storageSize}" is not a quantity such as 50Gi`);
  if (o.accessMode !== undefined && o.accessMode !== 'ReadWriteMany' && o.accessMode !== 'ReadWriteOnce') throw new Error(`access mode must be ReadWriteMany or ReadWriteOnce, got ${String(o.accessMode)}`);
  if (o.config !== undefined && Buffer.byteLength(o.config.text) > CONFIG_MAP_LIMIT) {
    throw new Error(`the config is ${Buffer.byteLength(o.config.text)} bytes; a ConfigMap holds at most about 1 MiB`);
  }
}
