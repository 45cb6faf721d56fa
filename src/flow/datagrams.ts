// The first datagrams of a UDP flow, kept for the payload decoders (NTP, SNMP, RADIUS,
// Kerberos, CLDAP, syslog: issue 10). UDP has no sequence numbers, so "reassembly" is the
// capture order of one flow's packets, which the session keeps per flow (pipeline/pool.ts
// routes every packet of a flow to one store): the result is the same for any worker
// count and batch size.
//
// What is kept is bounded three ways: datagrams per flow, bytes per datagram, bytes per
// flow (and the store's global budget, shared with the TCP streams). A flow whose first
// datagram does not start like a protocol a decoder reads keeps one datagram per side
// (enough for "unknown content"). Once a flow keeps nothing more, the session marks its
// flow-table slot (conversation.ts): its later packets cost a bit test there.
import type { BeatFacts } from './heartbeats.js';
import type { PayloadBudget } from './stream.js';
import type { Side } from './table.js';

/** Datagrams kept per flow (both sides) when the content looks like a decoded protocol. */
export const MAX_DATAGRAMS = 32;
/** Bytes kept of one datagram (Kerberos replies are the largest the decoders need). */
export const MAX_DATAGRAM_BYTES = 2048;

/** One kept datagram. */
export interface KeptDatagram {
  side: Side;
  /** The captured payload, cut to MAX_DATAGRAM_BYTES. */
  bytes: Uint8Array;
  /** UDP payload length on the wire (from the UDP header, else the IP lengths). */
  wireLength: number;
  /** Capture time, µs since the epoch. */
  tsUs: number;
}

/** What a UDP flow's datagrams hand to the classifier. */
export interface DatagramFacts {
  kind: 'udp';
  /** Canonical side of the flow's first packet. */
  originator: Side;
  datagrams: KeptDatagram[];
  /** A byte cap (per flow, or the global budget) stopped keeping datagrams a decoder would have read. */
  capHit: boolean;
  /** HA2 port 29281: the times of every datagram (flow/heartbeats.ts). */
  beats?: BeatFacts | null;
}

/**
 * Whether a datagram looks like a protocol the decoders read, closely enough that random
 * payloads rarely pass (the decoders decide; this only says whether more datagrams are
 * worth keeping): one BER element spanning the datagram (LDAP and SNMP: SEQUENCE;
 * Kerberos: application tags 10-13, 30), NTP (48 to 120 bytes, version 1-4, mode 1-5,
 * stratum up to 16), RADIUS (code 1-5, 11-13, 40-45, its length within the datagram),
 * syslog ('<' and a digit).
 */
export function datagramWorthKeeping(data: Uint8Array, off: number, captured: number, wireLength: number): boolean {
  if (captured < 2) return false;
  const b0 = data[off];
  const b1 = data[off + 1];
  if (b0 === 0x30 || b0 === 0x6a || b0 === 0x6b || b0 === 0x6c || b0 === 0x6d || b0 === 0x7e) {
    // definite length, short or long form (1-3 bytes), covering exactly the datagram
    if (b1 < 0x80) return b1 + 2 === wireLength;
    const n = b1 & 0x7f;
    if (n < 1 || n > 3 || captured < 2 + n) return false;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + data[off + 2 + i];
    return len + 2 + n === wireLength;
  }
  if (b0 === 0x3c) return b1 >= 0x30 && b1 <= 0x39; // '<' and a PRI digit
  if (wireLength >= 48 && wireLength <= 120) {
    const version = (b0 >> 3) & 7;
    const mode = b0 & 7;
    if (version >= 1 && version <= 4 && mode >= 1 && mode <= 5 && b1 <= 16) return true;
  }
  if (captured >= 4 && wireLength >= 20 && ((b0 >= 1 && b0 <= 5) || (b0 >= 11 && b0 <= 13) || (b0 >= 40 && b0 <= 45))) {
    const len = (data[off + 2] << 8) | data[off + 3];
    if (len >= 20 && len <= wireLength) return true;
  }
  return false;
}

/** Numbers per kept datagram in DatagramLog's metadata: side, start in the buffer, length kept, wire length, time (µs). */
const META = 5;

/**
 * The kept datagrams of one UDP flow: one byte buffer, metadata in one array (META numbers a
 * datagram). Most flows keep one or two datagrams: five arrays of a few numbers each took
 * ≈ 0.9 KB of heap a flow (an array's first push gives it room for 17), 4.5 MB on mixed-2M.
 */
export class DatagramLog {
  private buf: Uint8Array | null = null;
  private used = 0;
  private readonly meta: number[] = [];
  /** Sides (bit 1: side 0, bit 2: side 1) that had a datagram kept. */
  private sidesKept = 0;
  /** 0: undecided (nothing kept yet), 1: keep up to the caps, 2: one per side only. */
  private mode = 0;
  /** No more datagrams are kept: the session stops handing them over. */
  full = false;
  capHit = false;

  constructor(
    readonly originator: Side,
    private readonly budget: PayloadBudget,
    private readonly maxBytes: number,
  ) {}

  /** One datagram from `side`: data[off, off + captured) holds its captured payload. */
  add(side: Side, data: Uint8Array, off: number, captured: number, wireLength: number, tsUs: number): void {
    if (this.mode === 0) this.mode = datagramWorthKeeping(data, off, captured, wireLength) ? 1 : 2;
    const bit = side === 0 ? 1 : 2;
    if (this.mode === 2 && (this.sidesKept & bit) !== 0) {
      // Content no decoder reads: a side's second datagram ends the keeping (a reply that
      // comes later would only matter for content already unknown).
      this.full = true;
      return;
    }
    if (this.meta.length >= MAX_DATAGRAMS * META) {
      // The first datagrams are what is inspected (as the first bytes of a stream are), not a cap hit.
      this.full = true;
      return;
    }
    const n = Math.max(0, Math.min(captured, MAX_DATAGRAM_BYTES, this.maxBytes - this.used));
    if (n < Math.min(captured, MAX_DATAGRAM_BYTES) && this.used >= this.maxBytes) {
      this.stop();
      return;
    }
    if (!this.reserve(this.used + n)) {
      this.stop();
      return;
    }
    if (n > 0) this.buf!.set(data.subarray(off, off + n), this.used);
    this.meta.push(side, this.used, n, wireLength, tsUs);
    this.used += n;
    this.sidesKept |= bit;
    if (this.mode === 2 && this.sidesKept === 3) this.full = true;
  }

  /** A cap stops the keeping of a flow a decoder reads. */
  private stop(): void {
    this.capHit = true;
    this.full = true;
  }

  /** Room for `need` bytes in the buffer, within the budget; false when the budget is spent. */
  private reserve(need: number): boolean {
    const cap = this.buf === null ? 0 : this.buf.length;
    if (need <= cap) return true;
    let want = Math.max(512, cap * 2);
    while (want < need) want *= 2;
    want = Math.min(want, Math.max(need, this.maxBytes));
    if (want - cap > this.budget.limit - this.budget.used) return false;
    const slab = this.budget.slab;
    const nb = slab?.alloc(want) ?? new Uint8Array(want);
    if (this.buf !== null) {
      nb.set(this.buf.subarray(0, this.used));
      slab?.release(this.buf);
    }
    this.budget.used += want - cap;
    this.buf = nb;
    return true;
  }

  /**
   * The facts so far (a copy of the bytes); `final`: the flow leaves, the facts take the
   * buffer itself (no copy) and the budget gets its bytes back.
   */
  facts(final: boolean): DatagramFacts {
    const all = this.buf === null ? new Uint8Array(0) : final ? this.buf.subarray(0, this.used) : this.buf.slice(0, this.used);
    const datagrams: KeptDatagram[] = [];
    const m = this.meta;
    for (let i = 0; i < m.length; i += META) {
      datagrams.push({ side: m[i] as Side, bytes: all.subarray(m[i + 1], m[i + 1] + m[i + 2]), wireLength: m[i + 3], tsUs: m[i + 4] });
    }
    if (final && this.buf !== null) {
      // The facts own the buffer now: close() must not hand it back to the slab.
      this.budget.used -= this.buf.length;
      this.buf = null;
    }
    if (final) this.close();
    return { kind: 'udp', originator: this.originator, datagrams, capHit: this.capHit };
  }

  close(): void {
    if (this.buf !== null) {
      this.budget.used -= this.buf.length;
      this.budget.slab?.release(this.buf);
      this.buf = null;
    }
    this.full = true;
  }
}
