import { serialize, deserialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { makeBatch, rebindDictionaries, restoreBatch, snapshotBatch } from '../../../src/pipelines/data/batch.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';

describe('a batch in a checkpoint', () => {
  it('carries only the used values of a large dictionary, and comes back onto the live one', () => {
    const live = new Dictionary(Array.from({ length: 100_000 }, (_, i) => `tx_${i}`));
    const held = makeBatch(Float64Array.of(1, 2, 3), { txn: { type: 'dictionary', codes: Int32Array.of(99_998, 5, 99_998), dictionary: live } });
    const bytes = serialize(snapshotBatch(held));
    expect(bytes.length).toBeLessThan(2_000);
    const back = restoreBatch(deserialize(bytes));
    const col = back.columns.txn!;
    expect(col.type === 'dictionary' && col.dictionary.restored).toBe(true);
    // The live dictionary of a restored process: the same values and codes, more of them.
    const mirror = new Dictionary([...live.values, 'tx_new']);
    const next = makeBatch(Float64Array.of(4), { txn: { type: 'dictionary', codes: Int32Array.of(100_000), dictionary: mirror } });
    const rebound = rebindDictionaries(back, next).columns.txn!;
    expect(rebound.type === 'dictionary' && rebound.dictionary).toBe(mirror);
    expect(rebound.type === 'dictionary' && Array.from(rebound.codes, (c) => rebound.dictionary.decode(c))).toEqual(['tx_99998', 'tx_5', 'tx_99998']);
  });

  it('keeps a small dictionary whole, so values the rows do not use still look up', () => {
    const cats = new Dictionary(['a', 'b', 'zz']);
    const held = makeBatch(Float64Array.of(1), { cat: { type: 'dictionary', codes: Int32Array.of(0), dictionary: cats } });
    const back = restoreBatch(deserialize(serialize(snapshotBatch(held))));
    const col = back.columns.cat!;
    expect(col.type === 'dictionary' && col.dictionary.lookup('zz')).toBe(2);
  });

  it('refuses a live dictionary whose codes mean other values', () => {
    const live = new Dictionary(Array.from({ length: 5000 }, (_, i) => `v${i}`));
    const held = makeBatch(Float64Array.of(1), { k: { type: 'dictionary', codes: Int32Array.of(4000), dictionary: live } });
    const back = restoreBatch(deserialize(serialize(snapshotBatch(held))));
    const other = new Dictionary(Array.from({ length: 5000 }, (_, i) => `w${i}`));
    expect(() => rebindDictionaries(back, makeBatch(Float64Array.of(2), { k: { type: 'dictionary', codes: Int32Array.of(0), dictionary: other } }))).toThrow(/does not match/);
  });
});
