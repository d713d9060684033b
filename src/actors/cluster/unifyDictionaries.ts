import type { Batch } from '../../pipelines/data/batch.js';
import type { Column } from '../../pipelines/data/column.js';
import type { Dictionary } from '../../pipelines/data/dictionary.js';

/**
 * Batches of one table with each dictionary column on one dictionary, so they can be merged: a
 * column over a dictionary a node made (sent by value) or one read back from a checkpoint's epoch
 * file is recoded onto the live one (`preferred`, the log's, when a batch carries it), else onto
 * the first seen. The log's dictionaries only grow and never change a code, so recoding stored
 * values onto them gives the same codes.
 */
export function unifyDictionaries(batches: readonly Batch[], preferred: (d: Dictionary) => boolean): Batch[] {
  const targets = new Map<string, Dictionary>();
  for (const b of batches) {
    for (const [name, c] of Object.entries(b.columns)) {
      if (c.type !== 'dictionary') continue;
      const t = targets.get(name);
      if (t === undefined || (!preferred(t) && preferred(c.dictionary))) targets.set(name, c.dictionary);
    }
  }
  const recodes = new Map<Dictionary, Map<string, Int32Array>>();
  return batches.map((b) => {
    let columns: Record<string, Column> | undefined;
    for (const [name, c] of Object.entries(b.columns)) {
      const target = targets.get(name);
      if (c.type !== 'dictionary' || target === undefined || c.dictionary === target) continue;
      let byTarget = recodes.get(c.dictionary);
      if (byTarget === undefined) recodes.set(c.dictionary, (byTarget = new Map()));
      let map = byTarget.get(name);
      // A hole (a code a restored stand-in never knew, sent as null) is used by no row: no value to add.
      if (map === undefined) byTarget.set(name, (map = Int32Array.from(c.dictionary.values, (v) => (v === undefined || v === null ? -1 : target.encode(v)))));
      const codes = new Int32Array(c.codes.length);
      for (let i = 0; i < codes.length; i++) {
        const code = c.codes[i]!;
        codes[i] = code >= 0 && code < map.length ? map[code]! : code;
      }
      columns ??= { ...b.columns };
      columns[name] = { ...c, codes, dictionary: target };
    }
    return columns === undefined ? b : { ...b, columns };
  });
}
