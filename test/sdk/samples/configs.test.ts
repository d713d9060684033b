import { readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, parse, type ValueType } from '../../../src/pipelines/expressions/index.js';
import { featureColumnNames } from '../../../src/sdk/config/featureColumns.js';
import { loadConfig } from '../../../src/sdk/config/loadConfig.js';
import type { FeatureSetConfig, SourceConfig } from '../../../src/sdk/config/types.js';
import { MARKET_FILES, MARKET_LATENESS_MS, PAYMENTS_FILES, SAMPLE_DOMAINS, type SampleDomain, USER_EVENTS_FILES } from '../../../src/sdk/samples/index.js';

const CONFIG_DIR = 'configs';
const configFiles = readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));

const GENERATED: Record<SampleDomain, readonly string[]> = {
  market: Object.values(MARKET_FILES),
  user_events: Object.values(USER_EVENTS_FILES),
  payments: Object.values(PAYMENTS_FILES),
};

function sourceScope(s: SourceConfig): Record<string, ValueType> {
  const scope: Record<string, ValueType> = {};
  for (const [c, t] of Object.entries(s.columns)) scope[c] = t === 'string' ? 'string' : t === 'bool' ? 'bool' : 'number';
  for (const d of Object.keys(s.derive)) scope[d] = 'number';
  return scope;
}

/**
 * Type-check every expression of a config the way the engine reads them: computed columns over their
 * source, filters (bool) over their source, derived features over one source's columns plus the
 * point-in-time (sliding) features computed on it and the derived features before them.
 */
function checkExpressions(config: FeatureSetConfig): void {
  const tables: Record<string, Record<string, ValueType>> = {};
  for (const s of Object.values(config.sources)) {
    const base = sourceScope(s);
    for (const [name, text] of Object.entries(s.derive)) {
      expect(check(parse(text), base, text), `${s.name}.derive.${name}`).toBe('number');
    }
    tables[s.name] = { ...base };
  }
  for (const f of config.features) {
    if (f.kind !== 'aggregate') continue;
    if (f.where !== undefined) expect(check(parse(f.where), sourceScope(config.sources[f.source]!), f.where), `${f.name}.where`).toBe('bool');
    if (f.windows.every((w) => w.type === 'sliding')) for (const c of featureColumnNames(f)) tables[f.source]![c] = 'number';
  }
  for (const f of config.features) {
    if (f.kind !== 'derived') continue;
    const ast = parse(f.expr);
    const home = Object.keys(tables).find((s) => {
      try {
        check(ast, tables[s]!, f.expr);
        return true;
      } catch {
        return false;
      }
    });
    expect(home, `derived feature ${f.name} (${f.expr}) reads the names of one source`).toBeDefined();
    expect(check(ast, tables[home!]!, f.expr)).toBe('number');
    tables[home!]![f.name] = 'number';
  }
}

describe('configs/', () => {
  it('has one config per sample domain', () => {
    for (const d of SAMPLE_DOMAINS) expect(configFiles).toContain(`${d}.yaml`);
  });

  for (const file of configFiles) {
    it(`${file} loads, and its expressions type-check`, () => {
      const config = loadConfig(join(CONFIG_DIR, file));
      expect(config.features.length).toBeGreaterThan(0);
      expect(basename(file).replace(/\.ya?ml$/, '')).toBe(config.name);
      checkExpressions(config);
    });
  }

  for (const domain of SAMPLE_DOMAINS) {
    it(`${domain}.yaml reads exactly the files the ${domain} generator writes, from data/samples/${domain}/`, () => {
      const config = loadConfig(join(CONFIG_DIR, `${domain}.yaml`));
      const paths = Object.values(config.sources).map((s) => s.path!);
      for (const p of paths) expect(dirname(p)).toBe(resolve('data', 'samples', domain));
      expect(paths.map((p) => basename(p)).sort()).toEqual([...GENERATED[domain]].sort());
    });
  }

  it('market.yaml allows the lateness the market generator promises', () => {
    const config = loadConfig(join(CONFIG_DIR, 'market.yaml'));
    expect(config.sources.trades!.lateness).toBe(MARKET_LATENESS_MS);
    expect(config.sources.tickers!.lateness).toBe(MARKET_LATENESS_MS);
    expect(config.sources.book!.lateness).toBe(0);
  });
});
