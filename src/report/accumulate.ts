// The running summary: classified flows are folded in (per section and per entry totals,
// first/last seen, pairs and failures per entry, the listed flows, non-IP per ethertype,
// `other`) and then dropped. Failed and degraded counts follow the flows' verdicts, and
// the status of entries and pairs follows from them (channelStatus). File analysis feeds
// one accumulator all flows at once; live capture feeds it each batch of flows that leave
// the flow table, so its memory grows with distinct host pairs and the --max-listed cap,
// not with the number of flows.
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow, RoleBook } from '../classify/classify.js';
import { channelStatus, REASON_RANK, REASONS, SECTION_ORDER, type ReasonCode, type SectionId } from '../classify/vocabulary.js';
import { ChannelStore } from './channels.js';
import { flowRecord } from './flow-record.js';
import { HeartbeatAccumulator } from './ha.js';
import { LONG_LIVED_TCP_PORTS } from '../flow/silences.js';
import { cmp, isoMicros, microsFromIso } from './format.js';
import { addToPairHealth, DEFAULT_MAX_CHANNELS, emptyPairHealth, healthLine, healthOmitted, mergePairHealth, statusRank, type PairHealth } from './health.js';
import { ethertypeName } from './names.js';
import type { ChannelState, EntrySummary, FailureSummary, HealthLine, HealthOmitted, InputSummary, MergeState, PairSummary, SectionSummary, Summary, TimelineChannel } from './model.js';
import { SKETCH_BITS } from '../flow/table.js';
import { defaultInterval, MAX_CHANNEL_BUCKETS, MAX_TIMELINE_BUCKETS, timelineChannel } from './timeline.js';

export interface AccumulateOptions {
  /** List every flow (--flows), not only unexpected, failed and warning ones. */
  allFlows: boolean;
  /** Without allFlows, list at most this many unexpected/failed/warning flows (most bytes first). */
  maxListed: number;
  /** Client → server pairs kept per entry. */
  topPairs: number;
  /** Channels listed in the health list and the timeline at most (--max-channels; the worst kept); absent: DEFAULT_MAX_CHANNELS. */
  maxChannels?: number;
  /** Timeline interval in seconds (one of INTERVAL_LADDER); null or absent: chosen from the capture's duration (defaultInterval). */
  interval?: number | null;
}

const SECTION_INDEX = new Map<string, number>(SECTION_ORDER.map((id, i) => [id, i]));


/** Flow, packet and byte counts, failed and warning verdicts, the time span: folded one flow at a time. */
class Totals {
  flows = 0;
  packets = 0;
  bytes = 0;
  failed = 0;
  degraded = 0;
  lo = Infinity;
  hi = -Infinity;

  add(f: ClassifiedFlow): void {
    this.flows++;
    this.packets += f.clientPackets + f.serverPackets;
    this.bytes += f.clientBytes + f.serverBytes;
    if (f.verdict === 'failed') this.failed++;
    else if (f.verdict === 'warning') this.degraded++;
    if (f.firstTs < this.lo) this.lo = f.firstTs;
    if (f.lastTs > this.hi) this.hi = f.lastTs;
  }

  counts(): { flows: number; packets: number; bytes: number; failed: number; degraded: number } {
    return { flows: this.flows, packets: this.packets, bytes: this.bytes, failed: this.failed, degraded: this.degraded };
  }

  span(): { firstSeen: string | null; lastSeen: string | null } {
    return this.flows === 0 ? { firstSeen: null, lastSeen: null } : { firstSeen: isoMicros(this.lo), lastSeen: isoMicros(this.hi) };
  }
}

interface EntryAcc {
  totals: Totals;
  /** Its channels (ChannelStore). */
  channels: number;
  failureCount: number;
  /** A long-lived session's entry: its flows' gaps go into the timeline. */
  longLived: boolean;
}

/**
 * A channel's (pair's) key from its address numbers: a small integer (a Map key V8 keeps
 * unboxed) while both are below 2^15, else 2^30 + clientId * 2^26 + serverId, above them all.
 */
export function channelKey(clientId: number, serverId: number): number {
  return clientId < 32768 && serverId < 32768 ? (clientId << 15) | serverId : 2 ** 30 + clientId * 2 ** 26 + serverId;
}

/** The listing rule without --flows: unexpected flows and flows that failed or warn. */
function selects(f: ClassifiedFlow): boolean {
  return f.section === 'unexpected' || f.verdict !== 'ok';
}

/** Most bytes first, then first seen first: a total order, as no two flows share a first record. */
function byVolume(a: ClassifiedFlow, b: ClassifiedFlow): number {
  return b.clientBytes + b.serverBytes - (a.clientBytes + a.serverBytes) || a.firstSeq - b.firstSeq;
}

/** The n best items by `order` in one pass, kept sorted: a full sort of 10^5 pairs is waste. */
export function topN<T>(items: Iterable<T>, n: number, order: (a: T, b: T) => number): T[] {
  const top: T[] = [];
  for (const x of items) {
    if (top.length === n && order(x, top[n - 1]) >= 0) continue;
    let i = top.length < n ? top.length : n - 1;
    while (i > 0 && order(x, top[i - 1]) < 0) i--;
    top.splice(i, 0, x);
    if (top.length > n) top.pop();
  }
  return top;
}

/**
 * Keeps the `max` best items by `order`, a total order (every use's is: no two items tie, so
 * which items are kept does not depend on the order they come in). Below `max` items they
 * are only collected; at the first item past it they become a binary heap with the worst
 * kept item on top (made in one pass), which each better item then replaces.
 */
export class BestOf<T> {
  items: T[] = [];
  /**
   * Items added so far: past `max`, the kept ones are a heap. (Not a flag set once: a field
   * that changes for the first time when the heap is made, late in a run, throws away the
   * optimised code of every caller that read it, judge() among them through mayKeep.)
   */
  private added = 0;
  constructor(
    readonly max: number,
    private readonly order: (a: T, b: T) => number,
  ) {}

  add(x: T): void {
    const h = this.items;
    const added = ++this.added;
    if (h.length < this.max) {
      h.push(x);
      return;
    }
    if (h.length === 0) return;
    if (added === this.max + 1) for (let i = (h.length >> 1) - 1; i >= 0; i--) this.siftDown(h[i], i);
    // Replace the worst kept item and sift down.
    if (this.order(x, h[0]) < 0) this.siftDown(x, 0);
  }

  /** Puts x at i and moves it down below every worse child. */
  private siftDown(x: T, i: number): void {
    const h = this.items;
    const order = this.order;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && order(h[r], h[l]) > 0 ? r : l;
      if (order(h[c], x) <= 0) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = x;
  }

  /**
   * Whether x could still be kept: false once the kept items are a heap and x is not better
   * than the worst of them (which only gets better as items come). Cheap and conservative:
   * true while `max` items have not been passed.
   */
  mayKeep(x: T): boolean {
    if (this.max === 0) return false;
    // Nothing read of `items` before it holds an item (its array map changes then), and x
    // compared before the heap is made too (the answer is true then whatever it says): what
    // changes late in a run throws away the optimised code of the callers (judge's, inlined).
    if (this.added === 0) return true;
    const better = this.order(x, this.items[0]) < 0;
    return this.added <= this.max || better;
  }

  sorted(): T[] {
    return [...this.items].sort(this.order);
  }
}

/** The role book as the summary lists it: by address, roles and possible roles sorted. */
function roleAssignments(book: RoleBook): Summary['roles'] {
  return [...book.roles.entries()]
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([address, r]) => ({ address, roles: [...r.roles].sort(), source: r.source, evidence: [...r.evidence], possible: [...r.possible].sort() }));
}

export class SummaryAccumulator {
  /** Flows folded in so far. */
  flowCount = 0;
  private sections: Totals[];
  private entries: EntryAcc[];
  private other = new Totals();
  private nonIp = new Map<number, Totals>();
  private infra = new Map<NonNullable<ClassifiedFlow['infrastructure']>, Totals>();
  /** The listed flows: every flow with allFlows, else the largest unexpected/failed/warning ones. */
  private listed: BestOf<ClassifiedFlow> | ClassifiedFlow[];
  /** Flows the listing rule selected (listed or not). */
  private selected = 0;
  /** HA cadence: heartbeat flows per channel (ha.ts). */
  private readonly ha = new HeartbeatAccumulator();
  /** Every entry's client → server pairs. */
  private readonly channels = new ChannelStore();

  constructor(
    readonly catalog: Catalog,
    readonly opts: AccumulateOptions,
  ) {
    this.sections = SECTION_ORDER.map(() => new Totals());
    this.entries = catalog.entries.map((e) => ({
      totals: new Totals(),
      channels: 0,
      failureCount: 0,
      longLived: e.transport === 'tcp' && e.port !== null && LONG_LIVED_TCP_PORTS.includes(e.port),
    }));
    this.listed = opts.allFlows ? [] : new BestOf<ClassifiedFlow>(opts.maxListed, byVolume);
  }

  /**
   * Folds in classified flows. Channels are found by clientId and serverId: the flows must come
   * from one FlowClassifier (or its forks), whose address numbers never change.
   */
  addFlows(flows: readonly ClassifiedFlow[]): void {
    const allFlows = this.opts.allFlows;
    const entries = this.catalog.entries;
    for (const f of flows) {
      this.flowCount++;
      const si = SECTION_INDEX.get(f.section);
      if (si !== undefined) this.sections[si].add(f);
      const hb = f.heartbeat;
      for (const i of f.entries) {
        const c = this.addToEntry(i, f);
        // A heartbeat's channel is its entry's (classification takes that entry from the flow's).
        if (hb !== undefined && hb !== null && entries[i].id === hb.entry) this.ha.add(f, hb, c);
      }
      if (allFlows || selects(f)) {
        this.selected++;
        if (Array.isArray(this.listed)) this.listed.push(f);
        else this.listed.add(f);
      }
      if (f.section === 'other' && f.transport !== 'ethertype' && !f.infrastructure) this.other.add(f);
      if (f.infrastructure) {
        let t = this.infra.get(f.infrastructure);
        if (t === undefined) this.infra.set(f.infrastructure, (t = new Totals()));
        t.add(f);
      }
      if (f.transport === 'ethertype' && f.entries.length === 0) {
        let t = this.nonIp.get(f.ethertype!);
        if (t === undefined) this.nonIp.set(f.ethertype!, (t = new Totals()));
        t.add(f);
      }
    }
  }

  /** Room for `channels` more channels (ChannelStore.reserve): what the flows still to come can open (PreparedFlows.channelBound). */
  reserveChannels(channels: number): void {
    this.channels.reserve(this.channels.size + channels);
  }

  /**
   * Whether folding in `f` (judged, not folded in yet) may list it: false means its record
   * never shows (the listing rule leaves it out, or the listed flows are all larger already).
   */
  mayList(f: ClassifiedFlow): boolean {
    if (this.opts.allFlows) return true;
    return selects(f) && (Array.isArray(this.listed) || this.listed.mayKeep(f));
  }

  /** Folds f into entry i and its channel; the channel's number. */
  private addToEntry(i: number, f: ClassifiedFlow): number {
    const e = this.entries[i];
    e.totals.add(f);
    const ch = this.channels;
    const n = ch.size;
    const c = ch.find(i, f);
    if (ch.size > n) e.channels++;
    ch.add(c, f, e.longLived);
    // Classification gives every failed verdict its reason.
    if (f.verdict === 'failed' && ch.addFailure(c, f.reason as ReasonCode, f.state)) e.failureCount++;
    return c;
  }

  /** Running totals per section, in SECTION_ORDER (for the live view). */
  sectionCounts(): { id: SectionId; flows: number; packets: number; bytes: number; failed: number; degraded: number }[] {
    return SECTION_ORDER.map((id, i) => ({ id, ...this.sections[i].counts() }));
  }

  /**
   * The health list (sorted, as the summary's, at most maxChannels: the worst) of every flow
   * folded in so far and of `more`, flows not folded in (live: the active ones, classified from
   * the same classifier or a fork), and what was left out per status: what summary().health
   * would be had `more` been folded in, without folding them in.
   */
  healthView(more: readonly ClassifiedFlow[] = []): { health: HealthLine[]; omitted: HealthOmitted | undefined } {
    const { lines, omitted } = this.worst(more);
    return { health: lines, omitted };
  }

  /**
   * The worst maxChannels channels (the health list's order) of every flow folded in and of
   * `more` (healthView), as health lines; their channel numbers (`more` empty: all are
   * channels of the store); what was left out per status; and, when every channel is kept
   * and none is new, the same numbers in the timeline's order (entry, client, server), else null.
   */
  private worst(more: readonly ClassifiedFlow[]): { lines: HealthLine[]; omitted: HealthOmitted | undefined; kept: number[]; inEnds: number[] | null } {
    const ch = this.channels;
    const n = ch.size;
    // `more`'s health per channel already seen, and per channel not seen yet (numbered from n on).
    const extra = new Map<number, PairHealth>();
    const fresh: { entry: number; client: string; server: string; health: PairHealth; rank: number }[] = [];
    const freshKeys = new Map<number, Map<number, number>>();
    for (const f of more) {
      for (const i of f.entries) {
        const c = ch.lookup(i, f.clientId, f.serverId);
        let h: PairHealth | undefined;
        if (c >= 0) {
          h = extra.get(c);
          if (h === undefined) extra.set(c, (h = emptyPairHealth()));
        } else {
          let byKey = freshKeys.get(i);
          if (byKey === undefined) freshKeys.set(i, (byKey = new Map()));
          const key = channelKey(f.clientId, f.serverId);
          let k = byKey.get(key);
          if (k === undefined) {
            byKey.set(key, (k = fresh.length));
            fresh.push({ entry: i, client: f.client, server: f.server, health: emptyPairHealth(), rank: 0 });
          }
          h = fresh[k].health;
        }
        addToPairHealth(h, f.verdict, f.reason, f.lastTs);
      }
    }
    const healthOf = (c: number): PairHealth => {
      if (c >= n) return fresh[c - n].health;
      const x = extra.get(c);
      if (x === undefined) return ch.health(c);
      const h = emptyPairHealth();
      mergePairHealth(h, ch.health(c));
      mergePairHealth(h, x);
      return h;
    };
    const rank = ch.rank;
    const rankOf = (c: number) => (c < n ? rank[c] : fresh[c - n].rank);
    const entryOf = (c: number) => (c < n ? ch.entry[c] : fresh[c - n].entry);
    const clientOf = (c: number) => (c < n ? ch.clientOf(c) : fresh[c - n].client);
    const serverOf = (c: number) => (c < n ? ch.serverOf(c) : fresh[c - n].server);
    // healthOrder over channel numbers (one entry rank is one entry id); without `more`, straight from the columns.
    const entry = ch.entry;
    const order =
      fresh.length === 0
        ? (a: number, b: number) => rank[a] - rank[b] || entry[a] - entry[b] || ch.compareEnds(a, b)
        : (a: number, b: number) => rankOf(a) - rankOf(b) || entryOf(a) - entryOf(b) || cmp(clientOf(a), clientOf(b)) || cmp(serverOf(a), serverOf(b));
    const max = this.opts.maxChannels ?? DEFAULT_MAX_CHANNELS;
    const byRank = [0, 0, 0, 0];
    for (let c = 0; c < n; c++) {
      const x = extra.get(c);
      rank[c] = x === undefined ? statusRank(ch.flows[c], ch.failed[c], ch.degraded[c]) : statusRank(ch.flows[c] + x.flows, ch.failed[c] + x.failed, ch.degraded[c] + x.degraded);
      byRank[rank[c]]++;
    }
    for (let k = 0; k < fresh.length; k++) {
      const x = fresh[k];
      x.rank = statusRank(x.health.flows, x.health.failed, x.health.degraded);
      byRank[x.rank]++;
    }
    const entries = this.catalog.entries;
    // A channel of the store alone: its line straight from the columns (no counts object per channel).
    const lineOf = (c: number) => (c < n && !extra.has(c) ? ch.healthLine(c, entries[ch.entry[c]].id) : healthLine(entries[entryOf(c)].id, clientOf(c), serverOf(c), healthOf(c)));
    if (fresh.length === 0 && n <= max) {
      // Every channel is kept (mixed-2M: 8,586): one sort, by entry, client and server (the
      // timeline's order); the health list's order is that one grouped by rank, keeping it
      // within each rank (a counting pass) — what sorting by `order` gives, with one sort less.
      const inEnds: number[] = [];
      for (let c = 0; c < n; c++) inEnds.push(c);
      inEnds.sort((a, b) => entry[a] - entry[b] || ch.compareEnds(a, b));
      const at = [0, byRank[0], byRank[0] + byRank[1], byRank[0] + byRank[1] + byRank[2]];
      const kept: number[] = new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) {
        const c = inEnds[i];
        kept[at[rank[c]]++] = c;
      }
      return { lines: kept.map(lineOf), omitted: undefined, kept, inEnds };
    }
    const best = new BestOf<number>(max, order);
    for (let c = 0; c < n + fresh.length; c++) best.add(c);
    const kept = best.sorted();
    for (const c of kept) byRank[rankOf(c)]--;
    return { lines: kept.map(lineOf), omitted: healthOmitted(byRank), kept, inEnds: null };
  }

  /** healthView(more)'s lines. */
  healthLines(more: readonly ClassifiedFlow[] = []): HealthLine[] {
    return this.healthView(more).health;
  }

  /**
   * The summary of every flow folded in so far; `input` and `roles` come from the run, and
   * `overflowSketch` (the flow table's registers, for the merge state) from its session.
   */
  summary(input: InputSummary, roles: RoleBook, overflowSketch: Uint8Array = new Uint8Array(1 << SKETCH_BITS)): Summary {
    const catalog = this.catalog;
    const sectionTitles = new Map(catalog.sections.map((s) => [s.id as string, s.title]));
    sectionTitles.set('unexpected', 'Unexpected (matches no catalog entry)');
    const sections: SectionSummary[] = SECTION_ORDER.map((id, i) => {
      const t = this.sections[i];
      return { id, title: sectionTitles.get(id) ?? id, ...t.counts(), ...t.span() };
    });
    const topPairs = this.opts.topPairs;
    const ch = this.channels;
    const byEntry = ch.byEntry(catalog.entries.length);
    // Code-unit order, not localeCompare: deterministic everywhere and fast.
    const bytes = ch.bytes;
    const pairOrderOf = (a: number, b: number) => bytes[b] - bytes[a] || ch.compareEnds(a, b);
    const entries: EntrySummary[] = catalog.entries.map((e, i) => {
      const acc = this.entries[i];
      const mine = byEntry[i];
      const counts = acc.totals.counts();
      return {
        ...entryIdentity(e),
        ...counts,
        status: channelStatus(counts.flows, counts.failed, counts.degraded),
        ...acc.totals.span(),
        pairs: topN(mine, topPairs, pairOrderOf).map((c) => pairSummary({ client: ch.clientOf(c), server: ch.serverOf(c), packets: ch.packets[c], bytes: ch.bytes[c], health: ch.health(c) })),
        pairCount: acc.channels,
        failures: this.topFailures(mine, topPairs),
        failureCount: acc.failureCount,
      };
    });
    // A scan or SYN flood makes every probe a failed flow: without --flows the list keeps the
    // largest ones, counts the rest, and --flows-ndjson still has every flow.
    // The health list: the worst maxChannels channels (a flood or a scan makes a channel of
    // every probe), the others counted per status; the timeline lists the same channels, in
    // catalog order, then client and server.
    const { lines: health, omitted, kept, inEnds } = this.worst([]);
    const intervalSeconds =
      this.opts.interval ?? (input.firstSeen === null || input.lastSeen === null ? defaultInterval(NaN, NaN) : defaultInterval(microsFromIso(input.firstSeen), microsFromIso(input.lastSeen)));
    const channels: TimelineChannel[] = [];
    let budget = MAX_TIMELINE_BUCKETS;
    const inTimeline = inEnds ?? kept.sort((a, b) => ch.entry[a] - ch.entry[b] || ch.compareEnds(a, b));
    for (const c of inTimeline) {
      const { buckets, clipped, gaps } = ch.timelineParts(c, intervalSeconds, Math.min(MAX_CHANNEL_BUCKETS, budget));
      budget -= buckets.length;
      channels.push(timelineChannel(catalog.entries[ch.entry[c]].id, ch.clientOf(c), ch.serverOf(c), buckets, gaps, clipped));
    }
    const listed = Array.isArray(this.listed) ? [...this.listed].sort(byVolume) : this.listed.sorted();
    let mergeState: MergeState | undefined;
    const makeMergeState = () => this.mergeState(overflowSketch);
    return {
      schema: 'pantap.summary.v1',
      input,
      sections,
      entries,
      health,
      ...(omitted ? { healthOmitted: omitted } : {}),
      flows: listed.map((f) => flowRecord(f, catalog)),
      other: { flows: this.other.flows, packets: this.other.packets, bytes: this.other.bytes },
      nonIp: [...this.nonIp.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([et, t]) => ({ ethertype: et, name: ethertypeName(et), flows: t.flows, packets: t.packets, bytes: t.bytes })),
      ipv6Infrastructure: (['neighbor-discovery', 'router-discovery', 'mld'] as const).flatMap((kind) => {
        const t = this.infra.get(kind);
        return t === undefined ? [] : [{ kind, flows: t.flows, packets: t.packets, bytes: t.bytes }];
      }),
      roles: roleAssignments(roles),
      allFlows: this.opts.allFlows,
      flowsOmitted: this.selected - listed.length,
      ha: this.ha.summary(),
      timeline: { intervalSeconds, channels, ...(omitted ? { channelsOmitted: omitted.channels } : {}) },
      // Every channel's state: made when asked for (protobuf output), not for JSON or text.
      get mergeState(): MergeState {
        return (mergeState ??= makeMergeState());
      },
    };
  }

  /**
   * The n first failures of `channels` (one entry's): most flows first, then client, server,
   * reason (REASONS order) and outcome (code-unit order, not localeCompare: deterministic
   * everywhere). A failure is a channel number (its first failure, read from the columns) or
   * -(k + 1) for the k-th later one: a flood's channels each have a failure, and no object is
   * made for those not listed.
   */
  private topFailures(channels: Int32Array, n: number): FailureSummary[] {
    const ch = this.channels;
    const later: FailureSummary[] = [];
    const refs: number[] = [];
    for (const c of channels) {
      if (!ch.hasFailures(c)) continue;
      refs.push(c);
      for (const x of ch.laterFailures(c)) refs.push(-later.push(x));
    }
    const flows = (r: number) => (r >= 0 ? ch.firstFailureFlows(r) : later[-r - 1].flows);
    const client = (r: number) => (r >= 0 ? ch.clientOf(r) : later[-r - 1].client);
    const server = (r: number) => (r >= 0 ? ch.serverOf(r) : later[-r - 1].server);
    const reason = (r: number) => (r >= 0 ? ch.firstFailureReason(r) : REASON_RANK.get(later[-r - 1].reason)!);
    const state = (r: number) => (r >= 0 ? ch.firstFailureState(r) : later[-r - 1].state) ?? '';
    const order = (a: number, b: number) => flows(b) - flows(a) || cmp(client(a), client(b)) || cmp(server(a), server(b)) || reason(a) - reason(b) || cmp(state(a), state(b));
    return topN(refs, n, order).map((r) => (r >= 0 ? ch.firstFailure(r) : { ...later[-r - 1] }));
  }

  /**
   * What `pantap merge` needs to merge exactly (report/merge.ts): every channel's volume, reasons
   * and failures before any cut, in catalog order, then client and server. The overflow sketch is
   * the flow table's, from the session.
   */
  private mergeState(overflowSketch: Uint8Array): MergeState {
    const channels: ChannelState[] = [];
    const ch = this.channels;
    const byEntry = ch.byEntry(this.catalog.entries.length);
    this.catalog.entries.forEach((e, i) => {
      const pairs = [...byEntry[i]].sort((a, b) => ch.compareEnds(a, b));
      for (const c of pairs) {
        const r = ch.reasons(c);
        channels.push({
          entry: e.id,
          client: ch.clientOf(c),
          server: ch.serverOf(c),
          packets: ch.packets[c],
          bytes: ch.bytes[c],
          reasons: r === null ? [] : REASONS.flatMap((reason, j) => (r[j] > 0 ? [{ reason, flows: r[j] }] : [])),
          failures: ch
            .failureList(c)
            .map((x) => ({ reason: x.reason, state: x.state, flows: x.flows }))
            .sort((a, b) => REASON_RANK.get(a.reason)! - REASON_RANK.get(b.reason)! || cmp(a.state ?? '', b.state ?? '')),
          flows: ch.flows[c],
          failed: ch.failed[c],
          degraded: ch.degraded[c],
          lastSuccess: ch.lastSuccess[c] === -Infinity ? null : ch.lastSuccess[c],
          lastFailure: ch.lastFailure[c] === -Infinity ? null : ch.lastFailure[c],
        });
      }
    });
    return { overflowSketch, channels };
  }
}

/** What an entry of the summary says of its catalog entry (the same from a run, a merge or the store). */
export function entryIdentity(e: Catalog['entries'][number]): Pick<EntrySummary, 'id' | 'section' | 'transport' | 'port' | 'ipProtocol' | 'ethertype' | 'portRange' | 'name'> {
  return { id: e.id, section: e.section, transport: e.transport, port: e.port, ipProtocol: e.ipProtocol, ethertype: e.ethertype, portRange: e.portRange ? [e.portRange[0], e.portRange[1]] : null, name: e.name };
}

/** A client → server pair as an entry lists it, from its health counts and volume. */
export function pairSummary(p: { client: string; server: string; packets: number; bytes: number; health: PairHealth }): PairSummary {
  const h = p.health;
  return { client: p.client, server: p.server, flows: h.flows, packets: p.packets, bytes: p.bytes, failed: h.failed, status: channelStatus(h.flows, h.failed, h.degraded), degraded: h.degraded };
}

/** The order of an entry's pairs: most bytes first; code-unit order, not localeCompare (deterministic everywhere). */
export function pairOrder(a: { bytes: number; client: string; server: string }, b: { bytes: number; client: string; server: string }): number {
  return b.bytes - a.bytes || cmp(a.client, b.client) || cmp(a.server, b.server);
}
