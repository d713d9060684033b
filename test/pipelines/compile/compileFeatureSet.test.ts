import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFeatureSet } from '../../../src/pipelines/compile/compileFeatureSet.js';
import { canonicalJson } from '../../../src/pipelines/compile/identity.js';
import { BUILTIN_DEFINITIONS } from '../../../src/pipelines/features/index.js';
import { ConfigError } from '../../../src/sdk/config/configError.js';
import { parseConfig } from '../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../src/sdk/registry.js';
import { registryFor } from '../../../src/sdk/replay.js';
import { tempDir } from '../../helpers/tables.js';

const SOURCES = `
sources:
  txns:
    time: ts
    keys: [card_id, merchant]
    columns: { card_id: string, merchant: string, amount: float64 }
  logins:
    time: ts
    keys: [user]
    columns: { user: string, ok: bool }
`;
const registry = () => FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);
const compile = (features: string, name = 'a') => compileFeatureSet(parseConfig(`name: ${name}\n${SOURCES}features:\n${features}`), registry());

const spend = `  - { name: spend, source: txns, op: sum, column: amount, windows: [30d] }\n`;

describe('compileFeatureSet', () => {
  it('gives equal features the same identity, across names and across feature sets', () => {
    const a = compile(spend, 'a');
    const b = compile(spend.replace('name: spend', 'name: outlay'), 'b');
    expect(a.nodes[0]!.identity).toBe(b.nodes[0]!.identity);
    expect(a.nodes[0]!.stepId).toBe(b.nodes[0]!.stepId);
  });

  it('changes the identity when params, key or source shape change', () => {
    const base = compile(spend).nodes[0]!.identity;
    expect(compile(spend.replace('[30d]', '[31d]')).nodes[0]!.identity).not.toBe(base);
    expect(compile(spend.replace('column: amount', 'column: amount, key: merchant')).nodes[0]!.identity).not.toBe(base);
    const otherSource = compileFeatureSet(parseConfig(`name: a\n${SOURCES.replace('amount: float64', 'amount: float64, extra: string')}features:\n${spend}`), registry());
    expect(otherSource.nodes[0]!.identity).not.toBe(base);
  });

  it('computes a feature shared by two names once, and gives both their columns', () => {
    const c = compile(spend + spend.replace('name: spend', 'name: outlay'));
    expect(c.nodes).toHaveLength(1);
    expect(c.nodes[0]!.names).toEqual(['spend', 'outlay']);
    expect(c.tables).toEqual([expect.objectContaining({ name: 'txns', kind: 'events', features: ['spend', 'outlay'] })]);
  });

  it('places derived features on the source they read, and rejects mixing sources', () => {
    const c = compile(`${spend}  - { name: big, expr: "amount > 2 * coalesce(spend_30d, 0)" }\n`);
    expect(c.derived.map((d) => [d.name, d.source])).toEqual([['big', 'txns']]);
    const logins = `  - { name: fails, source: logins, key: user, op: count, where: "not ok", window: 1h }\n`;
    const mixed = compile(`${spend}${logins}  - { name: mix, expr: "spend_30d + fails" }\n`);
    expect(mixed.derived.map((d) => [d.name, d.source, d.uses])).toEqual([['mix', undefined, ['spend_30d', 'fails']]]);
    expect(mixed.tables.find((t) => t.name === 'txns')!.features).not.toContain('mix');
    const chained = compile(`${spend}${logins}  - { name: mix, expr: "spend_30d + fails" }\n  - { name: mix2, expr: "mix * 2" }\n`);
    expect(chained.derived.map((d) => [d.name, d.source])).toEqual([['mix', undefined], ['mix2', undefined]]);
    expect(() => compile(`${spend}${logins}  - { name: mix, expr: "amount + fails" }\n`)).toThrow(/mixes sources and reads "amount", a source column/);
    expect(() => compile(`${spend}  - { name: typo, expr: "spend_3d + 1" }\n`)).toThrow(/unknown name "spend_3d"; did you mean "spend_30d"/);
    expect(() => compile(`${spend}  - { name: amount, expr: "spend_30d + 1" }\n`)).toThrow(/"amount" is already a column of source "txns"/);
  });

  it('type-checks filters against the source and reports them at the feature', () => {
    try {
      compile(`  - { name: f, source: logins, key: user, op: count, where: "ok + 1", window: 1h }\n`);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems[0]).toMatchObject({ path: 'features[0].where', line: 13 });
    }
  });

  it('loads user definitions from modules and validates their params', async () => {
    const tmp = tempDir();
    const mod = join(tmp.dir, 'doubled.ts');
    writeFileSync(
      mod,
      `import { z } from 'zod';
import { map } from 'rxjs';
import { defineFeature } from '${join(process.cwd(), 'src/sdk/defineFeature.ts')}';
export const doubled = defineFeature({
  name: 'doubled', version: 1, doc: 'twice a column', kind: 'pointInTime',
  params: z.strictObject({ column: z.string() }),
  inputs: (p) => [p.column],
  outputs: () => [{ name: '', type: 'float64' }],
  build: (p, ctx) => map((b) => ({ length: b.length, time: b.time, columns: { [ctx.columns[0]]: { type: 'float64', values: b.columns[p.column].values.map((v) => 2 * v) } } })),
});
`,
    );
    try {
      const text = `name: m\nmodules: [doubled.ts]\n${SOURCES}features:\n  - { name: twice, source: txns, definition: doubled, params: { column: amount } }\n`;
      const config = parseConfig(text, { dir: tmp.dir });
      const c = compileFeatureSet(config, await registryFor(config));
      expect(c.nodes[0]).toMatchObject({ definition: { name: 'doubled' }, kind: 'pointInTime', inputs: ['amount'] });
      const bad = parseConfig(text.replace('column: amount', 'colum: amount'), { dir: tmp.dir });
      await expect(async () => compileFeatureSet(bad, await registryFor(bad))).rejects.toThrow(/params/);
      const unknown = parseConfig(text.replace('definition: doubled', 'definition: doubld'), { dir: tmp.dir });
      await expect(async () => compileFeatureSet(unknown, await registryFor(unknown))).rejects.toThrow(/unknown feature definition "doubld"; did you mean "doubled"/);
    } finally {
      tmp.remove();
    }
  });

  it('hashes canonical JSON, whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: Infinity } })).toBe(canonicalJson({ a: { c: Infinity, d: [1, 2] }, b: 1 }));
  });
});
