import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { compileFeatureSet } from '../../../../src/pipelines/compile/compileFeatureSet.js';
import { BUILTIN_DEFINITIONS } from '../../../../src/pipelines/features/index.js';
import { PAYMENTS_DEFINITIONS } from '../../../../src/pipelines/features/payments/index.js';
import { parseConfig } from '../../../../src/sdk/config/loadConfig.js';
import { FeatureRegistry } from '../../../../src/sdk/registry.js';

const registry = () => FeatureRegistry.withBuiltins(BUILTIN_DEFINITIONS);

describe('the payments feature library', () => {
  it('is registered with the built-ins', () => {
    expect(PAYMENTS_DEFINITIONS.map((d) => d.name)).toEqual(['mode_sum', 'mean_group_rate']);
    for (const d of PAYMENTS_DEFINITIONS) expect(registry().get(d.name), d.name).toBe(d);
  });

  it('documents every param, has a default for every param, and is listed with its params in docs/configuration.md', () => {
    const docs = readFileSync('docs/configuration.md', 'utf8');
    for (const d of PAYMENTS_DEFINITIONS) {
      const schema = z.toJSONSchema(d.params, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, { description?: string }>; required?: string[] };
      expect(schema.required ?? [], d.name).toEqual([]);
      expect(() => d.params.parse({}), d.name).not.toThrow();
      const at = docs.indexOf(`### \`${d.name}\``);
      expect(at, `${d.name} in docs`).toBeGreaterThan(0);
      const section = docs.slice(at);
      for (const [param, s] of Object.entries(schema.properties)) {
        expect(s.description, `${d.name}.${param} has a description`).toBeTruthy();
        expect(section.includes(`\`${param}\``), `${d.name}.${param} in docs`).toBe(true);
      }
    }
  });

  it('checks the columns a definition reads, including those of its success expression', () => {
    const config = (params: string) =>
      parseConfig(`name: p
sources:
  tx:
    time: ts
    keys: [merchant_id]
    columns: { merchant_id: string, ip: string, status: string, amount: float64 }
features:
  - { name: r, source: tx, definition: mean_group_rate, params: ${params} }
`);
    expect(compileFeatureSet(config('{ window: 7d }'), registry()).nodes[0]!.inputs).toEqual(['ip', 'status']);
    expect(() => compileFeatureSet(config(`{ success: "state == 'ok'" }`), registry())).toThrow(/reads column "state".*did you mean "status"/);
    expect(() => compileFeatureSet(config('{ window: 7 days }'), registry())).toThrow(/params\.window/);
  });
});
