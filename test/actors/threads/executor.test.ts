import { describe, expect, it } from 'vitest';
import { createExecutor } from '../../../src/actors/executor.js';
import { executorFlags } from '../../../src/cli/commands/replay.js';

describe('executor selection', () => {
  it('local by default, threads on request, anything else is an error', () => {
    expect(createExecutor().kind).toBe('local');
    expect(createExecutor('threads', { workers: 2 }).kind).toBe('threads');
    expect(() => createExecutor('gpu' as never)).toThrow(/unknown executor "gpu"/);
  });

  it('--executor and --workers are checked', () => {
    expect(executorFlags({})).toEqual({ executor: 'local' });
    expect(executorFlags({ executor: 'threads', workers: '3' })).toEqual({ executor: 'threads', workers: 3 });
    expect(() => executorFlags({ executor: 'thread' })).toThrow(/--executor "thread" is not an executor/);
    expect(() => executorFlags({ executor: 'threads', workers: '0' })).toThrow(/at least 1/);
    expect(() => executorFlags({ workers: '2' })).toThrow(/--workers needs --executor threads/);
  });
});
