import { describe, expect, it } from 'vitest';
import { BarrierAcks, barrierDue } from '../../../src/actors/cluster/barrierPolicy.js';
import { DEFAULT_FLOW_LIMITS, mayPush } from '../../../src/actors/cluster/flowControl.js';
import { chooseMembers, expiredMembers } from '../../../src/actors/cluster/membership.js';

describe('membership', () => {
  const members = new Map([
    ['node-1', { data: 'tcp://a:1', lastSeen: 1000 }],
    ['node-0', { data: 'tcp://a:2', lastSeen: 4000 }],
  ]);
  it('a node silent past the timeout is expired, one that beat recently is not', () => {
    expect(expiredMembers(members, 4500, 3000)).toEqual(['node-1']);
    expect(expiredMembers(members, 3900, 3000)).toEqual([]);
    expect(expiredMembers(members, 8000, 3000)).toEqual(['node-0', 'node-1']);
  });
  it('a run waits for the wanted nodes, or goes on with those there after the deadline', () => {
    expect(chooseMembers(['b', 'a'], 3, 0, 100)).toBeUndefined();
    expect(chooseMembers(['b', 'a'], 3, 100, 100)).toEqual(['a', 'b']);
    expect(chooseMembers(['c', 'b', 'a'], 2, 0, 100)).toEqual(['a', 'b']);
    expect(chooseMembers([], 1, 1000, 100)).toBeUndefined();
  });
});

describe('flow control counts rows and bytes', () => {
  const limits = { rows: 100, bytes: 1000 };
  it('holds back a message that would pass either limit', () => {
    expect(mayPush({ rows: 50, bytes: 100 }, { rows: 50, bytes: 100 }, limits)).toBe(true);
    expect(mayPush({ rows: 50, bytes: 100 }, { rows: 51, bytes: 100 }, limits)).toBe(false);
    expect(mayPush({ rows: 1, bytes: 900 }, { rows: 1, bytes: 101 }, limits)).toBe(false);
  });
  it('lets an oversized message through when nothing is in flight', () => {
    expect(mayPush({ rows: 0, bytes: 0 }, { rows: 10 ** 9, bytes: 10 ** 12 }, DEFAULT_FLOW_LIMITS)).toBe(true);
  });
});

describe('checkpoint barriers', () => {
  it('are due after enough rows or time, never with nothing read', () => {
    expect(barrierDue({ everyRows: 10 }, 10, 0)).toBe(true);
    expect(barrierDue({ everyRows: 10, everyMs: 50 }, 9, 49)).toBe(false);
    expect(barrierDue({ everyRows: 10, everyMs: 50 }, 1, 50)).toBe(true);
    expect(barrierDue({ everyMs: 0 }, 0, 1e9)).toBe(false);
  });
  it('a checkpoint is complete when every node of the run acknowledged it', () => {
    const acks = new BarrierAcks(3, ['n0', 'n1', 'n2']);
    expect(acks.ack('n1')).toBe(false);
    expect(acks.ack('n1')).toBe(false);
    expect(acks.missing).toEqual(['n0', 'n2']);
    expect(acks.ack('n0')).toBe(false);
    expect(acks.ack('n2')).toBe(true);
    expect(acks.complete).toBe(true);
  });
});
