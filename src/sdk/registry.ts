import { pathToFileURL } from 'node:url';
import type { FeatureDefinition } from './defineFeature.js';

/**
 * Feature definitions by name: the built-in library plus any user modules. A module registers what
 * it exports: every export that looks like a FeatureDefinition (made by `defineFeature`).
 *
 * @example
 * const registry = FeatureRegistry.withBuiltins();
 * await registry.loadModule('./features/my_features.ts');
 * registry.get('ewma');
 */
export class FeatureRegistry {
  private readonly definitions = new Map<string, FeatureDefinition<any>>();

  static withBuiltins(builtins: readonly FeatureDefinition<any>[] = []): FeatureRegistry {
    const r = new FeatureRegistry();
    for (const d of builtins) r.register(d);
    return r;
  }

  register(d: FeatureDefinition<any>): void {
    const prior = this.definitions.get(d.name);
    if (prior !== undefined && prior !== d) throw new Error(`feature definition "${d.name}" is registered twice`);
    this.definitions.set(d.name, d);
  }

  get(name: string): FeatureDefinition<any> | undefined {
    return this.definitions.get(name);
  }

  names(): string[] {
    return [...this.definitions.keys()].sort();
  }

  list(): FeatureDefinition<any>[] {
    return this.names().map((n) => this.definitions.get(n)!);
  }

  /** Import a module and register its feature definitions; returns their names. */
  async loadModule(path: string): Promise<string[]> {
    const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    const found: string[] = [];
    for (const value of Object.values(mod)) {
      if (isDefinition(value)) {
        this.register(value);
        found.push(value.name);
      }
    }
    if (found.length === 0) throw new Error(`${path} exports no feature definition (make them with defineFeature and export them)`);
    return found;
  }
}

function isDefinition(v: unknown): v is FeatureDefinition<unknown> {
  const d = v as Partial<FeatureDefinition<unknown>> | null;
  return d !== null && typeof d === 'object' && typeof d.name === 'string' && typeof d.build === 'function' && typeof d.outputs === 'function';
}
