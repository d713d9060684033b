import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { dictColumn } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { PredictionLog, predictionsOf, type ModelMeta } from '../../../src/sdk/training/index.js';
import { tempDir } from '../../helpers/tables.js';

const tmp = tempDir('tributary-prediction-log-');
afterAll(() => tmp.remove());

const meta = (task: ModelMeta['task'], classes?: number[]): ModelMeta => ({
  format: 'tributary-model/1',
  kind: 'logistic',
  task,
  label: 'y',
  ...(classes && { classes }),
  preprocessing: { features: ['a'], mean: [0], std: [1], missingIndicators: [] },
  trainedOn: { set: 's' },
});

/** Rows with a key `k` on a dictionary of its own (as live batches may have), times `t0, t0 + 1, ...`. */
function rows(keys: string[], t0: number): Batch {
  const d = new Dictionary(['unused', ...keys].reverse());
  return { length: keys.length, time: Float64Array.from(keys, (_, i) => t0 + i), columns: { k: dictColumn(Int32Array.from(keys, (k) => d.lookup(k)), d) } };
}

describe('PredictionLog', () => {
  it('appends a record batch per call to an Arrow stream, readable before and after close', () => {
    const file = join(tmp.dir, 'binary', 'p.arrows');
    const log = new PredictionLog(file, ['k'], 'ts', meta('binary'));
    log.append(rows(['a', 'b'], 1000), predictionsOf(meta('binary'), Float32Array.of(0.25, 0.5), 2));
    log.append(rows(['c'], 2000), predictionsOf(meta('binary'), Float32Array.of(0.75), 1));
    const open = tableFromIPC(readFileSync(file)); // no end marker yet
    expect(open.numRows).toBe(3);
    log.append(rows(['d'], 3000), predictionsOf(meta('binary'), Float32Array.of(1), 1));
    log.close();
    const t = tableFromIPC(readFileSync(file));
    expect(t.schema.fields.map((f) => f.name)).toEqual(['k', 'ts', 'prediction', 'score']);
    expect(t.batches).toHaveLength(3);
    expect(t.toArray().map((r) => r.toJSON())).toEqual([
      { k: 'a', ts: 1000, prediction: 0.25, score: 0.25 },
      { k: 'b', ts: 1001, prediction: 0.5, score: 0.5 },
      { k: 'c', ts: 2000, prediction: 0.75, score: 0.75 },
      { k: 'd', ts: 3000, prediction: 1, score: 1 },
    ]);
    expect(JSON.parse(t.schema.metadata.get('tributary.model')!)).toMatchObject({ task: 'binary', label: 'y', set: 's' });
    expect(log.rows).toBe(4);
    expect(() => log.append(rows(['e'], 4000), predictionsOf(meta('binary'), Float32Array.of(0), 1))).toThrow(/closed/);
  });

  it('multiclass: the most likely class, its probability, and one column per class', () => {
    const m = meta('multiclass', [-1, 0, 1]);
    const file = join(tmp.dir, 'multi.arrows');
    const log = new PredictionLog(file, ['k'], 'ts', m);
    log.append(rows(['a', 'b'], 0), predictionsOf(m, Float32Array.of(0.2, 0.5, 0.3, 0.7, 0.2, 0.1), 2));
    log.close();
    const t = tableFromIPC(readFileSync(file));
    expect(t.schema.fields.map((f) => f.name)).toEqual(['k', 'ts', 'prediction', 'score', 'p_-1', 'p_0', 'p_1']);
    expect(Array.from(t.getChild('prediction')!.toArray() as Float64Array)).toEqual([0, -1]);
    expect(Array.from(t.getChild('score')!.toArray() as Float32Array)).toEqual([Math.fround(0.5), Math.fround(0.7)]);
  });

  it('an empty log still reads as an empty table with its schema', () => {
    const file = join(tmp.dir, 'empty.arrows');
    new PredictionLog(file, ['k'], 'ts', meta('regression')).close();
    const t = tableFromIPC(readFileSync(file));
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['k', 'ts', 'prediction', 'score']);
  });
});
