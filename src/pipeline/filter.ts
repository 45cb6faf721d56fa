// Offline filters (`analyze -f/--host/--since/--until/-c`): records are dropped from a
// batch before it is aggregated, so a filtered-out packet is never decoded into a flow,
// never counted as malformed, never seen by a worker. One pass per batch: libpcap's BPF
// (through the addon, one call per batch) writes a keep mask, the time window and the
// host ranges clear more of it, and the kept records are compacted to the front of the
// index in place (their bytes stay where they are). -c then cuts the batch at the Nth
// record kept over the run. Flat loops over the index and typed arrays: no per-packet
// objects.
import type { NativeBpf } from '../capture/bpf.js';
import { quoteExpression } from '../capture/bpf.js';
import { REC_CAPLEN, REC_LINKTYPE, REC_OFFSET, REC_ORIGLEN, REC_TS_NSEC, REC_TS_SEC, REC_WORDS, type RecordBatch } from '../capture/records.js';
import { F_DST, F_KIND, F_SRC, KIND_IPV4, KIND_IPV6, newPacketFields } from '../decode/fields.js';
import { decodeRecord } from '../decode/link.js';
import { FilterError } from '../errors.js';

/** An address or CIDR block of --host, as 4 big-endian words (IPv4 in word 0) and a mask. */
export interface HostRange {
  /** As given (canonical for the report). */
  text: string;
  family: 4 | 6;
  addr: Uint32Array;
  mask: Uint32Array;
}

/**
 * A bound of --since/--until: an absolute instant (seconds and nanoseconds since the
 * epoch), or an offset from the run's first packet (`+SECONDS`).
 */
export interface TimeBound {
  relative: boolean;
  sec: number;
  nsec: number;
}

export interface FilterSpec {
  /** -f: the compiled BPF expression (null without -f). */
  bpf: NativeBpf | null;
  /** --host: a packet is kept when its source or destination is in one of them. */
  hosts: readonly HostRange[];
  /** --since: packets at or after it. */
  since: TimeBound | null;
  /** --until: packets before it. */
  until: TimeBound | null;
  /** -c: stop after this many packets kept. */
  count: number | null;
}

/** What the filters did over the run, for the report's input section. */
export interface FilterFacts {
  bpf: string | null;
  hosts: string[];
  /** The window's bounds once resolved (µs since the epoch), relative ones included. */
  sinceUs: number | null;
  untilUs: number | null;
  count: number | null;
  /** Records read and dropped by -f, --host, --since or --until. */
  filteredOut: number;
  /** -c was reached: reading stopped there. */
  stoppedEarly: boolean;
}

/** Whether any filter or limit is asked for. */
export function filtering(spec: FilterSpec): boolean {
  return spec.bpf !== null || spec.hosts.length > 0 || spec.since !== null || spec.until !== null || spec.count !== null;
}

export class RecordFilter {
  /** Records dropped by the filters so far. */
  filteredOut = 0;
  /** Records kept so far. */
  kept = 0;
  /** -c was reached. */
  stopped = false;
  /** Records of the last batch looked at (all of them, unless -c was reached inside it). */
  examined = 0;
  private keep = new Uint8Array(0);
  /** Global record numbers of the kept records, while compacting. */
  private seqs = new Float64Array(0);
  private readonly pf = newPacketFields();
  /** Resolved window: [sec, nsec) pairs; -1 sec when open. */
  private sinceSec = -1;
  private sinceNsec = 0;
  private untilSec = -1;
  private untilNsec = 0;
  private resolved = false;
  /** --host ranges flat: family, then 4 address words and 4 mask words each. */
  private readonly ranges: Uint32Array;
  private readonly rangeCount: number;

  constructor(readonly spec: FilterSpec) {
    this.rangeCount = spec.hosts.length;
    this.ranges = new Uint32Array(this.rangeCount * 9);
    spec.hosts.forEach((h, i) => {
      this.ranges[i * 9] = h.family;
      for (let w = 0; w < 4; w++) {
        this.ranges[i * 9 + 1 + w] = (h.addr[w] & h.mask[w]) >>> 0;
        this.ranges[i * 9 + 5 + w] = h.mask[w];
      }
    });
  }

  /**
   * Filters a batch in place: the kept records move to the front of its index and
   * `batch.count` becomes their number (returned). After -c is reached every later batch
   * keeps nothing. Throws FilterError when the BPF expression does not compile for a
   * record's link type.
   */
  apply(batch: RecordBatch): number {
    const n = batch.count;
    this.examined = 0;
    if (n === 0) return 0;
    if (this.stopped) {
      batch.count = 0;
      return 0;
    }
    const idx = new Uint32Array(batch.index, 0, n * REC_WORDS);
    if (!this.resolved) this.resolve(idx[REC_TS_SEC], idx[REC_TS_NSEC]);
    if (this.keep.length < n) this.keep = new Uint8Array(Math.max(n, this.keep.length * 2));
    const keep = this.keep;
    const { bpf } = this.spec;
    if (bpf !== null) {
      try {
        bpf.filter(batch.data, batch.index, n, keep);
      } catch (err) {
        const e = err as { code?: string; linktype?: number; message?: string };
        if (e.code !== 'EFILTER') throw err;
        throw new FilterError(`-f ${quoteExpression(bpf.expression)}: libpcap cannot compile it for link type ${e.linktype}: ${e.message}`);
      }
    } else keep.fill(1, 0, n);
    if (this.sinceSec >= 0 || this.untilSec >= 0) this.window(idx, n, keep);
    if (this.rangeCount > 0) this.byHost(batch, idx, n, keep);
    return this.compact(batch, idx, n, keep);
  }

  /** What the filters did, for the report. */
  facts(): FilterFacts {
    const s = this.spec;
    const us = (sec: number, nsec: number) => (sec < 0 ? null : sec * 1e6 + Math.floor(nsec / 1000));
    return {
      bpf: s.bpf?.expression ?? null,
      hosts: s.hosts.map((h) => h.text),
      // A relative bound is known once a packet was read; else it stays unresolved (null).
      sinceUs: s.since === null ? null : us(this.sinceSec, this.sinceNsec),
      untilUs: s.until === null ? null : us(this.untilSec, this.untilNsec),
      count: s.count,
      filteredOut: this.filteredOut,
      stoppedEarly: this.stopped,
    };
  }

  /** Absolute bounds; relative ones count from the first record read (`sec`, `nsec`). */
  private resolve(sec: number, nsec: number): void {
    this.resolved = true;
    const at = (b: TimeBound): [number, number] => {
      if (!b.relative) return [b.sec, b.nsec];
      const ns = nsec + b.nsec;
      return [sec + b.sec + Math.floor(ns / 1e9), ns % 1e9];
    };
    if (this.spec.since !== null) [this.sinceSec, this.sinceNsec] = at(this.spec.since);
    if (this.spec.until !== null) [this.untilSec, this.untilNsec] = at(this.spec.until);
  }

  private window(idx: Uint32Array, n: number, keep: Uint8Array): void {
    const ss = this.sinceSec;
    const sn = this.sinceNsec;
    const us = this.untilSec;
    const un = this.untilNsec;
    for (let r = 0; r < n; r++) {
      if (keep[r] === 0) continue;
      const sec = idx[r * REC_WORDS + REC_TS_SEC];
      const nsec = idx[r * REC_WORDS + REC_TS_NSEC];
      if (ss >= 0 && (sec < ss || (sec === ss && nsec < sn))) keep[r] = 0;
      else if (us >= 0 && (sec > us || (sec === us && nsec >= un))) keep[r] = 0;
    }
  }

  /**
   * Keeps IP packets whose source or destination is in a range: the addresses the flow
   * table keys the packet by (an ICMP error by the flow it quotes), so whole flows are kept
   * or dropped. A packet malformed past its IP header still has them (and stays, to be
   * counted as malformed); one without a readable IP header, or not IP, is dropped.
   */
  private byHost(batch: RecordBatch, idx: Uint32Array, n: number, keep: Uint8Array): void {
    const b = new Uint8Array(batch.data);
    const dv = new DataView(batch.data);
    const pf = this.pf;
    for (let r = 0; r < n; r++) {
      if (keep[r] === 0) continue;
      const o = r * REC_WORDS;
      decodeRecord(pf, b, dv, idx[o + REC_OFFSET], idx[o + REC_CAPLEN], idx[o + REC_ORIGLEN], idx[o + REC_LINKTYPE]);
      const kind = pf[F_KIND];
      const family = kind === KIND_IPV4 ? 4 : kind === KIND_IPV6 ? 6 : 0;
      if (family === 0 || !(this.inRange(family, F_SRC) || this.inRange(family, F_DST))) keep[r] = 0;
    }
  }

  /** Whether the address at pf[at..at+4) is in one of the ranges of `family`. */
  private inRange(family: number, at: number): boolean {
    const g = this.ranges;
    const pf = this.pf;
    for (let i = 0; i < this.rangeCount; i++) {
      const o = i * 9;
      if (g[o] !== family) continue;
      if (((pf[at] & g[o + 5]) >>> 0) === g[o + 1] && ((pf[at + 1] & g[o + 6]) >>> 0) === g[o + 2] && ((pf[at + 2] & g[o + 7]) >>> 0) === g[o + 3] && ((pf[at + 3] & g[o + 8]) >>> 0) === g[o + 4]) return true;
    }
    return false;
  }

  /** Moves the kept records to the front, stopping at the -c limit; returns their number. */
  private compact(batch: RecordBatch, idx: Uint32Array, n: number, keep: Uint8Array): number {
    const room = this.spec.count === null ? n : this.spec.count - this.kept;
    let w = 0;
    let last = -1;
    if (this.seqs.length < n) this.seqs = new Float64Array(Math.max(n, this.seqs.length * 2));
    const seqs = this.seqs;
    const given = batch.seqs;
    for (let r = 0; r < n && w < room; r++) {
      if (keep[r] === 0) continue;
      if (w !== r) idx.copyWithin(w * REC_WORDS, r * REC_WORDS, (r + 1) * REC_WORDS);
      seqs[w] = given === undefined ? batch.seqBase + r : given[r];
      w++;
      last = r;
    }
    // Records moved down: they keep their global numbers (which the file map of a capture set reads).
    if (w !== last + 1) batch.seqs = seqs.slice(0, w);
    // -c reached (on this batch's last kept record, perhaps): reading stops here, and the
    // records after that one were not looked at, neither kept nor filtered out.
    if (this.spec.count !== null && w === room) this.stopped = true;
    this.examined = this.stopped ? last + 1 : n;
    this.filteredOut += this.examined - w;
    this.kept += w;
    batch.count = w;
    return w;
  }
}
