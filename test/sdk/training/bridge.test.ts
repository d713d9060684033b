import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchDataset, loadModel, permute, predictRows, readSet, saveModel, seededRandom, tf, timeSplit, toTensors, trainSet, useBackend } from '../../../src/sdk/training/index.js';
import { syntheticSet } from './helpers/synthetic.js';

/** The CPU backend's storage for a tensor: what `dataSync` would hand out, without copying. */
function backendValues(t: tf.Tensor): unknown {
  return (tf.engine().backend as unknown as { data: { get(id: object): { values: unknown } } }).data.get(t.dataId).values;
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('the TF.js bridge', () => {
  it('on the CPU backend, the tensor data is the Arrow child Float32Array itself', () => {
    const table = syntheticSet({ rows: 100 });
    const child = table.getChild('features')!.data[0]!.children[0]!.values as Float32Array;
    const set = readSet(table);
    expect(set.matrix.buffer).toBe(child.buffer);
    expect(set.matrix.byteOffset).toBe(child.byteOffset);
    const { x, y } = toTensors(set);
    expect(tf.getBackend()).toBe('cpu');
    expect(x.shape).toEqual([100, 2]);
    expect(backendValues(x)).toBe(set.matrix); // the same object: no copy
    expect((backendValues(x) as Float32Array).buffer).toBe(child.buffer);
    // Writing through the Arrow buffer shows in the tensor: they are one memory.
    const before = child[0]!;
    child[0] = 12345;
    expect(x.dataSync()[0]).toBe(12345);
    child[0] = before;
    expect(y.shape).toEqual([100]);
    x.dispose();
    y.dispose();
  });

  it('also shares the buffer of a set read back from Arrow IPC bytes', () => {
    const bytes = tableToIPC(syntheticSet({ rows: 64 }), 'file');
    const table = tableFromIPC(bytes);
    const set = readSet(table);
    expect(set.matrix.buffer).toBe(bytes.buffer);
    const { x } = toTensors(set);
    expect(backendValues(x)).toBe(set.matrix);
    x.dispose();
  });

  it('splits by time, never at random, with an embargo of the label horizon', () => {
    const set = readSet(syntheticSet({ rows: 1000, nullLabelTail: 30 }));
    const s = timeSplit(set.time, set.label, 0.2, set.labelSpanMs);
    const maxTrain = Math.max(...Array.from(s.train, (r) => set.time[r]!));
    const minVal = Math.min(...Array.from(s.validation, (r) => set.time[r]!));
    expect(maxTrain + set.labelSpanMs!).toBeLessThan(minVal);
    expect(minVal).toBe(s.cutoffMs);
    expect(s.embargoed).toBe(5); // rows one minute apart, a 5-minute horizon
    expect(s.train.length + s.validation.length + s.embargoed).toBe(970); // null labels in neither side
    expect(s.validation.length).toBe(194);
  });

  it('shuffles by permuting row indices, and batches gather exactly the rows of the matrix', async () => {
    const set = readSet(syntheticSet({ rows: 300 }));
    const snapshot = set.matrix.slice();
    const rows = Int32Array.from({ length: 250 }, (_, i) => i + 10);
    const p = permute(rows, seededRandom(3));
    expect([...p].sort((a, b) => a - b)).toEqual([...rows]);
    expect(p).not.toEqual(rows);
    const { x, y } = toTensors(set);
    const seen: number[] = [];
    await batchDataset(x, y, rows, { batchSize: 64 }).forEachAsync(({ xs, ys }) => {
      const xv = xs.dataSync();
      const yv = ys.dataSync();
      // Identify each batch row by its label and features against the matrix.
      for (let i = 0; i < xs.shape[0]; i++) {
        const r = rows.find((rr) => set.matrix[rr * 2] === xv[i * 2] && Object.is(set.matrix[rr * 2 + 1], xv[i * 2 + 1]))!;
        expect(yv[i]).toBe(set.label[r]);
        seen.push(r);
      }
      expect(xs.shape[0]).toBeLessThanOrEqual(64);
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...rows]);
    expect(set.matrix).toEqual(snapshot); // the data never moved
    x.dispose();
    y.dispose();
  });
});

describe('training never feeds the label in', () => {
  it('the feature list is the matrix columns, without the label', async () => {
    const set = readSet(syntheticSet({ rows: 600 }));
    expect(set.labelName).toBe('y');
    expect(set.columns).toEqual(['a', 'b']);
    const r = await trainSet(set, { epochs: 2 });
    expect(r.meta.preprocessing.features).toEqual(['a', 'b']);
    expect(r.meta.preprocessing.features).not.toContain('y');
    expect(r.meta.preprocessing.missingIndicators).toEqual(['b']);
  });

  it('refuses a set whose matrix lists the label by name', () => {
    expect(() => readSet(syntheticSet({ rows: 200, labelInMatrixMetadata: true, labelCopy: 'y_copy' }))).toThrow(/label "y" among its features/);
  });

  it('refuses a planted copy of the label under another name', async () => {
    const set = readSet(syntheticSet({ rows: 400, labelCopy: 'leak' }));
    await expect(trainSet(set, { epochs: 1 })).rejects.toThrow(/"leak" equals the label "y"/);
  });
});

describe('train, save, load, score', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-model-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('beats the baseline on a planted signal, and a saved model scores the same after loading', async () => {
    const set = readSet(syntheticSet({ rows: 3000 }));
    const r = await trainSet(set, { model: 'mlp', epochs: 5 });
    expect(r.task).toBe('binary');
    expect(r.beatsBaseline).toBe(true);
    expect(r.metrics.auc!).toBeGreaterThan(0.9);
    expect(r.history).toHaveLength(5);
    const before = predictRows(r.model, r.meta, set);
    await saveModel(dir, r.model, r.meta);
    const loaded = await loadModel(dir);
    expect(loaded.meta.preprocessing).toEqual(r.meta.preprocessing);
    const tensors = tf.memory().numTensors;
    const after = predictRows(loaded.model, loaded.meta, set);
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(tf.memory().numTensors).toBe(tensors); // scoring leaks no tensor
  });
});
