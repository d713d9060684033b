import type { z } from 'zod';
import { closest } from '../../pipelines/expressions/suggest.js';
import type { ConfigProblem } from './configError.js';
import type { ConfigPath, LocatedDocument } from './locate.js';

/** Turns a name and its candidates into ` ; did you mean "x"?` or nothing. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const best = closest(name, [...candidates]);
  return best === undefined ? '' : `; did you mean "${best}"?`;
}

/** The object keys a zod schema accepts at `path` below it (for suggestions on unknown keys). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  const unwrap = () => {
    for (;;) {
      const def = (s as { _zod?: { def?: { type?: string; innerType?: unknown } } })._zod?.def;
      if (def && (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'pipe' || def.type === 'prefault')) {
        s = def.innerType ?? (def as { in?: unknown }).in;
      } else return;
    }
  };
  unwrap();
  for (const seg of path) {
    const def = (s as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'object') s = (def.shape as Record<string, unknown>)[String(seg)];
    else if (def.type === 'array') s = def.element;
    else if (def.type === 'record') s = def.valueType;
    else return [];
    if (s === undefined) return [];
    unwrap();
  }
  const def = (s as { _zod: { def: Record<string, unknown> } })._zod.def;
  if (def.type === 'object') return Object.keys(def.shape as object);
  if (def.type === 'union') return (def.options as z.ZodType[]).flatMap((o) => keysAt(o, []));
  return [];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[seg as string];
  return v;
}

/**
 * Check `value` (found at `base` in the document) against `schema`. Problems are pushed with their
 * places; the parsed value is returned when there were none.
 */
export function check<T extends z.ZodType>(
  schema: T,
  value: unknown,
  base: ConfigPath,
  doc: LocatedDocument,
  problems: ConfigProblem[],
): z.infer<T> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const rel = issue.path;
    const path = [...base, ...(rel as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, rel);
      for (const key of issue.keys) {
        problems.push({ ...doc.locate(path, key), message: `unknown key "${key}"${didYouMean(key, known)}` });
      }
      continue;
    }
    const got = valueAt(value, rel);
    if (issue.code === 'invalid_value' && typeof got === 'string') {
      const values = (issue as unknown as { values: unknown[] }).values.map(String);
      problems.push({ ...doc.locate(path), message: `"${got}" is not one of ${values.join(', ')}${didYouMean(got, values)}` });
      continue;
    }
    if (got === undefined && issue.code === 'invalid_type') {
      // Point at the key of the mapping that lacks it: that is the line to fix.
      const parent = path.slice(0, -1);
      const at = parent.length > 0 ? doc.locate(parent.slice(0, -1), String(parent[parent.length - 1])) : doc.locate(parent);
      problems.push({ ...at, path: doc.locate(parent).path, message: `"${String(path[path.length - 1])}" is required` });
      continue;
    }
    problems.push({ ...doc.locate(path), message: issue.message });
  }
  return undefined;
}
