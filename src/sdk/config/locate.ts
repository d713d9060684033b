import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatPath, type ConfigLocation } from './configError.js';

export type ConfigPath = readonly (string | number)[];

/** A parsed YAML document that can say where any path in it is written. */
export interface LocatedDocument {
  readonly value: unknown;
  readonly yamlErrors: { message: string; line: number; column: number }[];
  /** The place of the value at `path`, or of its nearest ancestor that exists. With `keyOf`, the place of that key. */
  locate(path: ConfigPath, keyOf?: string): ConfigLocation;
}

export function parseLocated(text: string, file: string): LocatedDocument {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const yamlErrors = doc.errors.map((e) => ({ message: e.message.split('\n')[0]!, ...at(e.pos[0]) }));
  const locate = (path: ConfigPath, keyOf?: string): ConfigLocation => {
    let node: unknown = doc.contents;
    let offset = 0;
    for (let depth = 0; depth <= path.length; depth++) {
      const n = node as Node | null;
      if (n?.range) offset = n.range[0];
      if (depth === path.length) break;
      const next = (doc.getIn(path.slice(0, depth + 1), true) as unknown) ?? null;
      if (next === null) break;
      node = next;
    }
    if (keyOf !== undefined && isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && it.key.value === keyOf);
      const range = (pair?.key as Node | undefined)?.range;
      if (range) offset = range[0];
    }
    const fullPath = keyOf === undefined ? path : [...path, keyOf];
    return { file, ...at(offset), path: formatPath(fullPath) };
  };
  return { value: doc.toJS({ maxAliasCount: 100 }), yamlErrors, locate };
}
