// `analyze --dedup`: drops copies of one packet seen again within a short window, as
// SPAN sessions (ingress and egress copy) and PAN-OS dataplane captures in several stages
// (receive, firewall, transmit) produce. Two packets are the same when their IP packets
// (from the IP header to the captured end of the IP length) are equal except for the TTL /
// hop limit and the IPv4 header checksum, which routing changes; the link header, VLAN tags
// and Ethernet padding do not count. A non-IP frame (ARP, HA2) is the same when its
// ethertype and payload after the link header and VLAN tags are. The IP header is found by the decoder (decodeRecord
// sets F_L3OFF/F_L3END), so there is one link-layer decoder. Runs where the offline filters
// run: between the reader and the session, on the main thread, one call per batch; the kept
// records are compacted to the front of the index in place.
//
// Hot path: two 32-bit murmur3 hashes over the packet's words into an open-addressing
// table of typed arrays (hash pair + time); no per-packet objects.
import { REC_CAPLEN, REC_LINKTYPE, REC_OFFSET, REC_ORIGLEN, REC_WORDS, recordTsUs, type RecordBatch } from '../capture/records.js';
import { F_ETHERTYPE, F_KIND, F_L3END, F_L3OFF, KIND_IPV4, KIND_IPV6, KIND_L2, R_OK, newPacketFields } from '../decode/fields.js';
import { decodeRecord } from '../decode/link.js';

/**
 * Default window: copies of one packet in SPAN or multi-stage captures lie microseconds to
 * a millisecond apart; a TCP retransmission comes one RTT (fast retransmit) or 200 ms+
 * (timeout) later, and over IPv4 with a new IP ID, so it is not taken for a copy.
 */
export const DEFAULT_DEDUP_WINDOW_MS = 5;

/** Slots of the table (2^18: 4 MiB); probes per lookup. */
const SLOTS = 1 << 18;
const MASK = SLOTS - 1;
const PROBES = 8;

export interface DedupFacts {
  windowMs: number;
  /** Packets dropped as copies. */
  dropped: number;
}

export class Deduplicator {
  dropped = 0;
  private readonly windowUs: number;
  /** Per slot: the two hashes. */
  private readonly keys = new Int32Array(SLOTS * 2);
  /** Per slot: time (µs) of the packet stored; -Infinity when empty. */
  private readonly times = new Float64Array(SLOTS).fill(-Infinity);
  private readonly pf = newPacketFields();
  private keep = new Uint8Array(0);
  private h1 = 0;
  private h2 = 0;

  constructor(readonly windowMs = DEFAULT_DEDUP_WINDOW_MS) {
    this.windowUs = windowMs * 1000;
  }

  facts(): DedupFacts {
    return { windowMs: this.windowMs, dropped: this.dropped };
  }

  /** Drops the copies in a batch (compacting its index in place); returns the records kept. */
  apply(batch: RecordBatch): number {
    const n = batch.count;
    if (n === 0) return 0;
    const b = new Uint8Array(batch.data);
    const dv = new DataView(batch.data);
    const idx = new Uint32Array(batch.index, 0, n * REC_WORDS);
    if (this.keep.length < n) this.keep = new Uint8Array(Math.max(n, this.keep.length * 2));
    const keep = this.keep;
    const pf = this.pf;
    let dropped = 0;
    for (let r = 0; r < n; r++) {
      keep[r] = 1;
      const o = r * REC_WORDS;
      if (decodeRecord(pf, b, dv, idx[o + REC_OFFSET], idx[o + REC_CAPLEN], idx[o + REC_ORIGLEN], idx[o + REC_LINKTYPE]) !== R_OK) continue;
      const kind = pf[F_KIND];
      if (kind === KIND_IPV4 || kind === KIND_IPV6) this.hash(dv, pf[F_L3OFF], pf[F_L3END], kind, 0);
      else if (kind === KIND_L2) this.hash(dv, pf[F_L3OFF], pf[F_L3END], kind, pf[F_ETHERTYPE]);
      else continue;
      if (this.seen(recordTsUs(idx, o))) {
        keep[r] = 0;
        dropped++;
      }
    }
    if (dropped === 0) return n;
    this.dropped += dropped;
    return compactKept(batch, idx, n, keep);
  }

  /**
   * Hashes the packet in [off, end): 32-bit words, the TTL and checksum (IPv4 word 2) or
   * hop limit (IPv6 word 1) masked out; a tail of 1-3 bytes as one padded word. An L2
   * frame (ARP, HA2) is hashed from its payload, with its ethertype.
   */
  private hash(dv: DataView, off: number, end: number, kind: number, ethertype: number): void {
    const len = end - off;
    let h1 = 0x9747b28c ^ len ^ (ethertype << 8) ^ kind;
    let h2 = 0x5bd1e995 ^ len ^ (ethertype << 8) ^ kind;
    const words = len >>> 2;
    // word 2 of IPv4 holds TTL, protocol, checksum; word 1 of IPv6 payload length, next header, hop limit
    const masked = kind === KIND_IPV4 ? 2 : kind === KIND_IPV6 ? 1 : -1;
    const mask = kind === KIND_IPV4 ? 0x00ff0000 : 0xffffff00;
    for (let i = 0; i < words; i++) {
      let w = dv.getUint32(off + i * 4);
      if (i === masked) w &= mask;
      let k = Math.imul(w, 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h1 ^= k;
      h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
      let j = Math.imul(w, 0x85ebca6b);
      j = Math.imul((j << 13) | (j >>> 19), 0xc2b2ae35);
      h2 ^= j;
      h2 = (Math.imul((h2 << 15) | (h2 >>> 17), 5) + 0x52dce729) | 0;
    }
    let tail = 0;
    for (let p = off + words * 4; p < end; p++) tail = (tail << 8) | dv.getUint8(p);
    h1 = fmix(h1 ^ Math.imul(tail, 0xcc9e2d51));
    h2 = fmix(h2 ^ Math.imul(tail, 0x85ebca6b));
    this.h1 = h1;
    this.h2 = h2;
  }

  /** Whether the hashed packet was seen within the window of `ts`; else remembers it. */
  private seen(ts: number): boolean {
    const keys = this.keys;
    const times = this.times;
    const h1 = this.h1;
    const h2 = this.h2;
    const win = this.windowUs;
    let victim = -1;
    let oldest = Infinity;
    for (let p = 0; p < PROBES; p++) {
      const s = (h1 + p) & MASK;
      const t = times[s];
      const live = t !== -Infinity && Math.abs(ts - t) <= win;
      if (live && keys[s * 2] === h1 && keys[s * 2 + 1] === h2) return true;
      // a free or stale slot first; else the oldest of the probed
      const age = live ? t : -Infinity;
      if (age < oldest) {
        oldest = age;
        victim = s;
      }
    }
    keys[victim * 2] = h1;
    keys[victim * 2 + 1] = h2;
    times[victim] = ts;
    return false;
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * Moves the records marked in `keep` to the front of the batch's index and notes their
 * global record numbers in `batch.seqs` (they are no longer consecutive); returns how many.
 */
export function compactKept(batch: RecordBatch, idx: Uint32Array, n: number, keep: Uint8Array): number {
  let kept = 0;
  for (let r = 0; r < n; r++) kept += keep[r];
  const seqs = new Float64Array(kept);
  const old = batch.seqs;
  let w = 0;
  for (let r = 0; r < n; r++) {
    if (keep[r] === 0) continue;
    if (w !== r) idx.copyWithin(w * REC_WORDS, r * REC_WORDS, (r + 1) * REC_WORDS);
    seqs[w] = old === undefined ? batch.seqBase + r : old[r];
    w++;
  }
  batch.count = w;
  batch.seqs = seqs;
  return w;
}
