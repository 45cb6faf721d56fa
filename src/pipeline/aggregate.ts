// Decode + flow aggregation of record batches: the hot loop. The same code runs inside
// each worker and, inline, on the main thread. An aggregator hands over what it gathered
// with drain(): a session drains once at the end of a file run, and at every expiry check
// of a live capture.
import { REC_CAPLEN, REC_LINKTYPE, REC_OFFSET, REC_ORIGLEN, REC_WORDS, recordTsUs, type RecordBatch } from '../capture/records.js';
import { F_DPORT, F_ETHERTYPE, F_FRAG, F_ICMPECHO, F_ICMPERR, F_ICMPMSG, F_ICMPMTU, F_KIND, F_PAYLEN, F_PROTO, F_SPORT, F_TCPHLEN, FRAG_FIRST, FRAG_LATER, KIND_L2, PAYLEN_CUT, R_LINK_UNSUPPORTED, R_MALFORMED, R_OK, R_OTHER_FAMILY, REASON_COUNT, newPacketFields } from '../decode/fields.js';
import { decodeRecord } from '../decode/link.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../decode/transport.js';
import { BEAT_PLAIN, BEAT_REPLY, BEAT_REQUEST, HEARTBEAT_ETHERTYPE, HEARTBEAT_IP_PROTOCOL, HEARTBEAT_UDP_PORT } from '../flow/heartbeats.js';
import type { DecodeStats } from '../decode/stats.js';
import { ConversationIndex, ConversationStore, DEFAULT_INSPECT_LIMITS, type InspectLimits } from '../flow/conversation.js';
import { FragmentLog, type FragmentSnapshot } from '../flow/fragments.js';
import { FlowTable, KEY_WORDS, type FlowSnapshot } from '../flow/table.js';

export type { DecodeStats } from '../decode/stats.js';

export interface AggregateResult {
  stats: DecodeStats;
  /** The partial flow table; null when the aggregator writes into a table it was given. */
  flows: FlowSnapshot | null;
  fragments: FragmentSnapshot;
}

export class BatchAggregator {
  table: FlowTable;
  readonly fragments = new FragmentLog();
  /** TCP health, payload prefixes and PMTU evidence of the flows this aggregator sees. */
  readonly conversations: ConversationStore;
  /** The decoder's output for the packet at hand, reused for every packet. */
  private readonly pf = newPacketFields();
  private packets = 0;
  private bytes = 0;
  private capturedBytes = 0;
  private otherFamily = 0;
  private firstTs = Infinity;
  private lastTs = -Infinity;
  private readonly reasons = new Float64Array(REASON_COUNT);
  private readonly linktypes = new Float64Array(65536);
  private readonly unsupported = new Float64Array(65536);
  /** Link types counted since the last drain, so stats and drains skip the other 65,000. */
  private readonly seenLinks: number[] = [];
  /** Whether the table is the caller's (inline aggregation into a session's table). */
  private readonly shared: boolean;
  /**
   * The flows handed over by a drain that was not the last (live) and not forgotten since
   * (forget(): they left the session, expired or with no room in its table): the flows the
   * session holds from this aggregator. The table restarts empty at each drain and is capped
   * at maxFlows; a full one still admits these, so that new flows arriving first cannot push
   * out a flow the session's table holds (which one table fed every packet would count):
   * the session's merge then decides as inline (FlowTable.merge).
   */
  private readonly handedOver = new ConversationIndex();
  private handedOverCount = 0;
  private readonly key = new Uint32Array(KEY_WORDS);
  private readonly admit = (k: Uint32Array, o: number): boolean => this.handedOver.lookup(k, o) >= 0;

  constructor(
    private readonly maxFlows: number,
    table?: FlowTable,
    limits: InspectLimits = DEFAULT_INSPECT_LIMITS,
  ) {
    this.conversations = new ConversationStore(limits, maxFlows);
    this.shared = table !== undefined;
    this.table = table ?? new FlowTable(maxFlows);
  }

  /** Aggregates the records of `batch`, or only those whose owner in `route` is `me` (a router's share). */
  add(batch: RecordBatch): void;
  add(batch: RecordBatch, route: Uint8Array | undefined, me: number): void;
  add(batch: RecordBatch, route?: Uint8Array, me = 0): void {
    const b = new Uint8Array(batch.data);
    const dv = new DataView(batch.data);
    const idx = new Uint32Array(batch.index, 0, batch.count * REC_WORDS);
    const table = this.table;
    const pf = this.pf;
    const convs = this.conversations;
    const n = batch.count;
    const seqs = batch.seqs;
    let seq = batch.seqBase;
    let bytes = 0;
    let captured = 0;
    let counted = n;
    for (let r = 0; r < n; r++, seq++) {
      if (route !== undefined && route[r] !== me) {
        counted--;
        continue;
      }
      if (seqs !== undefined) seq = seqs[r];
      const o = r * REC_WORDS;
      const caplen = idx[o + REC_CAPLEN];
      const origlen = idx[o + REC_ORIGLEN];
      const linkWord = idx[o + REC_LINKTYPE];
      const tsUs = recordTsUs(idx, o);
      bytes += origlen;
      captured += caplen;
      if (this.linktypes[linkWord & 0xffff]++ === 0) this.seenLinks.push(linkWord & 0xffff);
      if (tsUs < this.firstTs) this.firstTs = tsUs;
      if (tsUs > this.lastTs) this.lastTs = tsUs;
      const st = decodeRecord(pf, b, dv, idx[o + REC_OFFSET], caplen, origlen, linkWord);
      if (st === R_OK) {
        const frag = pf[F_FRAG];
        if (frag === FRAG_LATER) this.fragments.addLater(pf, seq, tsUs, origlen);
        else {
          if (frag === FRAG_FIRST) this.fragments.addFirst(pf, seq, tsUs);
          table.clock[0] = tsUs;
          const slot = table.addPacketNow(pf, seq, origlen);
          // TCP segments with a whole header, and ICMP errors carrying a path MTU about a TCP flow.
          if (slot >= 0 && pf[F_KIND] === KIND_L2) {
            if (pf[F_ETHERTYPE] === HEARTBEAT_ETHERTYPE) {
              convs.tsUs = tsUs;
              convs.beat(table, slot, BEAT_PLAIN, 0);
            }
          } else if (slot >= 0) {
            const proto = pf[F_PROTO];
            if (proto === IPPROTO_TCP && (pf[F_ICMPERR] === 0 ? pf[F_TCPHLEN] !== 0 : pf[F_ICMPMTU] !== 0)) {
              convs.tsUs = tsUs;
              convs.packet(pf, b, table, slot, seq, origlen);
            } else if (proto === IPPROTO_UDP && pf[F_ICMPERR] === 0 && pf[F_PAYLEN] !== PAYLEN_CUT && frag !== FRAG_LATER) {
              // UDP datagrams (not ICMP errors about them) for the datagram decoders.
              convs.tsUs = tsUs;
              convs.datagram(pf, b, table, slot);
              if (pf[F_SPORT] === HEARTBEAT_UDP_PORT || pf[F_DPORT] === HEARTBEAT_UDP_PORT) convs.beat(table, slot, BEAT_PLAIN, 0);
            } else if (pf[F_ICMPERR] === 0 && (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6)) {
              // Echo requests and replies (HA1 heartbeats when the hosts are HA peers).
              const type = (pf[F_ICMPMSG] >>> 8) & 0xff;
              const echo = pf[F_ICMPMSG] === 0 ? 0 : proto === IPPROTO_ICMP ? (type === 8 ? BEAT_REQUEST : type === 0 ? BEAT_REPLY : 0) : type === 128 ? BEAT_REQUEST : type === 129 ? BEAT_REPLY : 0;
              if (echo !== 0) {
                convs.tsUs = tsUs;
                convs.beat(table, slot, echo, pf[F_ICMPECHO]);
              }
            } else if (proto === HEARTBEAT_IP_PROTOCOL && pf[F_ICMPERR] === 0) {
              convs.tsUs = tsUs;
              convs.beat(table, slot, BEAT_PLAIN, 0);
            }
          }
        }
      } else if (st >= R_MALFORMED) this.reasons[st]++;
      else if (st === R_LINK_UNSUPPORTED) this.unsupported[linkWord & 0xffff]++;
      else if (st === R_OTHER_FAMILY) this.otherFamily++;
    }
    this.packets += counted;
    this.bytes += bytes;
    this.capturedBytes += captured;
  }

  /** The flows packed in `keys` (KEY_WORDS each) left the session: a full table no longer admits them (see handedOver). */
  forget(keys: Uint32Array): void {
    if (this.handedOverCount === 0) return;
    for (let o = 0; o < keys.length; o += KEY_WORDS) if (this.handedOver.release(keys, o) >= 0) this.handedOverCount--;
    if (this.handedOverCount === 0) this.table.admit = null;
  }

  /** Latest packet timestamp seen since the last drain (microseconds), -Infinity before any. */
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
      linktypes: sparse(this.linktypes, this.seenLinks),
      unsupported: sparse(this.unsupported, this.seenLinks),
      otherFamily: this.otherFamily,
      firstTs: this.packets > 0 ? this.firstTs : 0,
      lastTs: this.packets > 0 ? this.lastTs : 0,
    };
  }

  /**
   * Hands over everything gathered since the last drain and starts afresh: statistics,
   * logged fragments and, unless the table is shared, the flows (the table restarts empty).
   * `final`: the last drain (nothing is added after it).
   */
  drain(final = false): AggregateResult {
    const flows = this.shared ? null : this.table.snapshot();
    const result: AggregateResult = { stats: this.stats(), flows, fragments: this.fragments.snapshot() };
    this.fragments.clear();
    if (flows !== null && !final) {
      const key = this.key;
      for (let j = 0; j < flows.count; j++) {
        for (let w = 0; w < KEY_WORDS; w++) key[w] = flows.keys[j * KEY_WORDS + w];
        this.handedOver.acquire(key);
        if (this.handedOver.created) this.handedOverCount++;
      }
    }
    if (!this.shared && this.table.size + this.table.overflowPackets > 0) this.table = new FlowTable(this.maxFlows);
    if (!this.shared) this.table.admit = this.handedOverCount > 0 ? this.admit : null;
    this.packets = 0;
    this.bytes = 0;
    this.capturedBytes = 0;
    this.otherFamily = 0;
    this.firstTs = Infinity;
    this.lastTs = -Infinity;
    this.reasons.fill(0);
    for (const lt of this.seenLinks) {
      this.linktypes[lt] = 0;
      this.unsupported[lt] = 0;
    }
    this.seenLinks.length = 0;
    return result;
  }
}

/** [link type, count] for the counted link types, in link-type order. */
function sparse(a: Float64Array, seen: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const i of [...seen].sort((x, y) => x - y)) if (a[i] > 0) out.push([i, a[i]]);
  return out;
}

export { mergeStats } from '../decode/stats.js';
