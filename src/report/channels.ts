// The channels of a running summary (a catalog entry × client → server pair): volume, the
// counts and times its health line needs, its failures and its timeline, as typed-array
// columns indexed by channel number, found by (entry, client id, server id) in a hash index.
// A SYN flood or a scan makes a channel of every probe (flood-1M: 615,000): an object, a Map
// entry and boxed doubles per channel were ≈ 330 bytes each, the columns ≈ 100
// (bench/README.md, "flood-1M: channels as columns"). What only some channels have (a
// timeline past their first flow, more than one reason or failure) lives in maps.
import type { ClassifiedFlow } from '../classify/classify.js';
import { REASON_RANK, REASONS, type FlowState, type ReasonCode, type Verdict } from '../classify/vocabulary.js';
import { healthLineOf, healthReason, type PairHealth } from './health.js';
import type { FailureSummary, HealthLine, TimelineBucket, TimelineGap } from './model.js';
import { ChannelTimeline, oneFlowBuckets } from './timeline.js';

/** A verdict as a code (add() writes the same codes inline). */
const VERDICTS = ['ok', 'warning', 'failed'] as const satisfies readonly Verdict[];
/** Every Verdict has a code (a compile error otherwise). */
const _EVERY_VERDICT: Exclude<Verdict, (typeof VERDICTS)[number]> extends never ? true : never = true;
/** A failure's TCP outcome as a code (0: none). */
const STATES = [null, 'established', 'rejected', 'unanswered', 'reset', 'closed', 'midstream'] as const satisfies readonly (FlowState | null)[];
/** Every FlowState has a code (a compile error otherwise). */
const _EVERY_STATE: Exclude<FlowState, (typeof STATES)[number]> extends never ? true : never = true;
const STATE_CODE = new Map<FlowState | null, number>(STATES.map((s, i) => [s, i]));
/** laterFailures() of a channel with one failure or none (one array, not one per call). */
const NO_FAILURES: readonly FailureSummary[] = [];
/** A channel's reason when it has flows of two reasons or more (manyReasons). */
const MANY = -2;

function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ c, 0x27d4eb2f);
  return h ^ (h >>> 16);
}

export class ChannelStore {
  /** Channels so far (numbers 0 … size - 1, in order of first flow). */
  size = 0;
  private cap = 0;
  /** Hash index: channel + 1 per entry (0: empty), linear probing. */
  private index = new Int32Array(0);
  entry = new Int32Array(0);
  client = new Int32Array(0);
  server = new Int32Array(0);
  packets = new Float64Array(0);
  bytes = new Float64Array(0);
  flows = new Float64Array(0);
  failed = new Float64Array(0);
  degraded = new Float64Array(0);
  /** Latest end of a flow whose verdict is not failed; -Infinity: none. */
  lastSuccess = new Float64Array(0);
  /** Latest end of a failed flow; -Infinity: none. */
  lastFailure = new Float64Array(0);
  /** The first flow's first packet time (µs) and verdict code, while the channel has no timeline (its last packet: lastSuccess or lastFailure). */
  private firstUs = new Float64Array(0);
  private verdict = new Uint8Array(0);
  /** Failed and warning flows per reason: one reason (index in REASONS, -1: none yet) inline, a full count in manyReasons once there are two (reason MANY). */
  private reason = new Int8Array(0);
  private reasonFlows = new Float64Array(0);
  private readonly manyReasons = new Map<number, Uint32Array>();
  /** Failed flows per reason and outcome: the first inline (reason -1: none; outcome as STATES), the others in moreFailures. */
  private failReason = new Int8Array(0);
  private failState = new Uint8Array(0);
  private failFlows = new Float64Array(0);
  private readonly moreFailures = new Map<number, FailureSummary[]>();
  /** Per-second timelines, made at a channel's second flow (or a long-lived session's gaps). */
  private readonly timelines = new Map<number, ChannelTimeline>();
  /** Health-list order: statusRank, set when ranked. */
  rank = new Uint8Array(0);
  /** Address text by address number (the classifier's), for the channels' clients and servers. */
  private readonly names: string[] = [];

  constructor() {
    this.grow(1024);
  }

  /** Channel `c`'s client and server as text. */
  clientOf(c: number): string {
    return this.names[this.client[c]];
  }

  serverOf(c: number): string {
    return this.names[this.server[c]];
  }

  /** Channels a and b by client, then server (code-unit order, as format.ts's cmp): one call for the sorts. */
  compareEnds(a: number, b: number): number {
    const names = this.names;
    const x = names[this.client[a]];
    const y = names[this.client[b]];
    if (x !== y) return x < y ? -1 : 1;
    const u = names[this.server[a]];
    const v = names[this.server[b]];
    return u < v ? -1 : u > v ? 1 : 0;
  }

  /** The channel of (entry, clientId, serverId), -1 when there is none. */
  lookup(entry: number, clientId: number, serverId: number): number {
    const mask = this.index.length - 1;
    for (let i = hash3(entry, clientId, serverId) & mask; ; i = (i + 1) & mask) {
      const c = this.index[i] - 1;
      if (c < 0) return -1;
      if (this.client[c] === clientId && this.server[c] === serverId && this.entry[c] === entry) return c;
    }
  }

  /** The channel of entry × flow f's client → server, made when new. */
  find(entry: number, f: ClassifiedFlow): number {
    const clientId = f.clientId;
    const serverId = f.serverId;
    const mask = this.index.length - 1;
    let i = hash3(entry, clientId, serverId) & mask;
    for (; ; i = (i + 1) & mask) {
      const c = this.index[i] - 1;
      if (c < 0) break;
      if (this.client[c] === clientId && this.server[c] === serverId && this.entry[c] === entry) return c;
    }
    const c = this.size++;
    this.index[i] = c + 1;
    this.entry[c] = entry;
    this.client[c] = clientId;
    this.server[c] = serverId;
    this.lastSuccess[c] = -Infinity;
    this.lastFailure[c] = -Infinity;
    this.reason[c] = -1;
    this.failReason[c] = -1;
    this.name(clientId, f.client);
    this.name(serverId, f.server);
    if (this.size === this.cap) this.grow(this.cap * 2);
    return c;
  }

  /**
   * Room for `channels` channels: grown once, not by doubling, whose copies (the old columns
   * alive until a mark-compact) made the peak of a SYN flood's classification (bench/README.md,
   * "flood-1M, third pass"). Untouched room costs address space only.
   */
  reserve(channels: number): void {
    let cap = this.cap;
    while (cap <= channels) cap *= 2;
    if (cap > this.cap) this.grow(cap);
  }

  private name(id: number, s: string): void {
    const names = this.names;
    while (names.length <= id) names.push('');
    names[id] = s;
  }

  /** Room for `cap` channels; the index has 2 × cap entries, rebuilt from the columns. */
  private grow(cap: number): void {
    const n = this.size;
    this.entry = grown(this.entry, new Int32Array(cap), n);
    this.client = grown(this.client, new Int32Array(cap), n);
    this.server = grown(this.server, new Int32Array(cap), n);
    this.packets = grown(this.packets, new Float64Array(cap), n);
    this.bytes = grown(this.bytes, new Float64Array(cap), n);
    this.flows = grown(this.flows, new Float64Array(cap), n);
    this.failed = grown(this.failed, new Float64Array(cap), n);
    this.degraded = grown(this.degraded, new Float64Array(cap), n);
    this.lastSuccess = grown(this.lastSuccess, new Float64Array(cap), n);
    this.lastFailure = grown(this.lastFailure, new Float64Array(cap), n);
    this.firstUs = grown(this.firstUs, new Float64Array(cap), n);
    this.verdict = grown(this.verdict, new Uint8Array(cap), n);
    this.reason = grown(this.reason, new Int8Array(cap), n);
    this.reasonFlows = grown(this.reasonFlows, new Float64Array(cap), n);
    this.failReason = grown(this.failReason, new Int8Array(cap), n);
    this.failState = grown(this.failState, new Uint8Array(cap), n);
    this.failFlows = grown(this.failFlows, new Float64Array(cap), n);
    this.rank = grown(this.rank, new Uint8Array(cap), n);
    this.cap = cap;
    const index = new Int32Array(cap * 2);
    const mask = index.length - 1;
    for (let c = 0; c < n; c++) {
      let i = hash3(this.entry[c], this.client[c], this.server[c]) & mask;
      while (index[i] !== 0) i = (i + 1) & mask;
      index[i] = c + 1;
    }
    this.index = index;
  }

  /** One flow of channel c (of an entry whose flows' gaps go into the timeline when `longLived`). */
  add(c: number, f: ClassifiedFlow, longLived: boolean): void {
    this.packets[c] += f.clientPackets + f.serverPackets;
    this.bytes[c] += f.clientBytes + f.serverBytes;
    const gaps = longLived && f.gaps && f.gaps.length > 0 ? f.gaps : null;
    if (this.flows[c] === 0 && gaps === null) {
      this.firstUs[c] = f.firstTs;
      this.verdict[c] = f.verdict === 'ok' ? 0 : f.verdict === 'warning' ? 1 : 2;
    } else {
      // The map of seconds from the channel's second flow on (or a long-lived session's gaps).
      let t = this.timelines.get(c);
      if (t === undefined) this.timelines.set(c, (t = this.timeline(c)));
      t.add(f.firstTs, f.lastTs, f.verdict);
      if (gaps !== null) t.addGaps(gaps);
    }
    this.flows[c]++;
    if (f.verdict === 'failed') {
      this.failed[c]++;
      if (f.lastTs > this.lastFailure[c]) this.lastFailure[c] = f.lastTs;
    } else {
      if (f.verdict === 'warning') this.degraded[c]++;
      if (f.lastTs > this.lastSuccess[c]) this.lastSuccess[c] = f.lastTs;
    }
    if (f.verdict !== 'ok' && f.reason !== null) {
      const i = REASON_RANK.get(f.reason)!;
      const ri = this.reason[c];
      if (ri === MANY) this.manyReasons.get(c)![i]++;
      else if (ri < 0 || ri === i) {
        this.reason[c] = i;
        this.reasonFlows[c]++;
      } else {
        const r = this.reasons(c)!;
        r[i]++;
        this.manyReasons.set(c, r);
        this.reason[c] = MANY;
      }
    }
  }

  /** One failed flow's reason and outcome; true when the channel had none with them. */
  addFailure(c: number, reason: ReasonCode, state: FlowState | null): boolean {
    const ri = REASON_RANK.get(reason)!;
    const si = STATE_CODE.get(state)!;
    if (this.failReason[c] < 0) {
      this.failReason[c] = ri;
      this.failState[c] = si;
      this.failFlows[c] = 1;
      return true;
    }
    if (this.failReason[c] === ri && this.failState[c] === si) {
      this.failFlows[c]++;
      return false;
    }
    let more = this.moreFailures.get(c);
    if (more === undefined) this.moreFailures.set(c, (more = []));
    const x = more.find((y) => y.reason === reason && y.state === state);
    if (x !== undefined) {
      x.flows++;
      return false;
    }
    more.push({ client: this.clientOf(c), server: this.serverOf(c), reason, state, flows: 1 });
    return true;
  }

  /** Whether channel c has a failure. */
  hasFailures(c: number): boolean {
    return this.failReason[c] >= 0;
  }

  /** Channel c's failures as the entry lists them (new objects). */
  failureList(c: number): FailureSummary[] {
    if (this.failReason[c] < 0) return [];
    const more = this.moreFailures.get(c);
    return more === undefined ? [this.firstFailure(c)] : [this.firstFailure(c), ...more.map((x) => ({ ...x }))];
  }

  /** Channel c's first failure (a new object; c has one). */
  firstFailure(c: number): FailureSummary {
    return { client: this.clientOf(c), server: this.serverOf(c), reason: REASONS[this.failReason[c]], state: STATES[this.failState[c]], flows: this.failFlows[c] };
  }

  /** Channel c's failures after its first (the stored objects: not to be changed). */
  laterFailures(c: number): readonly FailureSummary[] {
    return this.moreFailures.get(c) ?? NO_FAILURES;
  }

  /** Channel c's first failure's flows, reason (index in REASONS) and outcome, without an object. */
  firstFailureFlows(c: number): number {
    return this.failFlows[c];
  }

  firstFailureReason(c: number): number {
    return this.failReason[c];
  }

  firstFailureState(c: number): FlowState | null {
    return STATES[this.failState[c]];
  }

  /** Flows per reason, indexed as REASONS (health.ts's PairHealth.reasons): made when asked for. */
  reasons(c: number): Uint32Array | null {
    if (this.reason[c] === MANY) return this.manyReasons.get(c)!;
    if (this.reason[c] < 0) return null;
    const r = new Uint32Array(REASONS.length);
    r[this.reason[c]] = this.reasonFlows[c];
    return r;
  }

  /** Channel c's health counts (a new object). */
  health(c: number): PairHealth {
    return { flows: this.flows[c], failed: this.failed[c], degraded: this.degraded[c], lastSuccess: this.lastSuccess[c], lastFailure: this.lastFailure[c], reasons: this.reasons(c) };
  }

  /**
   * Channel c's health line (healthLine of health(c)) for catalog entry `entry`, read from the
   * columns: no counts object, and no array of reasons for a channel of one reason, which is
   * then the line's (every reason is a failure's or a warning's, as healthReason takes them).
   */
  healthLine(c: number, entry: string): HealthLine {
    const ri = this.reason[c];
    const reason = ri === MANY ? healthReason(this.manyReasons.get(c)!) : ri < 0 ? null : REASONS[ri];
    return healthLineOf(entry, this.clientOf(c), this.serverOf(c), this.flows[c], this.failed[c], this.degraded[c], this.lastSuccess[c], this.lastFailure[c], reason);
  }

  /** The channel's timeline intervals and gaps (a channel of one flow: from its times, no timeline made). */
  timelineParts(c: number, widthS: number, max: number): { buckets: TimelineBucket[]; clipped: number; gaps: TimelineGap[] } {
    // The parts written out, not spread (V8's slow path; 8,583 one-flow channels on mixed-2M).
    if (!this.timelines.has(c) && this.flows[c] === 1) {
      const one = oneFlowBuckets(this.firstUs[c], Math.max(this.lastSuccess[c], this.lastFailure[c]), VERDICTS[this.verdict[c]], widthS, max);
      return { buckets: one.buckets, clipped: one.clipped, gaps: [] };
    }
    const t = this.timeline(c);
    const b = t.buckets(widthS, max);
    return { buckets: b.buckets, clipped: b.clipped, gaps: t.gapList() };
  }

  /** The channel's timeline (made now for a channel of one flow). */
  private timeline(c: number): ChannelTimeline {
    const have = this.timelines.get(c);
    if (have !== undefined) return have;
    const t = new ChannelTimeline();
    if (this.flows[c] > 0) t.add(this.firstUs[c], Math.max(this.lastSuccess[c], this.lastFailure[c]), VERDICTS[this.verdict[c]]);
    return t;
  }

  /** The channels of each entry (numbers rising), for `entries` entries. */
  byEntry(entries: number): Int32Array[] {
    const n = this.size;
    const start = new Int32Array(entries + 1);
    for (let c = 0; c < n; c++) start[this.entry[c] + 1]++;
    for (let e = 0; e < entries; e++) start[e + 1] += start[e];
    const all = new Int32Array(n);
    const at = start.slice(0, entries);
    for (let c = 0; c < n; c++) all[at[this.entry[c]]++] = c;
    return Array.from({ length: entries }, (_, e) => all.subarray(start[e], start[e + 1]));
  }
}

/** `to` holding the first `n` values of `from` (a column grown). */
function grown<T extends Int32Array | Float64Array | Uint8Array | Int8Array>(from: T, to: T, n: number): T {
  to.set(from.subarray(0, n) as never);
  return to;
}
