import { isDeepStrictEqual } from 'node:util';
import { dumpYaml, loadYaml, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { objectRef, type KubeObject } from './kubeObject.js';

/**
 * A plain-JSON object (as in the manifests) converted to the client's typed model, checked to
 * serialise back to exactly the same JSON.
 *
 * Why: KubernetesObjectApi serialises what it is given through its models, reading each field by
 * the model's *TypeScript* name. Most match the JSON name, but not all: a NetworkPolicy ingress rule's
 * `from` is `_from` in the model. Passed plain JSON, the client silently drops `from`, and an
 * ingress rule without `from` admits every source: the NetworkPolicy would open the ports it was
 * meant to guard. Converting through `loadYaml` (the client's own YAML loader, which maps JSON names
 * to model names) fixes that, and the round-trip check refuses anything else the models would lose.
 *
 * @example
 * await objectApi.patch(toClientModel(renderedNetworkPolicy), ...); // `from` arrives as `from`
 */
export function toClientModel(o: KubeObject): KubernetesObject {
  // JSON is YAML, so the client's loader takes it and maps it with the model of apiVersion/kind.
  const model = loadYaml<KubernetesObject>(JSON.stringify(o));
  const back: unknown = parse(dumpYaml(model));
  if (!isDeepStrictEqual(back, JSON.parse(JSON.stringify(o)))) {
    throw new Error(`${objectRef(o)}: @kubernetes/client-node would not send this object as written (a field its models do not carry); refusing to apply it`);
  }
  return model;
}
