import { map, type OperatorFunction } from 'rxjs';
import type { Batch } from '../data/batch.js';
import type { Column } from '../data/column.js';
import type { DictionaryValue } from '../data/dictionary.js';
import { restoreDictionaries, valueTypeOf, type Evaluator, type Expression, type ValueType } from '../expressions/index.js';
import type { StepContext } from '../runtime/context.js';
import { statefulOperator, type StepState } from './statefulOperator.js';

/**
 * Add computed columns to every batch, in order, so each may use those before it.
 *
 * A string-valued expression that mixes dictionaries or literals (`if(ok, cat, 'none')`) codes its
 * result in a dictionary of its own, which grows with the batches seen: its codes depend on history.
 * Given a step context, those dictionaries are step state, so a restored pipeline gives the same
 * codes (and the keys, held rows and counts downstream stay valid). Without one, the expressions'
 * own caches are used: fine for results that are numbers or bools.
 *
 * @example
 * trades$.pipe(deriveColumns({ notional: parseExpression('price * size') }))
 * events$.pipe(deriveColumns({ pick: parseExpression("if(ok, cat, 'none')") }, runtime.step('derive-ab12', 'events')))
 */
export function deriveColumns(columns: Readonly<Record<string, Expression>>, ctx?: StepContext): OperatorFunction<Batch, Batch> {
  const entries = Object.entries(columns);
  if (entries.length === 0) return (source) => source;
  if (ctx !== undefined) return statefulOperator(ctx, 'derive', () => new DeriveState(entries));
  return map((b: Batch) => {
    if (b.length === 0) return b;
    const out: Record<string, Column> = { ...b.columns };
    for (const [name, expr] of entries) out[name] = expr.evaluate({ ...b, columns: out });
    return { ...b, columns: out };
  });
}

/** Evaluators compiled for this pipeline alone, by column and input types, and their result dictionaries. */
class DeriveState implements StepState<Batch, Batch> {
  private readonly evaluators = new Map<string, Evaluator>();
  /** Saved dictionaries of evaluators not compiled again yet, by the same key. */
  private saved = new Map<string, DictionaryValue[][]>();

  constructor(private readonly entries: readonly [string, Expression][]) {}

  push(b: Batch): Batch {
    if (b.length === 0) return b;
    const out: Record<string, Column> = { ...b.columns };
    for (const [name, expr] of this.entries) out[name] = this.evaluator(name, expr, out)({ ...b, columns: out });
    return { ...b, columns: out };
  }

  /** One compile per column and set of input types (a batch's columns type the expression). */
  private evaluator(name: string, expr: Expression, columns: Record<string, Column>): Evaluator {
    let key = `${name}:`;
    for (const id of expr.identifiers) {
      const c = columns[id];
      key += `${c === undefined ? '?' : valueTypeOf(c)},`;
    }
    let ev = this.evaluators.get(key);
    if (ev === undefined) {
      const scope: Record<string, ValueType> = {};
      for (const [c, col] of Object.entries(columns)) scope[c] = valueTypeOf(col);
      ev = expr.compile(scope);
      const saved = this.saved.get(key);
      if (saved !== undefined) {
        restoreDictionaries(ev, saved);
        this.saved.delete(key);
      }
      this.evaluators.set(key, ev);
    }
    return ev;
  }

  finish(): undefined {
    return undefined;
  }

  snapshot(): unknown {
    const out: Record<string, DictionaryValue[][]> = Object.fromEntries(this.saved);
    for (const [key, ev] of this.evaluators) if (ev.dictionaries.length > 0) out[key] = ev.dictionaries.map((d) => [...d.values]);
    return out;
  }

  restore(s: unknown): void {
    this.saved = new Map(Object.entries(s as Record<string, DictionaryValue[][]>));
  }
}
