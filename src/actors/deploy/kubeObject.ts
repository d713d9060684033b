/** A Kubernetes object as plain JSON: what the manifests hold and what the API takes. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/**
 * `Kind/name`, how objects are named in messages and in `kubectl` (`StatefulSet/tributary-node`).
 *
 * @example
 * objectRef({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } }); // 'Service/x'
 */
export function objectRef(o: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${o.kind}/${o.metadata.name}`;
}

/** Checks that a parsed YAML document is an object with apiVersion, kind and metadata.name. */
export function asKubeObject(doc: unknown, where: string): KubeObject {
  const o = doc as Partial<KubeObject> | null;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${where}: not a Kubernetes object`);
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') throw new Error(`${where}: apiVersion and kind are required`);
  if (typeof o.metadata !== 'object' || o.metadata === null || typeof o.metadata.name !== 'string') throw new Error(`${where}: metadata.name is required`);
  return o as KubeObject;
}
