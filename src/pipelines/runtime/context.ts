import { StateStore, type StateHandle } from './state.js';

/** Why an event did not reach a result, as written to the dead-letter output. */
export interface Rejection {
  source: string;
  step: string;
  reason: string;
  time: number;
  offset?: number;
}

/**
 * What the runtime gives a step when it is built: its stable id, its state, and where to send
 * events it cannot use. Steps never keep state at module level.
 */
export interface StepContext {
  readonly stepId: string;
  readonly source: string;
  readonly state: StateHandle;
  reject(r: Omit<Rejection, 'source' | 'step'>): void;
}

export interface RuntimeContext {
  readonly store: StateStore;
  readonly rejections: Rejection[];
  step(stepId: string, source: string): StepContext;
}

/** A runtime that keeps state in `store` and collects rejections in memory for the caller to write. */
export function createRuntime(store = new StateStore(), onReject?: (r: Rejection) => void): RuntimeContext {
  const rejections: Rejection[] = [];
  return {
    store,
    rejections,
    step(stepId, source) {
      return {
        stepId,
        source,
        state: store.handle(stepId),
        reject(r) {
          const full = { source, step: stepId, ...r };
          if (onReject) onReject(full);
          else rejections.push(full);
        },
      };
    },
  };
}
