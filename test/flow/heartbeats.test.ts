import { describe, expect, it } from 'vitest';
import { BEAT_REPLY, BeatLog, MAX_BEATS } from '../../src/flow/heartbeats.js';
import { newPayloadBudget } from '../../src/flow/stream.js';

describe('BeatLog', () => {
  it('keeps times, sides, kinds and echo keys in order', () => {
    const log = new BeatLog();
    for (let i = 0; i < 40; i++) log.add(i * 1000, (i & 1) as 0 | 1, BEAT_REPLY, i);
    const f = log.facts();
    expect(f.times.length).toBe(40);
    expect(f.times[39]).toBe(39_000);
    expect(f.flags[3]).toBe(1 | (BEAT_REPLY << 1));
    expect(f.echo[17]).toBe(17);
    expect(f.dropped).toBe(0);
  });
  it('gives back echo keys up to 2^32 - 1 and the flags beside them exactly', () => {
    const log = new BeatLog();
    const keys = [0, 1, 0xffff, 0x7fffffff, 0xfffffffe, 0xffffffff];
    keys.forEach((k, i) => log.add(1_790_000_000_000_000 + i, (i & 1) as 0 | 1, BEAT_REPLY, k));
    const f = log.facts();
    expect(Array.from(f.echo)).toEqual(keys);
    expect(Array.from(f.flags)).toEqual(keys.map((_, i) => (i & 1) | (BEAT_REPLY << 1)));
    expect(f.times[5]).toBe(1_790_000_000_000_005);
  });
  it('stops at MAX_BEATS per flow and counts what it did not keep', () => {
    const log = new BeatLog();
    for (let i = 0; i < MAX_BEATS + 5; i++) log.add(i, 0, 0, 0);
    const f = log.facts();
    expect(f.times.length).toBe(MAX_BEATS);
    expect(f.dropped).toBe(5);
  });
  it('charges its growth to the payload budget, stops when it is spent, and gives the bytes back on the final take', () => {
    const budget = newPayloadBudget(4096);
    const log = new BeatLog(budget);
    for (let i = 0; i < 1000; i++) log.add(i, 0, 0, 0);
    // 16 entries come free; 16 → 32 → 64 → 128 → 256 take 240 × 13 bytes; 256 → 512 would not fit
    expect(budget.used).toBe(240 * 13);
    const f = log.facts(true);
    expect(f.times.length).toBe(256);
    expect(f.dropped).toBe(1000 - 256);
    expect(budget.used).toBe(0);
  });
});
