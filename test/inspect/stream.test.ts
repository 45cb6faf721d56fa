// The decoders' input: prefixes with segment marks, and record numbers looked up by offset.
import { describe, expect, it } from 'vitest';
import { emptyStream, prefixFromSegments, recordAt } from '../../src/inspect/stream.js';

describe('recordAt', () => {
  const p = prefixFromSegments([
    { bytes: Uint8Array.of(1, 2, 3), record: 10 },
    { bytes: new Uint8Array(0), record: 11 },
    { bytes: Uint8Array.of(4), record: 14 },
    { bytes: Uint8Array.of(5, 6), record: 20 },
  ]);

  it('builds bytes and one mark per non-empty segment', () => {
    expect([...p.bytes]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(p.marks).toEqual([{ offset: 0, record: 10 }, { offset: 3, record: 14 }, { offset: 4, record: 20 }]);
    expect(p.truncated).toBe(false);
  });

  it('gives the record of the segment that holds each byte', () => {
    expect([0, 1, 2, 3, 4, 5].map((o) => recordAt(p, o))).toEqual([10, 10, 10, 14, 20, 20]);
  });

  it('gives null outside the bytes or without a mark', () => {
    for (const o of [-1, 6, 1e9, NaN, Infinity]) expect(recordAt(p, o)).toBeNull();
    expect(recordAt(emptyStream(), 0)).toBeNull();
    expect(recordAt({ bytes: new Uint8Array(4), marks: [{ offset: 2, record: 7 }], truncated: true }, 1)).toBeNull();
    expect(recordAt({ bytes: new Uint8Array(4), marks: [{ offset: 0, record: NaN }], truncated: true }, 1)).toBeNull();
  });
});
