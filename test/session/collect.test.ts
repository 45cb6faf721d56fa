import { describe, expect, it } from 'vitest';
import { nudgeStaysConcurrent } from '../../src/session/collect.js';

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
