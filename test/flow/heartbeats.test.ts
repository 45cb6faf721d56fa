import { describe, expect, it } from 'vitest';
import { BEAT_REPLY, BEAT_REQUEST, BeatRows, MAX_BEATS, type BeatFacts } from '../../src/flow/heartbeats.js';
import { newPayloadBudget, type PayloadBudget } from '../../src/flow/stream.js';

/**
 * One flow's log by the documented rules, written out plainly, to hold BeatRows to: room for
 * 16 entries, then doubling up to MAX_BEATS while the budget has room for the growth (13
 * bytes an entry), the rest counted as dropped; the growth given back when the log is taken.
 */
class OneLog {
  private readonly entries: [number, number, number, number][] = [];
  private room = 16;
  private dropped = 0;
  constructor(private readonly budget: PayloadBudget | null = null) {}

  add(tsUs: number, side: 0 | 1, kind: number, echo: number): void {
    if (this.entries.length === this.room) {
      const more = (Math.min(MAX_BEATS, 2 * this.room) - this.room) * 13;
      if (this.room >= MAX_BEATS || (this.budget !== null && more > this.budget.limit - this.budget.used)) {
        this.dropped++;
        return;
      }
      if (this.budget !== null) this.budget.used += more;
      this.room = Math.min(MAX_BEATS, 2 * this.room);
    }
    this.entries.push([tsUs, side, kind, echo]);
  }

  facts(): BeatFacts {
    const e = this.entries;
    return {
      times: Float64Array.from(e, (x) => x[0]),
      flags: Uint8Array.from(e, (x) => x[1] | (x[2] << 1)),
      echo: Uint32Array.from(e, (x) => x[3]),
      dropped: this.dropped,
    };
  }

  /** As BeatRows.take(): the entries as (time, flags + 8 × echo) pairs. */
  take(): { log: Float64Array; n: number; dropped: number } {
    if (this.budget !== null) this.budget.used -= (this.room - 16) * 13;
    const log = new Float64Array(2 * this.entries.length);
    this.entries.forEach(([t, side, kind, echo], i) => {
      log[2 * i] = t;
      log[2 * i + 1] = (side | (kind << 1)) + 8 * echo;
    });
    return { log, n: this.entries.length, dropped: this.dropped };
  }
}

describe('BeatRows, one flow', () => {
  it('keeps times, sides, kinds and echo keys in order', () => {
    const rows = new BeatRows();
    for (let i = 0; i < 40; i++) rows.add(0, i * 1000, (i & 1) as 0 | 1, BEAT_REPLY, i);
    const f = rows.facts(0, false)!;
    expect(f.times.length).toBe(40);
    expect(f.times[39]).toBe(39_000);
    expect(f.flags[3]).toBe(1 | (BEAT_REPLY << 1));
    expect(f.echo[17]).toBe(17);
    expect(f.dropped).toBe(0);
  });
  it('gives back echo keys up to 2^32 - 1 and the flags beside them exactly', () => {
    const rows = new BeatRows();
    const keys = [0, 1, 0xffff, 0x7fffffff, 0xfffffffe, 0xffffffff];
    keys.forEach((k, i) => rows.add(0, 1_790_000_000_000_000 + i, (i & 1) as 0 | 1, BEAT_REPLY, k));
    const f = rows.facts(0, false)!;
    expect(Array.from(f.echo)).toEqual(keys);
    expect(Array.from(f.flags)).toEqual(keys.map((_, i) => (i & 1) | (BEAT_REPLY << 1)));
    expect(f.times[5]).toBe(1_790_000_000_000_005);
  });
  it('stops at MAX_BEATS per flow and counts what it did not keep', () => {
    const rows = new BeatRows();
    for (let i = 0; i < MAX_BEATS + 5; i++) rows.add(0, i, 0, 0, 0);
    const f = rows.facts(0, false)!;
    expect(f.times.length).toBe(MAX_BEATS);
    expect(f.dropped).toBe(5);
  });
  it('charges its growth to the payload budget, stops when it is spent, and gives the bytes back on the final take', () => {
    const budget = newPayloadBudget(4096);
    const rows = new BeatRows(budget);
    for (let i = 0; i < 1000; i++) rows.add(0, i, 0, 0, 0);
    // 16 entries come free; 16 → 32 → 64 → 128 → 256 take 240 × 13 bytes; 256 → 512 would not fit
    expect(budget.used).toBe(240 * 13);
    const f = rows.facts(0, true)!;
    expect(f.times.length).toBe(256);
    expect(f.dropped).toBe(1000 - 256);
    expect(budget.used).toBe(0);
  });
});

describe('BeatRows', () => {
  it('keeps many interleaved logs as one log per flow would, charging the budget alike at every step', () => {
    const rowsBudget = newPayloadBudget(60_000);
    const logsBudget = newPayloadBudget(60_000);
    const rows = new BeatRows(rowsBudget);
    const logs = new Map<number, OneLog>();
    let seed = 11;
    // 40 flows with ids up to 3,000 (the id table grows), lengths from 1 to past what the budget allows
    const ids = Array.from({ length: 40 }, (_, i) => (i * 7919) % 3001);
    for (let p = 0; p < 12_000; p++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const id = ids[(seed >>> 3) % (1 + ((seed >>> 20) % 40))];
      const side = (seed >>> 9) & 1 ? 1 : 0;
      const kind = (seed >>> 10) % 3;
      const echo = kind === 0 ? 0 : (seed >>> 12) & 0xffff;
      rows.add(id, 1e15 + p * 1000, side, kind, echo);
      if (!logs.has(id)) logs.set(id, new OneLog(logsBudget));
      logs.get(id)!.add(1e15 + p * 1000, side, kind, echo);
      expect(rowsBudget.used).toBe(logsBudget.used);
    }
    // the budget ran out for the longest logs: some entries dropped
    expect([...logs.values()].some((l) => l.facts().dropped > 0)).toBe(true);
    for (const [id, log] of logs) {
      expect(rows.has(id)).toBe(true);
      expect(rows.facts(id, false)).toEqual(log.facts());
    }
    // taken: the bytes go back, the id has no log any more
    for (const [id, log] of logs) {
      const t = rows.take(id)!;
      const l = log.take();
      expect(t.n).toBe(l.n);
      expect(t.dropped).toBe(l.dropped);
      expect(Array.from(t.log.subarray(0, 2 * t.n))).toEqual(Array.from(l.log.subarray(0, 2 * l.n)));
      expect(rows.has(id)).toBe(false);
      expect(rows.facts(id, true)).toBe(null);
    }
    expect(rowsBudget.used).toBe(0);
    expect(logsBudget.used).toBe(0);
  });

  it('stops at MAX_BEATS per flow, and a reused id starts a fresh log in reused chunks', () => {
    const rows = new BeatRows();
    for (let i = 0; i < MAX_BEATS + 3; i++) rows.add(5, i, 0, 0, 0);
    rows.add(9, 42, 1, BEAT_REQUEST, 0x10002);
    const f = rows.facts(5, true)!;
    expect(f.times.length).toBe(MAX_BEATS);
    expect(f.times[MAX_BEATS - 1]).toBe(MAX_BEATS - 1);
    expect(f.dropped).toBe(3);
    rows.add(5, 7, 1, BEAT_REPLY, 3);
    const g = rows.facts(5, false)!;
    expect(Array.from(g.times)).toEqual([7]);
    expect(Array.from(g.flags)).toEqual([1 | (BEAT_REPLY << 1)]);
    expect(Array.from(g.echo)).toEqual([3]);
    expect(g.dropped).toBe(0);
    expect(rows.facts(9, false)!.echo[0]).toBe(0x10002);
  });
});
