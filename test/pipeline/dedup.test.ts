// --dedup (pipeline/dedup.ts): copies of one IP packet within the window are dropped
// whatever their link header, VLAN tags, TTL / hop limit and IPv4 checksum; packets that
// differ in anything else, or come later than the window, are kept; the kept records'
// global numbers travel in batch.seqs.
import { describe, expect, it } from 'vitest';
import { Deduplicator, DEFAULT_DEDUP_WINDOW_MS } from '../../src/pipeline/dedup.js';
import { REC_WORDS, REC_TS_NSEC, REC_TS_SEC } from '../../src/capture/records.js';
import { ETH_HA2, ETH_IPV4, ETH_IPV6, PROTO_TCP, PROTO_UDP, batchOf, eth, ipv4, ipv6, tcp, udp } from '../helpers/build.js';

const T0 = 1_700_000_000_000_000;
const v4 = (o: { ttl?: number; payload?: string; id?: number } = {}) => ipv4({ proto: PROTO_TCP, ttl: o.ttl, id: o.id, payload: tcp({ sport: 40000, dport: 443, payload: Buffer.from(o.payload ?? 'hello') }) });
/** The same IPv4 packet with its checksum filled in as a router would (TTL changes it). */
function withChecksum(p: Buffer): Buffer {
  const c = Buffer.from(p);
  c.writeUInt16BE(0, 10);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += c.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  c.writeUInt16BE(~s & 0xffff, 10);
  return c;
}

/** Times (µs since T0) of the records a batch kept. */
function keptTimes(b: ReturnType<typeof batchOf>): number[] {
  const idx = new Uint32Array(b.index);
  return Array.from({ length: b.count }, (_, r) => idx[r * REC_WORDS + REC_TS_SEC] * 1e6 + idx[r * REC_WORDS + REC_TS_NSEC] / 1000 - T0);
}

describe('Deduplicator', () => {
  it('drops copies differing only in link header, VLAN tags, TTL and checksum; keeps other payloads', () => {
    const d = new Deduplicator();
    const frames = [
      { frame: eth({ ethertype: ETH_IPV4, payload: withChecksum(v4()) }), tsUs: T0 },
      // SPAN copy: another MAC pair, a VLAN tag
      { frame: eth({ src: '00:00:5e:00:53:01', tags: [[0x8100, 20]], ethertype: ETH_IPV4, payload: withChecksum(v4()) }), tsUs: T0 + 1 },
      // after the firewall's hop: TTL 63, new checksum, QinQ
      { frame: eth({ tags: [[0x88a8, 5], [0x8100, 7]], ethertype: ETH_IPV4, payload: withChecksum(v4({ ttl: 63 })) }), tsUs: T0 + 300 },
      // another payload, another IP ID: kept
      { frame: eth({ ethertype: ETH_IPV4, payload: withChecksum(v4({ payload: 'hellp' })) }), tsUs: T0 + 400 },
      { frame: eth({ ethertype: ETH_IPV4, payload: withChecksum(v4({ id: 7 })) }), tsUs: T0 + 500 },
      // the first packet again, past the window: kept
      { frame: eth({ ethertype: ETH_IPV4, payload: withChecksum(v4()) }), tsUs: T0 + DEFAULT_DEDUP_WINDOW_MS * 1000 + 1 },
    ];
    const b = batchOf(frames, { link: 1, seqBase: 100 });
    expect(d.apply(b)).toBe(4);
    expect(keptTimes(b)).toEqual([0, 400, 500, DEFAULT_DEDUP_WINDOW_MS * 1000 + 1]);
    expect(Array.from(b.seqs!)).toEqual([100, 103, 104, 105]);
    expect(d.facts()).toEqual({ windowMs: 5, dropped: 2 });
  });

  it('works across batches and link types (raw IP vs Ethernet), IPv6 hop limit ignored', () => {
    const d = new Deduplicator(1);
    const p6 = (hop: number, pay = 'x') => ipv6({ next: PROTO_UDP, hopLimit: hop, payload: udp({ sport: 53, dport: 5353, payload: Buffer.from(pay) }) });
    const a = batchOf([{ frame: p6(64), tsUs: T0 }, { frame: p6(64, 'y'), tsUs: T0 + 10 }], { link: 101 });
    expect(d.apply(a)).toBe(2);
    expect(a.seqs).toBeUndefined(); // nothing dropped: the batch is untouched
    const b = batchOf([{ frame: eth({ ethertype: ETH_IPV6, payload: p6(61) }), tsUs: T0 + 900 }, { frame: eth({ ethertype: ETH_IPV6, payload: p6(61, 'y') }), tsUs: T0 + 1011 }], { link: 1, seqBase: 2 });
    // the first is 900 µs after its original (inside 1 ms), the second 1,001 µs (outside)
    expect(d.apply(b)).toBe(1);
    expect(keptTimes(b)).toEqual([1011]);
    expect(Array.from(b.seqs!)).toEqual([3]);
  });

  it('non-IP frames: the same ethertype and payload are copies, another payload is not', () => {
    const d = new Deduplicator();
    const ha2 = (tag: number) => eth({ ethertype: ETH_HA2, payload: Buffer.alloc(60, tag) });
    const b = batchOf([{ frame: ha2(1), tsUs: T0 }, { frame: ha2(1), tsUs: T0 + 2 }, { frame: ha2(2), tsUs: T0 + 3 }], { link: 1 });
    expect(d.apply(b)).toBe(2);
    expect(keptTimes(b)).toEqual([0, 3]);
  });

  it('a malformed or undecoded record is never dropped', () => {
    const d = new Deduplicator();
    const b = batchOf([{ frame: [0x45, 0, 0], tsUs: T0 }, { frame: [0x45, 0, 0], tsUs: T0 + 1 }], { link: 101 });
    expect(d.apply(b)).toBe(2);
    expect(d.dropped).toBe(0);
  });
});
