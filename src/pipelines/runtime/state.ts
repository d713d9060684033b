/**
 * State that a stateful step keeps between batches. The runtime hands each step a StateHandle under
 * the step's stable id; the StateStore can then snapshot every step at a checkpoint barrier and
 * restore them after a restart or on another actor.
 */
export interface Checkpointable {
  /** A structured-cloneable copy of the state (typed arrays welcome). */
  snapshot(): unknown;
  restore(snapshot: unknown): void;
}

export interface StateHandle {
  readonly stepId: string;
  /** The state registered under `name` for this step, made by `create` the first time. */
  get<T extends Checkpointable>(name: string, create: () => T): T;
}

/**
 * The states of all steps of a pipeline, keyed `<stepId>/<name>`.
 *
 * @example
 * const store = new StateStore();
 * const counter = store.handle('count#ab12').get('n', () => new Counter());
 * const snap = store.snapshot();   // at a checkpoint
 * new StateStore(snap);            // restored; states are revived when their step asks for them
 */
export class StateStore {
  private readonly states = new Map<string, Checkpointable>();
  private readonly pending: Map<string, unknown>;

  constructor(restoreFrom?: Record<string, unknown>) {
    this.pending = new Map(Object.entries(restoreFrom ?? {}));
  }

  handle(stepId: string): StateHandle {
    return {
      stepId,
      get: <T extends Checkpointable>(name: string, create: () => T): T => {
        const key = `${stepId}/${name}`;
        let s = this.states.get(key) as T | undefined;
        if (s === undefined) {
          s = create();
          const saved = this.pending.get(key);
          if (saved !== undefined) {
            s.restore(saved);
            this.pending.delete(key);
          }
          this.states.set(key, s);
        }
        return s;
      },
    };
  }

  /** Every step's state, by key. Steps not yet asked for after a restore keep their saved state. */
  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = Object.fromEntries(this.pending);
    for (const [key, s] of this.states) out[key] = s.snapshot();
    return out;
  }

  keys(): string[] {
    return [...new Set([...this.states.keys(), ...this.pending.keys()])].sort();
  }
}
