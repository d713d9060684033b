import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { makeBatch, type Batch } from '../../../src/pipelines/data/batch.js';
import { valueAt } from '../../../src/pipelines/data/column.js';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';
import { keyBy } from '../../../src/pipelines/operators/keyBy.js';
import { createRuntime } from '../../../src/pipelines/runtime/context.js';

function batch(users: string[], shops: number[], dict: Dictionary): Batch {
  return makeBatch(Float64Array.from(users, (_, i) => i), {
    user: { type: 'dictionary', codes: Int32Array.from(users, (u) => dict.encode(u)), dictionary: dict },
    shop: { type: 'float64', values: Float64Array.from(shops) },
  });
}

describe('keyBy', () => {
  it('adds stable composite key codes and the key space to every batch', async () => {
    const dict = new Dictionary();
    const rt = createRuntime();
    const inputs = [batch(['a', 'b', 'a'], [1, 1, 2], dict), batch([], [], dict), batch(['b', 'a', 'c'], [1, 2, 1], dict)];
    const out = await lastValueFrom(from(inputs).pipe(keyBy(rt.step('k', 's'), ['user', 'shop']), toArray()));
    // One batch per input, then an empty one at the end that hands the key space on.
    expect(out.map((b) => Array.from(b.keys))).toEqual([[0, 1, 2], [], [1, 2, 3], []]);
    expect(out[3]!.keySpace).toBe(out[0]!.keySpace);
    // The input columns pass through untouched.
    expect(out[0]!.columns.user).toBe(inputs[0]!.columns.user);
    const ks = out[2]!.keySpace;
    expect(out[0]!.keySpace).toBe(ks);
    expect(ks.size).toBe(4);
    const dec = ks.decode(Int32Array.of(3, 0));
    expect([valueAt(dec.user!, 0), valueAt(dec.shop!, 0), valueAt(dec.user!, 1), valueAt(dec.shop!, 1)]).toEqual(['c', 1, 'a', 1]);
    expect(rt.store.keys()).toEqual(['k/keys']);
  });

  it('gives one global group with no key column', async () => {
    const dict = new Dictionary();
    const rt = createRuntime();
    const out = await lastValueFrom(from([batch(['a', 'b'], [1, 2], dict)]).pipe(keyBy(rt.step('k', 's'), []), toArray()));
    expect(Array.from(out[0]!.keys)).toEqual([0, 0]);
  });

  it('errors when a key column is missing', async () => {
    const rt = createRuntime();
    const b = makeBatch(Float64Array.of(1), {});
    await expect(lastValueFrom(from([b]).pipe(keyBy(rt.step('k', 's'), ['user'])))).rejects.toThrow(/"user" is not in the batch/);
  });
});
