import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';
import { asKubeObject, type KubeObject } from './kubeObject.js';

/** deploy/k8s of this package (it ships in `files`), found from this module so it works from any working directory. */
export const DEFAULT_BASE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/k8s');

/** A ConfigMap that the kustomization generates from files. */
export interface GeneratedConfigMap {
  name: string;
  labels: Record<string, string>;
  /** Key to file contents. */
  data: Record<string, string>;
}

/** A kustomize base, read: its resources in kustomization order, and its generated ConfigMaps. */
export interface KustomizeBase {
  dir: string;
  resources: KubeObject[];
  configMaps: GeneratedConfigMap[];
}

// Kubernetes tooling (kubectl, kustomize: sigs.k8s.io/yaml) reads manifests as YAML 1.1, where `0400`
// is octal and `on` is true; the yaml package defaults to 1.2. Read them as kubectl does.
const YAML_1_1 = { version: '1.1' } as const;

// What this reader implements. A base that uses anything else is refused, so that `tributary deploy`
// never applies something different from what `kubectl kustomize` renders from the same files.
const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'configMapGenerator', 'generatorOptions']);
const KNOWN_GENERATOR_FIELDS = new Set(['name', 'files']);
const KNOWN_OPTIONS = new Set(['disableNameSuffixHash', 'labels']);

/**
 * Read a kustomize base: kustomization.yaml, each resource file (several documents each), and the
 * files its configMapGenerator names. No kustomize binary needed.
 *
 * @example
 * const base = loadBase();            // this package's deploy/k8s
 * base.resources.map(objectRef);      // ['ServiceAccount/tributary-node', ...]
 */
export function loadBase(dir: string = DEFAULT_BASE_DIR): KustomizeBase {
  const file = join(dir, 'kustomization.yaml');
  const k = parse(readFileSync(file, 'utf8'), YAML_1_1) as Record<string, unknown> | null;
  if (k === null || typeof k !== 'object') throw new Error(`${file}: not a kustomization`);
  for (const key of Object.keys(k)) if (!KNOWN_FIELDS.has(key)) throw new Error(`${file}: "${key}" is not supported by tributary deploy (it reads only ${[...KNOWN_FIELDS].join(', ')})`);

  const resources: KubeObject[] = [];
  for (const name of stringList(k.resources, `${file}: resources`)) {
    const path = join(dir, name);
    const docs = parseAllDocuments(readFileSync(path, 'utf8'), YAML_1_1);
    docs.forEach((doc, i) => {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return; // an empty document (a trailing ---)
      resources.push(asKubeObject(value, `${path} document ${i + 1}`));
    });
  }

  const options = (k.generatorOptions ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(options)) if (!KNOWN_OPTIONS.has(key)) throw new Error(`${file}: generatorOptions.${key} is not supported by tributary deploy`);
  const generators = (k.configMapGenerator ?? []) as Record<string, unknown>[];
  if (generators.length > 0 && options.disableNameSuffixHash !== true) {
    // Kustomize would append a content hash to the name and rewrite references to it; we keep names fixed.
    throw new Error(`${file}: configMapGenerator needs generatorOptions.disableNameSuffixHash: true`);
  }
  const labels = stringMap(options.labels ?? {}, `${file}: generatorOptions.labels`);
  const configMaps = generators.map((g, i): GeneratedConfigMap => {
    for (const key of Object.keys(g)) if (!KNOWN_GENERATOR_FIELDS.has(key)) throw new Error(`${file}: configMapGenerator[${i}].${key} is not supported by tributary deploy`);
    if (typeof g.name !== 'string') throw new Error(`${file}: configMapGenerator[${i}].name is required`);
    const data: Record<string, string> = {};
    for (const entry of stringList(g.files, `${file}: configMapGenerator[${i}].files`)) {
      // kustomize's syntax: `path`, keyed by the file's base name, or `key=path`.
      const eq = entry.indexOf('=');
      const key = eq < 0 ? entry.split('/').pop()! : entry.slice(0, eq);
      data[key] = readFileSync(join(dir, eq < 0 ? entry : entry.slice(eq + 1)), 'utf8');
    }
    return { name: g.name, labels: { ...labels }, data };
  });
  return { dir, resources, configMaps };
}

function stringList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${what} must be a list of strings`);
  return v as string[];
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (typeof v !== 'object' || v === null || Object.values(v).some((x) => typeof x !== 'string')) throw new Error(`${what} must map strings to strings`);
  return v as Record<string, string>;
}
