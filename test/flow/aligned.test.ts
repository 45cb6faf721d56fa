// Page-aligned buffers: a WebAssembly memory's (whole 64 KiB pages, zeroed), which a
// transfer cannot detach.
import { describe, expect, it } from 'vitest';
import { alignedBuffer } from '../../src/flow/aligned.js';

describe('alignedBuffer', () => {
  it('gives whole zeroed 64 KiB pages of a WebAssembly memory', () => {
    const buf = alignedBuffer(100_000);
    expect(buf.byteLength).toBe(131_072);
    expect(new Uint8Array(buf).every((b) => b === 0)).toBe(true);
    // an ArrayBuffer of its own would be detached (byteLength 0) by the transfer
    structuredClone(buf, { transfer: [buf] });
    expect(buf.byteLength).toBe(131_072);
  });
});
