// The summary's JSON written in parts must be JSON.stringify(value, null, 2) byte for byte.
import { describe, expect, it } from 'vitest';
import { chunkUtf8, jsonParts, Mapped } from '../../src/report/json-parts.js';

const text = (v: unknown) => [...jsonParts(v)].join('');

describe('jsonParts', () => {
  it('is JSON.stringify(value, null, 2) at every level it walks and below', () => {
    const values: unknown[] = [
      null,
      7,
      'x',
      [],
      {},
      [[], {}, [[1, [2, { a: [] }]]], null],
      { a: undefined, b: () => 1, c: [undefined, () => 2, 3], d: { e: { f: [1, { g: 'h\u00e9"\n' }] } }, i: [] },
      { a: undefined },
      { list: [{ x: [[{ y: [1, 2] }]] }, { z: {} }], deep: { more: { still: [1, [2, [3, [4]]]] } }, t: new Date(0) },
      [{ a: 1 }, [{ b: [2] }], [[{ c: [[3]] }]]],
    ];
    for (const v of values) expect(text(v)).toBe(JSON.stringify(v, null, 2));
  });

  it('writes a Mapped list as its mapped array, at any level', () => {
    const m = new Mapped([1, 2, 3], (x) => ({ n: x, sq: [x * x] }));
    const doc = { top: m, nested: { inner: new Mapped([4], (x) => [x]) }, list: [new Mapped([], (x: number) => x)] };
    expect(text(doc)).toBe(JSON.stringify(doc, null, 2));
    // Elements are stringified in batches of 256: across the batch boundaries too.
    for (const n of [255, 256, 257, 600]) {
      const long = { a: { list: new Mapped(Array.from({ length: n }, (_, i) => i), (x) => ({ x, y: [x, { z: 'q' }] })) }, b: new Mapped(Array.from({ length: n }, (_, i) => i), (x) => (x % 3 === 0 ? undefined : x)) };
      expect(text(long)).toBe(JSON.stringify(long, null, 2));
    }
    expect(JSON.stringify(doc)).toBe('{"top":[{"n":1,"sq":[1]},{"n":2,"sq":[4]},{"n":3,"sq":[9]}],"nested":{"inner":[[4]]},"list":[[]]}');
  });
});

describe('chunkUtf8', () => {
  it('is the UTF-8 of the concatenation, whatever the part sizes, in chunks of at most 256 KiB', () => {
    const parts = ['a', '\u00e9'.repeat(40_000), '\u{1F600}'.repeat(40_000), 'z'.repeat(300_000), '', 'end'];
    const chunks = [...chunkUtf8(parts)];
    expect(Buffer.concat(chunks).equals(Buffer.from(parts.join(''), 'utf8'))).toBe(true);
    // A part longer than a chunk holds at 3 bytes a unit (87,381 units) is cut into such pieces.
    expect(chunks.map((c) => c.length)).toEqual([80_001, 160_000, 87_381, 87_381, 125_241]);
  });

  it('never cuts a surrogate pair, and with reuse refills one buffer', () => {
    // 100,000 units: the first piece would end on a high surrogate (unit 87,380) and ends before it.
    const parts = ['x', '\u{1F600}'.repeat(50_000), 'y'.repeat(200_000)];
    const whole = Buffer.from(parts.join(''), 'utf8');
    expect(Buffer.concat([...chunkUtf8(parts)]).equals(whole)).toBe(true);
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for (const c of chunkUtf8(parts, true)) {
      copies.push(Buffer.from(c));
      buffers.add(c.buffer);
    }
    expect(Buffer.concat(copies).equals(whole)).toBe(true);
    // 'x' + 43,690 emoji (87,380 units) + the other 6,310 emoji, then 'y' in pieces of 87,381.
    expect(copies.map((c) => c.length)).toEqual([1 + 174_760 + 25_240, 87_381, 87_381 + 25_238]);
    expect(buffers.size).toBe(1);
  });
});
