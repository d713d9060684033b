import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from './kubeObject.js';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}

type Model = { getAttributeTypeMap(): Attribute[] };

const models = k8s as unknown as Record<string, Model | undefined>;

/**
 * Fields of an object that its Kubernetes type does not have, and primitive fields of the wrong
 * type, as `path: problem` lines (empty when the object is clean).
 *
 * Why: @kubernetes/client-node serialises each object through its typed model before sending it,
 * and that silently drops any field the model does not know. A misspelt `readinesProbe` would
 * vanish on the way to the server and the pod would run without a probe. So `tributary deploy`
 * checks every object against the same models first, and refuses to apply one with such a field.
 * The models are those of the installed client, generated from the Kubernetes API of its release
 * (client-node 1.2 matches Kubernetes 1.33; 1.4 is newer), so fields of newer Kubernetes releases are refused.
 *
 * @example
 * unknownFields({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selectr: {} } });
 * // ['Service/s spec.selectr: not a field of V1ServiceSpec']
 */
export function unknownFields(o: KubeObject): string[] {
  const problems: string[] = [];
  const type = modelName(o.apiVersion, o.kind);
  if (models[type] === undefined) return [`${o.kind}/${o.metadata.name}: no model ${type} in @kubernetes/client-node to check it against`];
  walk(o, type, '', problems, `${o.kind}/${o.metadata.name}`);
  return problems;
}

/** `apps/v1` + `StatefulSet` → `V1StatefulSet`, the client's naming of its models. */
function modelName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').pop()!;
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

const MAP = /^\{ \[key: string\]: (.+); \}$/;
const ARRAY = /^Array<(.+)>$/;

function walk(value: unknown, type: string, path: string, problems: string[], ref: string): void {
  if (value === null || value === undefined) return;
  const at = (p: string) => `${ref} ${p === '' ? '(root)' : p}`;
  const array = ARRAY.exec(type);
  if (array !== null) {
    if (!Array.isArray(value)) return void problems.push(`${at(path)}: expected a list`);
    value.forEach((v, i) => walk(v, array[1]!, `${path}[${i}]`, problems, ref));
    return;
  }
  const map = MAP.exec(type);
  if (map !== null) {
    if (typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${at(path)}: expected a map`);
    for (const [k, v] of Object.entries(value)) walk(v, map[1]!, `${path}.${k}`, problems, ref);
    return;
  }
  switch (type) {
    case 'string':
      if (typeof value !== 'string') problems.push(`${at(path)}: expected a string, got ${JSON.stringify(value)}`);
      return;
    case 'number':
      if (typeof value !== 'number') problems.push(`${at(path)}: expected a number, got ${JSON.stringify(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${at(path)}: expected true or false, got ${JSON.stringify(value)}`);
      return;
    case 'IntOrString':
      if (typeof value !== 'string' && typeof value !== 'number') problems.push(`${at(path)}: expected a number or a name`);
      return;
  }
  const model = models[type];
  if (model === undefined || typeof model.getAttributeTypeMap !== 'function') return; // free-form (any, object, Date): nothing to check
  if (typeof value !== 'object' || Array.isArray(value)) return void problems.push(`${at(path)}: expected an object (${type})`);
  const attributes = model.getAttributeTypeMap();
  for (const [key, v] of Object.entries(value)) {
    const attr = attributes.find((a) => a.baseName === key);
    const p = path === '' ? key : `${path}.${key}`;
    if (attr === undefined) problems.push(`${at(p)}: not a field of ${type}`);
    else walk(v, attr.type, p, problems, ref);
  }
}
