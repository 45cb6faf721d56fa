// Decode + flow aggregation of record batches: the hot loop. The same code runs inside
// each worker and, with --workers 0, on the main thread.
import { REC_CAPLEN, REC_LINKTYPE, REC_OFFSET, REC_ORIGLEN, REC_TS_NSEC, REC_TS_SEC, REC_WORDS, type RecordBatch } from '../capture/records.js';
import { F_FRAG, FRAG_FIRST, FRAG_LATER, R_LINK_UNSUPPORTED, R_MALFORMED, R_OK, R_OTHER_FAMILY, REASON_COUNT, pkt } from '../decode/fields.js';
import { decodeRecord } from '../decode/link.js';
import { FragmentLog, type FragmentSnapshot } from '../flow/fragments.js';
import { FlowTable, type FlowSnapshot } from '../flow/table.js';

/** Counters of what the decoder saw; all sums, so they merge by addition. */
export interface DecodeStats {
  packets: number;
  /** Wire bytes (original lengths). */
  bytes: number;
  capturedBytes: number;
  malformed: number;
  /** Per malformation reason code (index = code). */
  reasons: number[];
  /** [linktype, packets] for every link type seen. */
  linktypes: [number, number][];
  /** [linktype, packets] for link types not decoded. */
  unsupported: [number, number][];
  /** NULL/LOOP frames of families other than IPv4/IPv6. */
  otherFamily: number;
  /** Earliest and latest timestamps (microseconds), or 0 when no packets. */
  firstTs: number;
  lastTs: number;
}

export interface AggregateResult {
  stats: DecodeStats;
  flows: FlowSnapshot;
  fragments: FragmentSnapshot;
}

export class BatchAggregator {
  readonly table: FlowTable;
  readonly fragments = new FragmentLog();
  private packets = 0;
  private bytes = 0;
  private capturedBytes = 0;
  private otherFamily = 0;
  private firstTs = Infinity;
  private lastTs = -Infinity;
  private readonly reasons = new Float64Array(REASON_COUNT);
  private readonly linktypes = new Float64Array(65536);
  private readonly unsupported = new Float64Array(65536);

  constructor(maxFlows: number) {
    this.table = new FlowTable(maxFlows);
  }

  add(batch: RecordBatch): void {
    const b = new Uint8Array(batch.data);
    const dv = new DataView(batch.data);
    const idx = new Uint32Array(batch.index, 0, batch.count * REC_WORDS);
    const table = this.table;
    const n = batch.count;
    let seq = batch.seqBase;
    let bytes = 0;
    let captured = 0;
    for (let r = 0; r < n; r++, seq++) {
      const o = r * REC_WORDS;
      const caplen = idx[o + REC_CAPLEN];
      const origlen = idx[o + REC_ORIGLEN];
      const linkWord = idx[o + REC_LINKTYPE];
      const tsUs = idx[o + REC_TS_SEC] * 1e6 + Math.floor(idx[o + REC_TS_NSEC] / 1000);
      bytes += origlen;
      captured += caplen;
      this.linktypes[linkWord & 0xffff]++;
      if (tsUs < this.firstTs) this.firstTs = tsUs;
      if (tsUs > this.lastTs) this.lastTs = tsUs;
      const st = decodeRecord(b, dv, idx[o + REC_OFFSET], caplen, origlen, linkWord);
      if (st === R_OK) {
        const frag = pkt[F_FRAG];
        if (frag === FRAG_LATER) this.fragments.addLater(seq, tsUs, origlen);
        else {
          if (frag === FRAG_FIRST) this.fragments.addFirst(seq, tsUs);
          table.addPacket(seq, tsUs, origlen);
        }
      } else if (st >= R_MALFORMED) this.reasons[st]++;
      else if (st === R_LINK_UNSUPPORTED) this.unsupported[linkWord & 0xffff]++;
      else if (st === R_OTHER_FAMILY) this.otherFamily++;
    }
    this.packets += n;
    this.bytes += bytes;
    this.capturedBytes += captured;
  }

  /** Latest packet timestamp seen (microseconds), -Infinity before the first packet. */
  get latestTs(): number {
    return this.lastTs;
  }

  stats(): DecodeStats {
    const reasons = Array.from(this.reasons);
    return {
      packets: this.packets,
      bytes: this.bytes,
      capturedBytes: this.capturedBytes,
      malformed: reasons.reduce((a, c) => a + c, 0),
      reasons,
      linktypes: sparse(this.linktypes),
      unsupported: sparse(this.unsupported),
      otherFamily: this.otherFamily,
      firstTs: this.packets > 0 ? this.firstTs : 0,
      lastTs: this.packets > 0 ? this.lastTs : 0,
    };
  }

  result(): AggregateResult {
    return { stats: this.stats(), flows: this.table.snapshot(), fragments: this.fragments.snapshot() };
  }
}

function sparse(a: Float64Array): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < a.length; i++) if (a[i] > 0) out.push([i, a[i]]);
  return out;
}

/** Sums decode statistics from several aggregators. */
export function mergeStats(list: DecodeStats[]): DecodeStats {
  const sum = (f: (s: DecodeStats) => number): number => list.reduce((a, s) => a + f(s), 0);
  const pairs = (f: (s: DecodeStats) => [number, number][]): [number, number][] => {
    const m = new Map<number, number>();
    for (const s of list) for (const [k, v] of f(s)) m.set(k, (m.get(k) ?? 0) + v);
    return [...m.entries()].sort((x, y) => x[0] - y[0]);
  };
  const reasons = new Array<number>(REASON_COUNT).fill(0);
  for (const s of list) s.reasons.forEach((v, i) => (reasons[i] += v));
  const withPackets = list.filter((s) => s.packets > 0);
  return {
    packets: sum((s) => s.packets),
    bytes: sum((s) => s.bytes),
    capturedBytes: sum((s) => s.capturedBytes),
    malformed: sum((s) => s.malformed),
    reasons,
    linktypes: pairs((s) => s.linktypes),
    unsupported: pairs((s) => s.unsupported),
    otherFamily: sum((s) => s.otherFamily),
    firstTs: withPackets.length ? Math.min(...withPackets.map((s) => s.firstTs)) : 0,
    lastTs: withPackets.length ? Math.max(...withPackets.map((s) => s.lastTs)) : 0,
  };
}
