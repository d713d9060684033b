/**
 * Kubernetes deployment: render deploy/k8s with a feature-set config and apply it, scale the
 * nodes, read their status, tear it all down. docs/operations.md is the guide.
 *
 * | file | job |
 * | --- | --- |
 * | `ports.ts` | ports, health paths and pod paths: the contract with `tributary node` and `tributary coordinator` |
 * | `names.ts` | object names, labels, the field manager |
 * | `kubeObject.ts` | the plain-JSON object type |
 * | `loadBase.ts` | read the kustomize base (kustomization, resources, generated ConfigMaps) |
 * | `render.ts` | the objects to apply, with config, image, replicas, storage and labels |
 * | `plan.ts` | validate the config and render everything deploy will apply |
 * | `unknownFields.ts` | refuse fields the client would silently drop |
 * | `clientModel.ts` | plain JSON to the client's models, so it sends every field (NetworkPolicy `from`) |
 * | `kubeClient.ts` | the user's kubeconfig, context and namespace |
 * | `flags.ts` | the CLI flags the Kubernetes commands share |
 * | `apiErrors.ts` | readable API errors |
 * | `apply.ts` | server-side apply |
 * | `existing.ts` | what is already deployed in a namespace |
 * | `scale.ts` | the StatefulSet's scale subresource |
 * | `status.ts` | StatefulSet, Deployment and pods |
 * | `teardown.ts` | delete by label |
 */
export { HEALTH_PATHS, POD_PATHS, PORTS, PORT_NAMES } from './ports.js';
export { CONFIG_HASH_ANNOTATION, FIELD_MANAGER, LABELS, MANAGED_BY, NAMES, managedSelector, selectorLabels } from './names.js';
export { asKubeObject, objectRef, type KubeObject } from './kubeObject.js';
export { DEFAULT_BASE_DIR, loadBase, type GeneratedConfigMap, type KustomizeBase } from './loadBase.js';
export { PLACEHOLDER_IMAGE, podTemplate, render, type AccessMode, type RenderOptions } from './render.js';
export { nodeReplicas, planDeploy, withNodeReplicas, type DeployPlan, type PlanRequest } from './plan.js';
export { unknownFields } from './unknownFields.js';
export { toClientModel } from './clientModel.js';
export { connect, type KubeConnection, type KubeTarget } from './kubeClient.js';
export { kubeTarget, parseCount, type KubeFlags } from './flags.js';
export { describeApiError, isNotFound, statusOf } from './apiErrors.js';
export { applyObjects, type ApplyOptions } from './apply.js';
export { readExisting, type ExistingDeployment } from './existing.js';
export { scaleNodes } from './scale.js';
export { readStatus, type DeploymentStatus, type PodStatus, type WorkloadStatus } from './status.js';
export { teardown, type TeardownOptions, type TeardownResult } from './teardown.js';
