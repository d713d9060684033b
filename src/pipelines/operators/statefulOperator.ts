import { Observable, type OperatorFunction } from 'rxjs';
import type { StepContext } from '../runtime/context.js';
import type { Checkpointable } from '../runtime/state.js';

/** What a stateful step does with each input, and what it still holds when a bounded input ends. */
export interface StepState<In, Out> extends Checkpointable {
  /** What the input produces: nothing, one output, or several in order. */
  push(input: In): Out | readonly Out[] | undefined;
  /** Called once when the input completes (a bounded replay ended): emit what is still open. */
  finish(): Out | undefined;
}

/**
 * The one way a stateful step becomes an RxJS operator: its state lives in the runtime's state store
 * under the step id (so checkpoints see it), never in a closure shared between subscriptions.
 */
export function statefulOperator<In, Out>(ctx: StepContext, name: string, create: () => StepState<In, Out>): OperatorFunction<In, Out> {
  return (source) =>
    new Observable<Out>((subscriber) => {
      const state = ctx.state.get(name, create);
      return source.subscribe({
        next(input) {
          let out: Out | readonly Out[] | undefined;
          try {
            out = state.push(input);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (Array.isArray(out)) for (const o of out as readonly Out[]) subscriber.next(o);
          else if (out !== undefined) subscriber.next(out as Out);
        },
        error: (err) => subscriber.error(err),
        complete() {
          let out: Out | undefined;
          try {
            out = state.finish();
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (out !== undefined) subscriber.next(out);
          subscriber.complete();
        },
      });
    });
}
