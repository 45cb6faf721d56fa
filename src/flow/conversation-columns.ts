// Conversation facts of many flows in a few flat arrays, to hand them from a worker to the
// session: structured cloning thousands of small report objects (and their segment
// marks) cost more than the analysis of the flows; typed arrays transfer without a copy.
// encode and decode are exact inverses (test/flow/conversation-columns.test.ts).
import type { ConversationFacts, FlowFacts, PmtuEvidence } from './conversation.js';
import type { DatagramFacts, KeptDatagram } from './datagrams.js';
import type { BeatFacts } from './heartbeats.js';
import { SILENCE_BINS, SILENCE_K, type SilenceFacts } from './silences.js';
import type { StreamResult } from './stream.js';
import type { Side } from './table.js';
import type { TcpHealthReport, TcpSideReport, ZeekConnState } from './tcp-health.js';

/** TcpSideReport's fields, in column order (null is NaN). */
const SIDE_KEYS = [
  'packets',
  'payloadBytes',
  'dataSegments',
  'maxSegment',
  'retransmissions',
  'dataRetransmissions',
  'fastRetransmissions',
  'spuriousRetransmissions',
  'outOfOrder',
  'duplicateAcks',
  'zeroWindows',
  'zeroWindowProbes',
  'keepAlives',
  'lostSegments',
  'ackedUnseen',
  'mss',
  'windowScale',
] as const satisfies readonly (keyof TcpSideReport)[];

/** StreamResult's numeric fields, in column order (booleans as 0/1). */
const STREAM_KEYS = ['truncated', 'midstream', 'gaps', 'inconsistent', 'overlapBytes', 'cutBytes', 'droppedSegments', 'droppedBytes', 'budgetBytes', 'lostOnReorder', 'ignoredBytes', 'snapCut', 'closed'] as const satisfies readonly (keyof StreamResult)[];

const S = SIDE_KEYS.length;
// Per flow: originator, 2 sides, rtt (2), initialRtt, historyDropped, pmtu (9), maxSends (2),
// per stream: present, byte offset, byte length, mark offset, mark count, STREAM_KEYS.
const O_ORIG = 0;
const O_SIDES = 1;
const O_RTT = O_SIDES + 2 * S; // synToSynAck, synAckToAck; NaN/NaN: rttMs null; (x, NaN): synAckToAck null
const O_RTT_NULL = O_RTT + 2;
const O_IRTT = O_RTT_NULL + 1;
const O_HDROP = O_IRTT + 1;
const O_PMTU = O_HDROP + 1; // present, side, frameBytes, segmentBytes, retransmits, progressed, icmpMtu, adapted, peerAnswered
const O_SENDS = O_PMTU + 9;
const O_STREAMS = O_SENDS + 2;
const STREAM_WORDS = 5 + STREAM_KEYS.length;
// Any flow: its heartbeat log (present, first beat, beat count, dropped), BEAT_WORDS per
// beat in `beats`: time, flags, echo. A flow with only a heartbeat log is present 3.
const O_BT = O_STREAMS + 2 * STREAM_WORDS;
const BEAT_WORDS = 3;
// A long-lived TCP session: 1 + its row in `silences` (0: none), SL_WORDS there: the
// histograms, then the (start, length) pairs (flow/silences.ts).
const O_SL = O_BT + 4;
const SL_HIST = 2 * SILENCE_BINS;
const SL_WORDS = SL_HIST + 4 * SILENCE_K;
const WORDS = O_SL + 1;
// A UDP flow (present 2) uses the first words of its row: originator, first datagram,
// datagram count, capHit; each datagram is DGRAM_WORDS in `datagrams`: side, byte
// offset, byte length, wire length, capture time.
const O_DG_FIRST = 1;
const O_DG_COUNT = 2;
const O_DG_CAPHIT = 3;
const DGRAM_WORDS = 5;

/** The column layout, for a check that columns come from the same build. */
export const COLUMNS_FORMAT = `columns ${WORDS}: ${SIDE_KEYS.join(',')}; ${STREAM_KEYS.join(',')}; datagrams ${DGRAM_WORDS}; beats ${BEAT_WORDS}; silences ${SL_WORDS}`;

export interface ConversationColumns {
  count: number;
  /** 1 when flow i has a TCP conversation, 2 when it has UDP datagrams, 3: only heartbeat times, 0: none. */
  present: Uint8Array;
  num: Float64Array;
  /** history and connState per flow ('' for absent flows). */
  history: string[];
  connState: string[];
  bytes: Uint8Array;
  /** (offset, record) pairs of every stream, back to back. */
  marks: Float64Array;
  /** DGRAM_WORDS per kept UDP datagram, back to back. */
  datagrams: Float64Array;
  /** BEAT_WORDS per logged heartbeat packet, back to back. */
  beats: Float64Array;
  /** SL_WORDS per long-lived TCP session, back to back. */
  silences: Float64Array;
}

const nz = (v: number | null): number => (v === null ? NaN : v);
const zn = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** Packs the facts (null: no conversation) into columns. */
export function encodeColumns(facts: readonly (FlowFacts | null)[]): ConversationColumns {
  const n = facts.length;
  let byteTotal = 0;
  let markTotal = 0;
  let dgramTotal = 0;
  let beatTotal = 0;
  let slTotal = 0;
  for (const f of facts) {
    if (f === null) continue;
    if (f.kind === 'tcp' && f.silences) slTotal++;
    const bf = f.beats ?? null;
    if (bf !== null) beatTotal += bf.times.length;
    if (f.kind === 'beats') continue;
    if (f.kind === 'udp') {
      dgramTotal += f.datagrams.length;
      for (const d of f.datagrams) byteTotal += d.bytes.length;
      continue;
    }
    for (const s of f.streams) {
      if (s === null) continue;
      byteTotal += s.bytes.length;
      markTotal += s.marks.length;
    }
  }
  const present = new Uint8Array(n);
  const num = new Float64Array(n * WORDS);
  const history: string[] = new Array<string>(n).fill('');
  const connState: string[] = new Array<string>(n).fill('');
  const bytes = new Uint8Array(byteTotal);
  const marks = new Float64Array(markTotal * 2);
  const datagrams = new Float64Array(dgramTotal * DGRAM_WORDS);
  const beats = new Float64Array(beatTotal * BEAT_WORDS);
  const silences = new Float64Array(slTotal * SL_WORDS);
  let slAt = 0;
  let tAt = 0;
  let bAt = 0;
  let mAt = 0;
  let dAt = 0;
  for (let i = 0; i < n; i++) {
    const f = facts[i];
    if (f === null) continue;
    const o = i * WORDS;
    const bf = f.beats ?? null;
    if (bf !== null) {
      num[o + O_BT] = 1;
      num[o + O_BT + 1] = tAt;
      num[o + O_BT + 2] = bf.times.length;
      num[o + O_BT + 3] = bf.dropped;
      for (let k = 0; k < bf.times.length; k++, tAt++) {
        beats[tAt * BEAT_WORDS] = bf.times[k];
        beats[tAt * BEAT_WORDS + 1] = bf.flags[k];
        beats[tAt * BEAT_WORDS + 2] = bf.echo[k];
      }
    }
    if (f.kind === 'beats') {
      present[i] = 3;
      continue;
    }
    if (f.kind === 'udp') {
      present[i] = 2;
      num[o + O_ORIG] = f.originator;
      num[o + O_DG_FIRST] = dAt;
      num[o + O_DG_COUNT] = f.datagrams.length;
      num[o + O_DG_CAPHIT] = f.capHit ? 1 : 0;
      for (const d of f.datagrams) {
        const w = dAt * DGRAM_WORDS;
        datagrams[w] = d.side;
        datagrams[w + 1] = bAt;
        datagrams[w + 2] = d.bytes.length;
        datagrams[w + 3] = d.wireLength;
        datagrams[w + 4] = d.tsUs;
        bytes.set(d.bytes, bAt);
        bAt += d.bytes.length;
        dAt++;
      }
      continue;
    }
    present[i] = 1;
    const h = f.health;
    num[o + O_ORIG] = f.originator;
    for (let k = 0; k < S; k++) {
      num[o + O_SIDES + k] = nz(h.originator[SIDE_KEYS[k]]);
      num[o + O_SIDES + S + k] = nz(h.responder[SIDE_KEYS[k]]);
    }
    num[o + O_RTT_NULL] = h.rttMs === null ? 1 : 0;
    num[o + O_RTT] = nz(h.rttMs?.synToSynAck ?? null);
    num[o + O_RTT + 1] = nz(h.rttMs?.synAckToAck ?? null);
    num[o + O_IRTT] = nz(h.initialRttMs);
    num[o + O_HDROP] = h.historyDropped;
    history[i] = h.history;
    connState[i] = h.connState;
    const p = f.pmtu;
    if (p !== null) {
      num[o + O_PMTU] = 1;
      num[o + O_PMTU + 1] = p.side;
      num[o + O_PMTU + 2] = p.frameBytes;
      num[o + O_PMTU + 3] = p.segmentBytes;
      num[o + O_PMTU + 4] = p.retransmits;
      num[o + O_PMTU + 5] = p.progressed ? 1 : 0;
      num[o + O_PMTU + 6] = nz(p.icmpMtu);
      num[o + O_PMTU + 7] = p.adaptedAfterIcmp ? 1 : 0;
      num[o + O_PMTU + 8] = p.peerAnswered ? 1 : 0;
    }
    num[o + O_SENDS] = f.maxSends[0];
    num[o + O_SENDS + 1] = f.maxSends[1];
    const sl = f.silences ?? null;
    if (sl !== null) {
      num[o + O_SL] = slAt + 1;
      silences.set(sl.hist, slAt * SL_WORDS);
      silences.set(sl.gaps, slAt * SL_WORDS + SL_HIST);
      slAt++;
    }
    for (let d = 0; d < 2; d++) {
      const s = f.streams[d];
      const so = o + O_STREAMS + d * STREAM_WORDS;
      if (s === null) continue;
      num[so] = 1;
      num[so + 1] = bAt;
      num[so + 2] = s.bytes.length;
      num[so + 3] = mAt;
      num[so + 4] = s.marks.length;
      bytes.set(s.bytes, bAt);
      bAt += s.bytes.length;
      for (const m of s.marks) {
        marks[2 * mAt] = m.offset;
        marks[2 * mAt + 1] = m.record;
        mAt++;
      }
      for (let k = 0; k < STREAM_KEYS.length; k++) {
        const v = s[STREAM_KEYS[k]];
        num[so + 5 + k] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      }
    }
  }
  return { count: n, present, num, history, connState, bytes, marks, datagrams, beats, silences };
}

/** The buffers of the columns, for a transfer list. */
export function columnBuffers(c: ConversationColumns): ArrayBuffer[] {
  return [c.present.buffer, c.num.buffer, c.bytes.buffer, c.marks.buffer, c.datagrams.buffer, c.beats.buffer, c.silences.buffer] as ArrayBuffer[];
}

function sideAt(num: Float64Array, at: number): TcpSideReport {
  const r = {} as Record<(typeof SIDE_KEYS)[number], number | null>;
  for (let k = 0; k < S; k++) r[SIDE_KEYS[k]] = k >= S - 2 ? zn(num[at + k]) : num[at + k];
  return r as TcpSideReport;
}

/** Flow i's facts, or null when it had no conversation. The streams' bytes are views of the columns. */
export function decodeColumn(c: ConversationColumns, i: number): FlowFacts | null {
  if (c.present[i] === 0) return null;
  const num = c.num;
  const o = i * WORDS;
  const beats = beatsAt(c, o);
  if (c.present[i] === 3) return { kind: 'beats', beats: beats! };
  if (c.present[i] === 2) {
    const d = datagramsAt(c, o);
    if (beats !== null) d.beats = beats;
    return d;
  }
  const health: TcpHealthReport = {
    originator: sideAt(num, o + O_SIDES),
    responder: sideAt(num, o + O_SIDES + S),
    rttMs: num[o + O_RTT_NULL] === 1 ? null : { synToSynAck: zn(num[o + O_RTT]), synAckToAck: zn(num[o + O_RTT + 1]) },
    initialRttMs: zn(num[o + O_IRTT]),
    history: c.history[i],
    historyDropped: num[o + O_HDROP],
    connState: c.connState[i] as ZeekConnState,
  };
  const pmtu: PmtuEvidence | null =
    num[o + O_PMTU] === 0
      ? null
      : {
          side: num[o + O_PMTU + 1] as Side,
          frameBytes: num[o + O_PMTU + 2],
          segmentBytes: num[o + O_PMTU + 3],
          retransmits: num[o + O_PMTU + 4],
          progressed: num[o + O_PMTU + 5] === 1,
          icmpMtu: zn(num[o + O_PMTU + 6]),
          adaptedAfterIcmp: num[o + O_PMTU + 7] === 1,
          peerAnswered: num[o + O_PMTU + 8] === 1,
        };
  const streams: [StreamResult | null, StreamResult | null] = [null, null];
  for (let d = 0; d < 2; d++) {
    const so = o + O_STREAMS + d * STREAM_WORDS;
    if (num[so] === 0) continue;
    const mAt = num[so + 3];
    const mN = num[so + 4];
    const marks = [];
    for (let m = mAt; m < mAt + mN; m++) marks.push({ offset: c.marks[2 * m], record: c.marks[2 * m + 1] });
    const r = { bytes: c.bytes.subarray(num[so + 1], num[so + 1] + num[so + 2]), marks } as Record<string, unknown>;
    for (let k = 0; k < STREAM_KEYS.length; k++) {
      const key = STREAM_KEYS[k];
      const v = num[so + 5 + k];
      r[key] = key === 'truncated' || key === 'midstream' || key === 'snapCut' || key === 'closed' ? v === 1 : v;
    }
    streams[d] = r as unknown as StreamResult;
  }
  const facts: ConversationFacts = { kind: 'tcp', originator: num[o + O_ORIG] as Side, health, streams, pmtu, maxSends: [num[o + O_SENDS], num[o + O_SENDS + 1]] };
  if (beats !== null) facts.beats = beats;
  if (num[o + O_SL] !== 0) {
    const at = (num[o + O_SL] - 1) * SL_WORDS;
    const silences: SilenceFacts = { hist: Uint32Array.from(c.silences.subarray(at, at + SL_HIST)), gaps: c.silences.slice(at + SL_HIST, at + SL_WORDS) };
    facts.silences = silences;
  }
  return facts;
}

/** The heartbeat log of the flow at row `o`, or null. */
function beatsAt(c: ConversationColumns, o: number): BeatFacts | null {
  const num = c.num;
  if (num[o + O_BT] === 0) return null;
  const first = num[o + O_BT + 1];
  const n = num[o + O_BT + 2];
  const times = new Float64Array(n);
  const flags = new Uint8Array(n);
  const echo = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const w = (first + k) * BEAT_WORDS;
    times[k] = c.beats[w];
    flags[k] = c.beats[w + 1];
    echo[k] = c.beats[w + 2];
  }
  return { times, flags, echo, dropped: num[o + O_BT + 3] };
}

function datagramsAt(c: ConversationColumns, o: number): DatagramFacts {
  const num = c.num;
  const out: KeptDatagram[] = [];
  const first = num[o + O_DG_FIRST];
  for (let d = first; d < first + num[o + O_DG_COUNT]; d++) {
    const w = d * DGRAM_WORDS;
    const at = c.datagrams[w + 1];
    out.push({ side: c.datagrams[w] as Side, bytes: c.bytes.subarray(at, at + c.datagrams[w + 2]), wireLength: c.datagrams[w + 3], tsUs: c.datagrams[w + 4] });
  }
  return { kind: 'udp', originator: num[o + O_ORIG] as Side, datagrams: out, capHit: num[o + O_DG_CAPHIT] === 1 };
}
