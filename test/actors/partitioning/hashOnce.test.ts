import { describe, expect, it, vi } from 'vitest';
import { Dictionary } from '../../../src/pipelines/data/dictionary.js';

// Count the calls of hashKey made by keyGroupsOf, which must hash each distinct value once,
// never once per row.
vi.mock('../../../src/actors/partitioning/keyHash.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/actors/partitioning/keyHash.js')>();
  return { ...real, hashKey: vi.fn(real.hashKey) };
});

const { hashKey } = await import('../../../src/actors/partitioning/keyHash.js');
const { KeyHashes, keyGroupsOf } = await import('../../../src/actors/partitioning/keyGroupsOf.js');

describe('keyGroupsOf hashing', () => {
  it('hashes each distinct dictionary value once, across batches', () => {
    const d = new Dictionary(['a', 'b', 'c']);
    const hashes = new KeyHashes();
    const rows = Int32Array.from({ length: 10_000 }, (_, i) => i % 3);
    keyGroupsOf({ type: 'dictionary', codes: rows, dictionary: d }, 128, hashes);
    expect(vi.mocked(hashKey)).toHaveBeenCalledTimes(3);
    d.encode('d');
    keyGroupsOf({ type: 'dictionary', codes: Int32Array.of(3, 0, 3, 1), dictionary: d }, 128, hashes);
    expect(vi.mocked(hashKey)).toHaveBeenCalledTimes(4);
    keyGroupsOf({ type: 'dictionary', codes: rows, dictionary: d }, 64, hashes);
    expect(vi.mocked(hashKey)).toHaveBeenCalledTimes(4);
  });
});
