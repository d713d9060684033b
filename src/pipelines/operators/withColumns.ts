import { Observable, Subject, type OperatorFunction } from 'rxjs';
import type { Batch } from '../data/batch.js';

/**
 * Run a row-aligned operator (one output batch per input batch, as many rows, synchronously) and
 * add its columns to the input batch. This is how point-in-time features stack up on a source's
 * events: each sees the columns of the features before it.
 *
 * @example
 * events$.pipe(withColumns(spend30d), withColumns(spendZScore))
 */
export function withColumns(op: OperatorFunction<Batch, Batch>, label = 'a feature'): OperatorFunction<Batch, Batch> {
  return (source) =>
    new Observable<Batch>((subscriber) => {
      const inner = new Subject<Batch>();
      const produced: Batch[] = [];
      const innerSubscription = inner.pipe(op).subscribe({
        next: (b) => produced.push(b),
        error: (err) => subscriber.error(err),
      });
      const subscription = source.subscribe({
        next(b) {
          inner.next(b);
          const out = produced.shift();
          if (out === undefined || out.length !== b.length || produced.length > 0) {
            subscriber.error(new Error(`${label} must return one batch of ${b.length} rows for each input batch, synchronously`));
            return;
          }
          subscriber.next({ ...b, columns: { ...b.columns, ...out.columns } });
        },
        error: (err) => subscriber.error(err),
        complete() {
          inner.complete();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        innerSubscription.unsubscribe();
      };
    });
}
