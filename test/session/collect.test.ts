import { describe, expect, it } from 'vitest';
import { CollectionSchedule, collectPointsPassed, keptEnoughToCollect, nudgeStaysConcurrent } from '../../src/session/collect.js';

const MiB = 1 << 20;

describe('nudgeStaysConcurrent', () => {
  it('nudges under the default heap limit of a 64-bit machine (about 4 GiB)', () => {
    expect(nudgeStaysConcurrent(90 * MiB, 4144 * MiB)).toBe(true);
  });

  it('does not nudge when the nudge would pass half the old generation (V8 would stop the main thread)', () => {
    // --max-old-space-size=300: heap_size_limit 348 MiB, hard limit ≈ 150 MiB < the nudge.
    expect(nudgeStaysConcurrent(0, 348 * MiB)).toBe(false);
  });

  it('counts the external memory already held against the limit', () => {
    const limit = 1024 * MiB; // (1024 − 64) / 2 = 480 MiB of room: 256 for the nudge, 224 held at most
    expect(nudgeStaysConcurrent(224 * MiB, limit)).toBe(true);
    expect(nudgeStaysConcurrent(225 * MiB, limit)).toBe(false);
  });
});

describe('collections during classification', () => {
  it('passes a point at 10 %, 25 % and 50 % of the flows classified', () => {
    // mixed-2M: 20,000 flows, judged 1,024 at a time
    expect([1024, 2048, 3072, 5120, 9216, 10240, 20000].map((n) => collectPointsPassed(n, 20000))).toEqual([0, 1, 1, 2, 2, 3, 3]);
    expect(collectPointsPassed(0, 8192)).toBe(0);
    // a chunk may pass two points at once: one collection for both
    expect(collectPointsPassed(2048, 8192)).toBe(2);
  });

  it('asks for a collection only where the flows judged so far kept 16 MiB of payload per table', () => {
    expect(keptEnoughToCollect(2_720_000, 2048, 20000)).toBe(true); // mixed-2M: 27.2 MB a table
    expect(keptEnoughToCollect(0, 10240, 500000)).toBe(false); // flood-1M: SYNs keep nothing
    expect(keptEnoughToCollect(8 * MiB, 10000, 20000)).toBe(true); // 16 MiB a table, just
    expect(keptEnoughToCollect(8 * MiB - 1, 10000, 20000)).toBe(false);
  });
});

describe('CollectionSchedule', () => {
  /** The flows classified so far at each chunk where the schedule asks for a collection. */
  function asks(count: number, chunk: number, keptBytes: number): number[] {
    const s = new CollectionSchedule(count);
    const at: number[] = [];
    for (let done = chunk; done <= count; done += chunk) if (s.classifiedMore(chunk, keptBytes)) at.push(done);
    return at;
  }

  it('collects at the points where the flows kept payload, and every 100,000 flows, once per chunk where they meet', () => {
    // 200,000 flows: points at 20,000, 50,000 and 100,000; the last is also the first 100,000.
    expect(asks(200_000, 10_000, 1 << 30)).toEqual([20_000, 50_000, 100_000, 200_000]);
  });

  it('collects only every 100,000 flows where the flows kept no payload (a SYN flood)', () => {
    expect(asks(500_000, 1024, 0)).toEqual([100_352, 200_704, 301_056, 401_408]);
  });
});
