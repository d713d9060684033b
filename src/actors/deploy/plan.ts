import { readFileSync } from 'node:fs';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import type { FeatureSetConfig } from '../../sdk/config/types.js';
import type { KubeObject } from './kubeObject.js';
import { DEFAULT_BASE_DIR, loadBase } from './loadBase.js';
import { LABELS, MANAGED_BY, NAMES } from './names.js';
import { PLACEHOLDER_IMAGE, podTemplate, render, type AccessMode } from './render.js';

export interface PlanRequest {
  /** The feature-set YAML. */
  configFile: string;
  namespace: string;
  image?: string;
  replicas?: number;
  storageClass?: string;
  storageSize?: string;
  accessMode?: AccessMode;
  /** Defaults to this package's deploy/k8s. */
  baseDir?: string;
  /** Render with the placeholder image (to print manifests); deploying it would only give ImagePullBackOff. */
  allowPlaceholderImage?: boolean;
}

export interface DeployPlan {
  config: FeatureSetConfig;
  namespace: string;
  objects: KubeObject[];
  /** Things to tell the user that do not stop the deploy. */
  warnings: string[];
}

/**
 * Everything `tributary deploy` will apply, rendered from the base and the config, without touching
 * a cluster. The config is validated first: a config that `tributary validate` rejects is never
 * shipped to pods that would crash on it.
 *
 * @example
 * const plan = planDeploy({ configFile: 'configs/payments.yaml', namespace: 'fraud', image: 'my.registry/tributary:1.0' });
 * plan.objects.map(objectRef); // ['ServiceAccount/tributary-node', ..., 'StatefulSet/tributary-node']
 */
export function planDeploy(req: PlanRequest): DeployPlan {
  const config = loadConfig(req.configFile);
  const text = readFileSync(req.configFile, 'utf8');
  const objects = render(loadBase(req.baseDir ?? DEFAULT_BASE_DIR), {
    namespace: req.namespace,
    config: { text, hash: config.hash },
    labels: { [LABELS.instance]: config.name, [LABELS.managedBy]: MANAGED_BY },
    ...(req.image !== undefined && { image: req.image }),
    ...(req.replicas !== undefined && { replicas: req.replicas }),
    ...(req.storageClass !== undefined && { storageClass: req.storageClass }),
    ...(req.storageSize !== undefined && { storageSize: req.storageSize }),
    ...(req.accessMode !== undefined && { accessMode: req.accessMode }),
  });
  const images = new Set(objects.flatMap((o) => podTemplate(o)?.spec?.containers.map((c) => c.image) ?? []));
  if (images.has(PLACEHOLDER_IMAGE) && !req.allowPlaceholderImage) {
    throw new Error(`give --image <reference>: the base names ${PLACEHOLDER_IMAGE}, a placeholder that no registry serves (see docs/operations.md to build the image)`);
  }
  const warnings: string[] = [];
  const replicas = nodeReplicas(objects);
  if (replicas !== undefined && replicas > config.keyGroups) {
    warnings.push(`${replicas} nodes but ${config.keyGroups} key groups: ${replicas - config.keyGroups} nodes will own nothing (raise key_groups in the config)`);
  }
  if (config.modules.length > 0) {
    warnings.push(`the config loads modules (${config.modules.join(', ')}): they are not in the ConfigMap, so the image must contain them at the same paths`);
  }
  const withPaths = Object.values(config.sources).filter((s) => s.path !== undefined).map((s) => s.name);
  if (withPaths.length > 0) {
    warnings.push(`sources ${withPaths.join(', ')} name local files: pods cannot read them; import them into the log on the data volume, or use live connectors`);
  }
  return { config, namespace: req.namespace, objects, warnings };
}

/** The replicas of the node StatefulSet in a list of objects. */
export function nodeReplicas(objects: readonly KubeObject[]): number | undefined {
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === NAMES.nodes) as { spec?: { replicas?: number } } | undefined;
  return sts?.spec?.replicas;
}

/** The same objects, with the node StatefulSet's replicas set (deploy keeps what `tributary scale` set). */
export function withNodeReplicas(objects: readonly KubeObject[], replicas: number): KubeObject[] {
  return objects.map((o) => {
    if (o.kind !== 'StatefulSet' || o.metadata.name !== NAMES.nodes) return o;
    const copy = structuredClone(o) as KubeObject & { spec: { replicas?: number } };
    copy.spec.replicas = replicas;
    return copy;
  });
}
