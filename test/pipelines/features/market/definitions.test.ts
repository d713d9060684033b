import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { compileFeatureSet } from '../../../../src/pipelines/compile/compileFeatureSet.js';
import { BUILTIN_DEFINITIONS } from '../../../../src/pipelines/features/index.js';
import { MARKET_DEFINITIONS } from '../../../../src/pipelines/features/market/index.js';
import { loadConfig, parseConfig } from '../../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../../src/sdk/registry.js';

const registry = () => FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);
const NAMES = ['order_book', 'mid_price', 'relative_spread', 'book_imbalance', 'volatility', 'trade_imbalance', 'ohlcv', 'ewma', 'pct_change'];

describe('the market feature library', () => {
  it('is registered with the built-ins', () => {
    expect(MARKET_DEFINITIONS.map((d) => d.name)).toEqual(NAMES);
    for (const name of NAMES) expect(registry().get(name), name).toBeDefined();
  });

  it('documents every param, has a default for every param, and is listed with its params in docs/configuration.md', () => {
    const docs = readFileSync('docs/configuration.md', 'utf8');
    for (const d of MARKET_DEFINITIONS) {
      const schema = z.toJSONSchema(d.params, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, { description?: string; default?: unknown }>; required?: string[] };
      expect(schema.required ?? [], `${d.name}: every param is optional`).toEqual([]);
      // Defaults parse: a definition can be used with no params at all.
      expect(() => d.params.parse({}), d.name).not.toThrow();
      const section = docs.slice(docs.indexOf(`\`${d.name}\``));
      expect(docs.includes(`\`${d.name}\``), `${d.name} in docs`).toBe(true);
      for (const [param, s] of Object.entries(schema.properties)) {
        expect(s.description, `${d.name}.${param} has a description`).toBeTruthy();
        expect(section.includes(param), `${d.name}.${param} in docs`).toBe(true);
      }
      expect(d.doc.length).toBeGreaterThan(20);
    }
  });

  it('compiles configs/market.yaml with each definition, in the right kind of table', () => {
    const c = compileFeatureSet(loadConfig('configs/market.yaml'), registry());
    const used = new Set(c.nodes.map((n) => n.definition.name));
    for (const name of ['order_book', 'volatility', 'trade_imbalance', 'ohlcv', 'ewma', 'pct_change']) expect(used, name).toContain(name);
    const l2 = c.nodes.find((n) => n.names.includes('l2'))!;
    expect(l2.kind).toBe('pointInTime');
    expect(l2.columns.get('l2')).toEqual(['l2_bid', 'l2_ask', 'l2_bid_size', 'l2_ask_size', 'l2_mid', 'l2_spread', 'l2_relative_spread', 'l2_microprice', 'l2_imbalance_1', 'l2_imbalance_5', 'l2_imbalance_10']);
    expect(c.tables.find((t) => t.name === 'book')!.features).toContain('l2');
    expect(c.tables.find((t) => t.name === 'ohlcv_1m')).toMatchObject({ kind: 'windows', timeColumn: 'window_end' });
  });

  it('gives a feature the same identity however its durations are written, and reports bad params at the feature', () => {
    const config = (params: string) =>
      parseConfig(`name: m
sources:
  tickers:
    time: ts
    keys: [symbol]
    columns: { symbol: string, mid: float64 }
features:
  - { name: vol, source: tickers, definition: volatility, params: ${params} }
`);
    const a = compileFeatureSet(config('{ column: mid, window: 1m }'), registry()).nodes[0]!;
    const b = compileFeatureSet(config('{ column: mid, window: 60000, returns: log }'), registry()).nodes[0]!;
    expect(a.identity).toBe(b.identity);
    expect(compileFeatureSet(config('{ column: mid, window: 2m }'), registry()).nodes[0]!.identity).not.toBe(a.identity);
    expect(() => compileFeatureSet(config('{ column: mid, window: 1 minute }'), registry())).toThrow(/features\[0\]\.params\.window/);
    expect(() => compileFeatureSet(config('{ column: midd }'), registry())).toThrow(/reads column "midd".*did you mean "mid"/);
  });
});
