// ConversationIndex: flow keys → conversation ids through the flow table's index type
// (FlowKeyIndex): ids kept through growth, removal that leaves every other key findable,
// freed ids reused, checked against a Map.
import { describe, expect, it } from 'vitest';
import { ConversationIndex } from '../../src/flow/conversation.js';
import { KEY_WORDS } from '../../src/flow/table.js';
import { mulberry32 } from '../helpers/random.js';

/** A canonical-looking IPv4 TCP key from a flow number (few distinct high words: long probe runs are likely). */
function key(n: number): Uint32Array {
  const k = new Uint32Array(KEY_WORDS);
  k[0] = 4 | (6 << 8);
  k[1] = 0x0a000000 | (n & 0xff);
  k[5] = 0x0a010000 | (n >>> 8);
  k[9] = (1024 + (n % 5)) | (443 << 16);
  return k;
}

describe('ConversationIndex', () => {
  it('keeps ids through growth, finds every key after removals, and reuses freed ids', () => {
    const rnd = mulberry32(7);
    const ix = new ConversationIndex();
    const ref = new Map<number, number>();
    const live: number[] = [];
    let next = 0;
    for (let round = 0; round < 6; round++) {
      // Adds 3,000 keys (the index starts at 1,024 entries and grows), then drops a random half.
      for (let j = 0; j < 3000; j++) {
        const n = next++;
        const id = ix.acquire(key(n));
        expect(ix.created).toBe(true);
        ref.set(n, id);
        live.push(n);
      }
      expect(ix.acquire(key(live[0]))).toBe(ref.get(live[0]));
      expect(ix.created).toBe(false);
      const freed = new Set<number>();
      for (let j = 0; j < 1500; j++) {
        const n = live.splice(Math.floor(rnd() * live.length), 1)[0];
        const packed = new Uint32Array(3 * KEY_WORDS);
        packed.set(key(n), KEY_WORDS);
        expect(ix.release(packed, KEY_WORDS)).toBe(ref.get(n));
        freed.add(ref.get(n)!);
        ref.delete(n);
        expect(ix.lookup(key(n))).toBe(-1);
        expect(ix.release(key(n))).toBe(-1);
      }
      for (const n of live) expect(ix.lookup(key(n))).toBe(ref.get(n));
      // A new key takes a freed id.
      const n = next++;
      const id = ix.acquire(key(n));
      expect(freed.has(id)).toBe(true);
      ref.set(n, id);
      live.push(n);
    }
    expect(new Set(ref.values()).size).toBe(ref.size);
    expect(ix.idCount).toBeLessThanOrEqual(live.length + 1500);
  });
});
