import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/pipelines/data/batch.js';
import { columnFromArrow } from '../../../src/pipelines/data/arrow.js';
import type { Column, DictColumn } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import {
  categoryColumn,
  LiveScorer,
  loadModel,
  predictRows,
  readSet,
  saveModel,
  setCategoryCodes,
  tf,
  timeSplit,
  trainSet,
  useBackend,
  type SetData,
} from '../../../src/sdk/training/index.js';
import { tempDir } from '../../helpers/tables.js';
import { syntheticSet } from './helpers/synthetic.js';

/**
 * Categorical inputs: vocabularies learnt from the training split only, the OOV slot for everything
 * else, one-hot and embedding encodings, the saved preprocessing, and the label kept out.
 */

const tmp = tempDir('tributary-categorical-');
afterAll(() => tmp.remove());
beforeAll(async () => {
  await useBackend('cpu');
});

/** Training-row counts of each value of `column`, computed here from the raw strings (the reference). */
function trainingCounts(set: SetData, column: string): Map<string, number> {
  const split = timeSplit(set.time, set.label, 0.2, set.labelSpanMs);
  const v = set.table.getChild(column)!;
  const counts = new Map<string, number>();
  for (const r of split.train) counts.set(String(v.get(r)), (counts.get(String(v.get(r))) ?? 0) + 1);
  return counts;
}

/** The set's rows as a live batch: its feature columns and `cat`, optionally with `cat` replaced by one value. */
function setBatch(set: SetData, catValue?: string): Batch {
  const columns: Record<string, Column> = {};
  for (const f of set.columns) columns[f] = columnFromArrow(set.table.getChild(f)!);
  const cat = categoryColumn(set.table, 'cat');
  if (catValue === undefined) columns.cat = cat;
  else columns.cat = { type: 'dictionary', codes: new Int32Array(set.rows), dictionary: new Dictionary([catValue]) } satisfies DictColumn;
  return { length: set.rows, time: set.time, columns };
}

describe('one-hot categorical inputs', () => {
  it('learn the vocabulary from the training split only: a value seen only in validation goes to the OOV slot', async () => {
    const set = readSet(syntheticSet({ rows: 2000, categories: 6, categoryEffect: 1, lateOnlyCategory: 'late_only' }));
    const r = await trainSet(set, { epochs: 3, categorical: ['cat'] });
    const [enc] = r.meta.preprocessing.categorical!;
    expect(enc!.encoding).toBe('onehot');
    const counts = trainingCounts(set, 'cat');
    expect(counts.has('late_only')).toBe(false); // the fixture: only in the latest 10% of the rows
    expect(enc!.vocabulary).not.toContain('late_only');
    // The vocabulary is the training values by descending count (ties by value), the OOV slot empty in training.
    const expected = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
    expect(enc!.vocabulary).toEqual(expected);
    expect(enc!.counts).toEqual([0, ...expected.map((v) => counts.get(v))]);
    // Rows holding the late value are encoded as OOV (index 0).
    const codes = setCategoryCodes(set, r.meta.preprocessing.categorical!);
    const cat = set.table.getChild('cat')!;
    let late = 0;
    for (let i = 0; i < set.rows; i++) {
      if (cat.get(i) === 'late_only') (late++, expect(codes[i]).toBe(0));
      else expect(enc!.vocabulary[codes[i]! - 1]).toBe(cat.get(i));
    }
    expect(late).toBeGreaterThan(10);
    // The model learnt the planted category effect: it beats the same model without the category.
    const plain = await trainSet(set, { epochs: 3 });
    expect(r.metrics.logLoss!).toBeLessThan(plain.metrics.logLoss! - 0.02);
  });

  it('keep the most frequent values up to maxCategories; the rest, rare or unseen, share the OOV slot at inference', async () => {
    const set = readSet(syntheticSet({ rows: 3000, categories: 30, categoryEffect: 1 }));
    const r = await trainSet(set, { epochs: 2, categorical: [{ column: 'cat', maxCategories: 5, encoding: 'onehot' }] });
    const [enc] = r.meta.preprocessing.categorical!;
    const counts = trainingCounts(set, 'cat');
    const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
    expect(enc!.vocabulary).toEqual(top.map(([v]) => v));
    const trainRows = [...counts.values()].reduce((a, b) => a + b, 0);
    expect(enc!.counts[0]).toBe(trainRows - top.reduce((s, [, n]) => s + n, 0));

    // Inference: a value never seen, a value cut by the cap, and the OOV slot itself score the same; no crash.
    const scorer = new LiveScorer(r.model, r.meta);
    const cut = [...counts.keys()].find((v) => !enc!.vocabulary.includes(v))!;
    const unseen = scorer.score(setBatch(set, 'never_seen_value'));
    expect(Array.from(scorer.score(setBatch(set, cut)))).toEqual(Array.from(unseen));
    const kept = scorer.score(setBatch(set, enc!.vocabulary[0]!));
    expect(Array.from(kept)).not.toEqual(Array.from(unseen));
    for (const p of unseen) expect(p).toBeGreaterThan(0);
    // A null category is OOV too.
    const nullCat = setBatch(set, 'x');
    (nullCat.columns as Record<string, Column>).cat = { ...(nullCat.columns.cat as DictColumn), validity: new Uint8Array((set.rows + 7) >> 3) };
    expect(Array.from(scorer.score(nullCat))).toEqual(Array.from(unseen));
    scorer.dispose();
  });
});

describe('embedded categorical inputs', () => {
  it('an embedding (auto above 16 values) trains, beats the model without it, and scores the same after a save and load', async () => {
    const set = readSet(syntheticSet({ rows: 4000, categories: 40, categoryEffect: 1, lateOnlyCategory: 'late_only' }));
    const r = await trainSet(set, { model: 'mlp', epochs: 6, categorical: ['cat'] });
    const [enc] = r.meta.preprocessing.categorical!;
    expect(enc!.encoding).toBe('embedding');
    expect(enc!.vocabulary).toHaveLength(40);
    expect(enc!.dimension).toBe(7); // ceil(sqrt(41))
    const embedding = r.model.layers.find((l) => l.getClassName() === 'Embedding')!;
    expect(embedding.getWeights()[0]!.shape).toEqual([41, 7]); // the OOV row and one per value
    const plain = await trainSet(set, { model: 'mlp', epochs: 6 });
    expect(r.beatsBaseline).toBe(true);
    expect(r.metrics.logLoss!).toBeLessThan(plain.metrics.logLoss! - 0.02);

    const dir = `${tmp.dir}/embedding`;
    await saveModel(dir, r.model, r.meta);
    const loaded = await loadModel(dir);
    expect(loaded.meta.preprocessing).toEqual(r.meta.preprocessing);
    const before = predictRows(r.model, r.meta, set);
    const tensors = tf.memory().numTensors;
    const after = predictRows(loaded.model, loaded.meta, set);
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('the saved preprocessing, applied by the live scorer', () => {
  it('round trip: a loaded model scores a batch of live columns as predictRows scores the set matrix', async () => {
    const set = readSet(syntheticSet({ rows: 1500, categories: 6, categoryEffect: 1, lateOnlyCategory: 'late_only' }));
    const r = await trainSet(set, { epochs: 3, categorical: [{ column: 'cat', encoding: 'onehot' }] });
    const dir = `${tmp.dir}/onehot`;
    await saveModel(dir, r.model, r.meta);
    const { model, meta } = await loadModel(dir);
    expect(meta.preprocessing.categorical).toEqual(r.meta.preprocessing.categorical);
    expect(meta.preprocessing.missingIndicators).toEqual(['b']);
    // Two paths: the set's Float32 matrix and Arrow dictionary (predictRows), and per-feature Float64
    // columns with validity and a dictionary column, laid out by the scorer itself.
    const fromSet = predictRows(model, meta, set);
    const scorer = new LiveScorer(model, meta);
    const live = scorer.score(setBatch(set));
    expect(Array.from(live)).toEqual(Array.from(fromSet));
    // Another column order and a dictionary in another order change nothing.
    const b = setBatch(set);
    const cat = b.columns.cat as DictColumn;
    const reversed = new Dictionary([...cat.dictionary.values].reverse());
    const recoded: DictColumn = { type: 'dictionary', codes: Int32Array.from(cat.codes, (c) => reversed.lookup(cat.dictionary.decode(c))), dictionary: reversed };
    const shuffled: Batch = { ...b, columns: { cat: recoded, b: b.columns.b!, a: b.columns.a! } };
    expect(Array.from(scorer.score(shuffled))).toEqual(Array.from(fromSet));
    expect(() => scorer.score({ ...b, columns: { a: b.columns.a!, b: b.columns.b! } })).toThrow(/no column "cat", a categorical input/);
    scorer.dispose();
  });
});

describe('the label is never an input, categorical or not', () => {
  it('refuses the label named as a categorical input', async () => {
    const set = readSet(syntheticSet({ rows: 600, categories: 4 }));
    await expect(trainSet(set, { epochs: 1, categorical: ['y'] })).rejects.toThrow(/"y" is the label/);
  });

  it('refuses a string column that is the label in words', async () => {
    const set = readSet(syntheticSet({ rows: 600, labelText: 'y_words' }));
    await expect(trainSet(set, { epochs: 1, categorical: ['y_words'] })).rejects.toThrow(/"y_words" determines the label "y"/);
  });

  it('accepts a high-cardinality id (its rare values share the OOV slot), and keeps the label out of the saved inputs', async () => {
    const set = readSet(syntheticSet({ rows: 800, categories: 4, rowIds: 'row_id' }));
    const r = await trainSet(set, { epochs: 1, categorical: ['cat', 'row_id'] });
    expect(r.meta.preprocessing.categorical!.map((c) => c.column)).toEqual(['cat', 'row_id']);
    expect(r.meta.preprocessing.categorical!.find((c) => c.column === 'row_id')!.encoding).toBe('embedding');
    expect(r.meta.preprocessing.features).toEqual(['a', 'b']);
    expect(JSON.stringify(r.meta.preprocessing)).not.toMatch(/"y"/);
  });

  it('refuses a numeric feature, the time column or a column named twice as a categorical', async () => {
    const set = readSet(syntheticSet({ rows: 300, categories: 4 }));
    await expect(trainSet(set, { epochs: 1, categorical: ['a'] })).rejects.toThrow(/numeric feature/);
    await expect(trainSet(set, { epochs: 1, categorical: ['ts'] })).rejects.toThrow(/time column/);
    await expect(trainSet(set, { epochs: 1, categorical: ['cat', 'cat'] })).rejects.toThrow(/named twice/);
    await expect(trainSet(set, { epochs: 1, categorical: ['nope'] })).rejects.toThrow(/no column "nope"/);
  });
});
