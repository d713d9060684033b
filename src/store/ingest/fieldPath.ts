/**
 * Column names may be dotted paths into nested input: `attributes.page` reads `obj.attributes.page`
 * when `obj` has no literal key `attributes.page` (a literal key wins, so flat data with dots in its
 * names still works).
 */
export interface FieldPath {
  readonly name: string;
  /** The path's parts, or undefined when the name has no dot. */
  readonly parts: readonly string[] | undefined;
}

export function fieldPath(name: string): FieldPath {
  return { name, parts: name.includes('.') ? name.split('.') : undefined };
}

/** The value at `path` in `obj`, or undefined when any step is missing. */
export function valueAtPath(obj: Record<string, unknown>, path: FieldPath): unknown {
  if (Object.hasOwn(obj, path.name)) return obj[path.name];
  return path.parts === undefined ? undefined : walk(obj, path.parts, 0);
}

/** `obj[parts[from]][parts[from + 1]]…`; objects here may be plain objects or Arrow StructRows. */
export function walk(obj: unknown, parts: readonly string[], from: number): unknown {
  let v = obj;
  for (let i = from; i < parts.length; i++) {
    if (v === null || typeof v !== 'object') return undefined;
    const part = parts[i]!;
    // Own keys only for plain objects, so that `constructor` or `__proto__` never read the prototype.
    if (Object.getPrototypeOf(v) === Object.prototype && !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Where a field is found in columnar input: a top-level column, and a path inside it for structs. */
export interface ColumnRef {
  readonly column: string;
  readonly parts: readonly string[] | undefined;
}

/** A literal column name wins; otherwise `a.b.c` reads field `b.c` of struct column `a`. */
export function locateColumn(field: string, names: readonly string[]): ColumnRef | undefined {
  if (names.includes(field)) return { column: field, parts: undefined };
  const parts = field.split('.');
  return parts.length > 1 && names.includes(parts[0]!) ? { column: parts[0]!, parts: parts.slice(1) } : undefined;
}

/**
 * Throw when the input lacks the time column or a key: every row would be a dead letter, so the file
 * is wrong as a whole. `found[k]` says whether `fields[k]` was found; `where` is e.g. "the CSV header".
 */
export function requireFields(
  file: string,
  where: string,
  fields: readonly string[],
  required: readonly string[],
  found: readonly unknown[],
  names: readonly string[],
): void {
  for (const f of required) {
    if (found[fields.indexOf(f)] === undefined || found[fields.indexOf(f)] === -1) {
      const what = f === fields[0] ? 'time column' : 'key column';
      throw new Error(`${file}: ${where} has no ${what} "${f}" (columns: ${names.join(', ')})`);
    }
  }
}
