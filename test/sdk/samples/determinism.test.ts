import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSamples, Rng, SAMPLE_DOMAINS, type SampleDomain, type SampleOptions } from '../../../src/sdk/samples/index.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

/** Generate into a fresh dir; file name -> sha256 of its bytes. */
async function hashes(domain: SampleDomain, opts: SampleOptions): Promise<Record<string, string>> {
  const { dir, cleanup } = tempDir(`${domain}-det`);
  cleanups.push(cleanup);
  const { files } = await generateSamples(domain, dir, opts);
  expect(files.map((f) => basename(f.path)).sort()).toEqual(readdirSync(dir).sort());
  return Object.fromEntries(files.map((f) => [basename(f.path), createHash('sha256').update(readFileSync(join(dir, basename(f.path)))).digest('hex')]));
}

describe('sample generators are deterministic', () => {
  for (const domain of SAMPLE_DOMAINS) {
    it(`${domain}: same seed gives identical bytes; another seed or start gives other data`, async () => {
      const small = { scale: 0.05 };
      const a = await hashes(domain, { ...small, seed: 7 });
      const b = await hashes(domain, { ...small, seed: 7 });
      expect(b).toEqual(a);
      const c = await hashes(domain, { ...small, seed: 8 });
      expect(Object.keys(c)).toEqual(Object.keys(a));
      // Every file with data differs (a file could only match if both were empty but for the header).
      const main = Object.keys(a)[0]!;
      expect(c[main]).not.toBe(a[main]);
      const d = await hashes(domain, { ...small, seed: 7, start: Date.UTC(2024, 5, 1) });
      expect(d[main]).not.toBe(a[main]);
    });
  }

  it('reports progress up to the total row count, and rejects bad options', async () => {
    const { dir, cleanup } = tempDir('progress');
    cleanups.push(cleanup);
    const seen: number[] = [];
    const { files } = await generateSamples('payments', dir, { scale: 0.2, onProgress: (n) => seen.push(n) });
    const total = files.reduce((n, f) => n + f.rows, 0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(total);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    await expect(generateSamples('payments', dir, { scale: 0 })).rejects.toThrow(/scale/);
    await expect(generateSamples('payments', dir, { seed: 1.5 })).rejects.toThrow(/seed/);
    await expect(generateSamples('nope' as SampleDomain, dir)).rejects.toThrow(/unknown sample domain/);
  });
});

describe('Rng', () => {
  it('repeats for a seed, and its helpers stay in range', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(new Rng(124).next()).not.toBe(xs[0]);

    const r = new Rng(5);
    const n = 20_000;
    let sum = 0;
    let sq = 0;
    let pois = 0;
    let expo = 0;
    for (let i = 0; i < n; i++) {
      const u = r.float();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const z = r.normal();
      sum += z;
      sq += z * z;
      pois += r.poisson(3);
      expo += r.exponential(2);
      const k = r.int(2, 5);
      expect(k >= 2 && k < 5 && Number.isInteger(k)).toBe(true);
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
    expect(Math.abs(pois / n - 3)).toBeLessThan(0.06);
    expect(Math.abs(expo / n - 0.5)).toBeLessThan(0.02);

    let heavy = 0;
    for (let i = 0; i < n; i++) if (r.pickWeighted(['a', 'b'], [9, 1]) === 'a') heavy++;
    expect(Math.abs(heavy / n - 0.9)).toBeLessThan(0.01);
    const deck = r.shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...deck].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.hex(12)).toMatch(/^[0-9a-f]{12}$/);
  });
});
