// `pantap merge` (issue 12): summaries in, one summary out. Pure: no files, no catalog
// loading; the CLI (cli/merge-command.ts) decodes the protobuf summaries and renders.
//
// Every figure merges by a commutative, associative operation, so any order and any grouping
// of the same summaries gives the same summary (and the same bytes once rendered):
// - counts add up; first times take the minimum, last times the maximum; flags OR;
// - channels (entry × client → server) are keyed and summed from the merge state the
//   protobuf summary carries (Summary.mergeState: every channel's packets, bytes, flows per
//   reason and failures before any top-N cut), then pairs, failures and the health list are
//   derived as the accumulator derives them (accumulate.ts), so they are exact;
// - the overflow sketch's HyperLogLog registers merge by maximum;
// - timelines are re-bucketed to the coarsest width (timeline.ts rebucket: exact, the
//   widths of the ladder divide each other) and added per interval start;
// - lists are sorted on full keys, never left in input order.
// Not mergeable, so marked instead of pretended: an input's listing cut by --max-listed
// (`merge.lowerBound` "flows"), an input without merge state (written before it existed: its
// entries' pairs and failures were cut to the top N, `lowerBound` on the entry), a timeline
// channel an input clipped (`lowerBound` on the channel), and HA cadence of a channel seen by
// several inputs (medians do not merge: each input's cadence side by side in `parts`).
// Flows are never joined across summaries: merging captures whose flows are disjoint equals
// analysing them at once (README, "pantap merge").
import { ArgumentError } from '../errors.js';
import { mergeGaps, type SessionGap } from '../classify/silences.js';
import { channelStatus, REASON_RANK, REASONS, SECTION_ORDER, type ReasonCode } from '../classify/vocabulary.js';
import { REASON_NAMES } from '../decode/fields.js';
import { SKETCH_BITS, sketchEstimate } from '../flow/table.js';
import { rebuiltFlow } from './flow-record.js';
import { cmp, isoMicros, microsFromIso, plural } from './format.js';
import { BestOf } from './accumulate.js';
import { DEFAULT_MAX_CHANNELS, emptyPairHealth, healthLine, healthOmitted, healthOrder, statusRank, type PairHealth } from './health.js';
import type {
  ChannelState,
  EntrySummary,
  FlowRecord,
  HealthLine,
  HealthOmitted,
  HeartbeatPart,
  HeartbeatSummary,
  InputFilter,
  InputSummary,
  RoleAssignment,
  SectionSummary,
  Summary,
  TimelineBucket,
  TimelineChannel,
} from './model.js';
import { bucketStartUs, ChannelTimeline, defaultInterval, INTERVAL_LADDER, MAX_CHANNEL_BUCKETS, MAX_TIMELINE_BUCKETS, rebucket } from './timeline.js';

export interface MergeOptions {
  /** Client → server pairs listed per entry (--top). */
  topPairs: number;
  /** Without every input listing all flows, list at most this many (--max-listed). */
  maxListed: number;
  /** Channels listed in the health list and the timeline at most (--max-channels; the worst kept); absent: DEFAULT_MAX_CHANNELS. */
  maxChannels?: number;
  /** Timeline width in seconds; null: the coarsest of the inputs' and the default for the merged span. */
  interval?: number | null;
  /** Entry ids in catalog order (entries, health and timeline follow it; others after, by id). */
  entryOrder?: readonly string[];
}

const MALFORMED_RANK = new Map<string, number>(Object.entries(REASON_NAMES).map(([code, name]) => [name, Number(code)]));
const us = (iso: string | null): number | null => (iso === null ? null : microsFromIso(iso));
const minIso = (xs: (string | null)[]): string | null => pick(xs, (a, b) => a < b);
const maxIso = (xs: (string | null)[]): string | null => pick(xs, (a, b) => a > b);

function pick(xs: (string | null)[], better: (a: number, b: number) => boolean): string | null {
  let best: number | null = null;
  for (const x of xs) {
    const t = us(x);
    if (t !== null && (best === null || better(t, best))) best = t;
  }
  return best === null ? null : isoMicros(best);
}

const sum = <T>(xs: readonly T[], f: (x: T) => number): number => xs.reduce((a, x) => a + f(x), 0);
/** A canonical order for values with no order of their own: their JSON. */
const byJson = <T>(a: T, b: T): number => cmp(JSON.stringify(a), JSON.stringify(b));
/** All equal: that value; else null (null absorbs, so this is associative). */
function agreed<T>(xs: readonly T[]): T | null {
  const first = JSON.stringify(xs[0]);
  return xs.every((x) => JSON.stringify(x) === first) ? xs[0] : null;
}

/** Merges summaries (at least one) into one. */
export function mergeSummaries(inputs: readonly Summary[], o: MergeOptions): Summary {
  if (inputs.length === 0) throw new RangeError('mergeSummaries: no summary');
  const rank = entryRank(inputs, o.entryOrder ?? []);
  const lowerBound = new Set(inputs.flatMap((s) => s.merge?.lowerBound ?? []));
  const channels = mergeChannels(inputs, rank);
  const health = mergeHealth(channels, o.maxChannels ?? DEFAULT_MAX_CHANNELS);
  const input = mergeInput(inputs);
  const entries = mergeEntries(inputs, channels, rank, o.topPairs, lowerBound);
  const flows = mergeFlows(inputs, o.maxListed, lowerBound);
  const timeline = mergeTimeline(inputs, input, rank, o.interval ?? null, lowerBound, health.kept, health.omitted?.channels ?? 0);
  const capture = mergeCapture(inputs);
  return {
    schema: 'pantap.summary.v1',
    input,
    sections: mergeSections(inputs),
    entries,
    health: health.health,
    ...(health.omitted ? { healthOmitted: health.omitted } : {}),
    flows: flows.flows,
    other: { flows: sum(inputs, (s) => s.other.flows), packets: sum(inputs, (s) => s.other.packets), bytes: sum(inputs, (s) => s.other.bytes) },
    nonIp: mergeKeyed(
      inputs.flatMap((s) => s.nonIp),
      (x) => String(x.ethertype),
      (a, b) => ({ ...a, flows: a.flows + b.flows, packets: a.packets + b.packets, bytes: a.bytes + b.bytes }),
    ).sort((a, b) => a.ethertype - b.ethertype),
    ipv6Infrastructure: (['neighbor-discovery', 'router-discovery', 'mld'] as const).flatMap((kind) => {
      const xs = inputs.flatMap((s) => s.ipv6Infrastructure.filter((x) => x.kind === kind));
      return xs.length === 0 ? [] : [{ kind, flows: sum(xs, (x) => x.flows), packets: sum(xs, (x) => x.packets), bytes: sum(xs, (x) => x.bytes) }];
    }),
    roles: mergeRoles(inputs.flatMap((s) => s.roles)),
    allFlows: flows.allFlows,
    flowsOmitted: flows.omitted,
    ha: { heartbeats: mergeHeartbeats(inputs.flatMap((s) => s.ha.heartbeats)) },
    timeline,
    ...(capture ? { capture } : {}),
    mergeState: {
      overflowSketch: mergeSketches(inputs),
      channels: channels.map((c) => c.state()),
    },
    merge: { summaries: sum(inputs, (s) => s.merge?.summaries ?? 1), lowerBound: [...lowerBound].sort(cmp) },
  };
}

/** Entry id → rank: the given order first, then every other id the inputs name, by id. */
function entryRank(inputs: readonly Summary[], order: readonly string[]): Map<string, number> {
  const rank = new Map(order.map((id, i) => [id, i]));
  const others = [...new Set(inputs.flatMap((s) => s.entries.map((e) => e.id)))].filter((id) => !rank.has(id)).sort(cmp);
  for (const id of others) rank.set(id, rank.size);
  return rank;
}

/** Keyed merge: items with the same key folded by `add`, in a canonical order (JSON) so the fold is order-free. */
function mergeKeyed<T>(items: readonly T[], key: (x: T) => string, add: (a: T, b: T) => T): T[] {
  const groups = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [x]);
    else g.push(x);
  }
  return [...groups.values()].map((g) => g.sort(byJson).reduce(add));
}

// --- input ---

function mergeInput(inputs: readonly Summary[]): InputSummary {
  const xs = inputs.map((s) => s.input);
  const filtered = xs.filter((i) => i.filter !== undefined);
  const legacyOverflow = sum(
    inputs.filter((s) => s.mergeState === undefined),
    (s) => s.input.flowTable.overflowFlows,
  );
  return {
    files: xs.flatMap((i) => i.files).sort(cmp),
    packets: sum(xs, (i) => i.packets),
    bytes: sum(xs, (i) => i.bytes),
    malformed: sum(xs, (i) => i.malformed),
    truncated: xs.some((i) => i.truncated),
    capturedBytes: sum(xs, (i) => i.capturedBytes),
    firstSeen: minIso(xs.map((i) => i.firstSeen)),
    lastSeen: maxIso(xs.map((i) => i.lastSeen)),
    details: xs.flatMap((i) => i.details.map((d) => ({ ...d, warnings: [...d.warnings] }))).sort((a, b) => cmp(a.file, b.file) || byJson(a, b)),
    linktypes: mergeKeyed(
      xs.flatMap((i) => i.linktypes),
      (l) => String(l.linktype),
      (a, b) => ({ ...a, packets: a.packets + b.packets, decoded: a.decoded && b.decoded }),
    ).sort((a, b) => a.linktype - b.linktype),
    malformedReasons: mergeKeyed(
      xs.flatMap((i) => i.malformedReasons),
      (r) => r.reason,
      (a, b) => ({ reason: a.reason, packets: a.packets + b.packets }),
    ).sort((a, b) => (MALFORMED_RANK.get(a.reason) ?? Infinity) - (MALFORMED_RANK.get(b.reason) ?? Infinity) || cmp(a.reason, b.reason)),
    fragments: { attributed: sum(xs, (i) => i.fragments.attributed), orphans: sum(xs, (i) => i.fragments.orphans), dropped: sum(xs, (i) => i.fragments.dropped) },
    flowTable: {
      flows: sum(xs, (i) => i.flowTable.flows),
      maxFlows: Math.max(...xs.map((i) => i.flowTable.maxFlows)),
      // Distinct flows turned away, over all inputs: the registers' union (an input without them adds its estimate).
      overflowFlows: sketchEstimate(mergeSketches(inputs)) + legacyOverflow,
      overflowPackets: sum(xs, (i) => i.flowTable.overflowPackets),
    },
    inspection: { flows: sum(xs, (i) => i.inspection.flows), bytesKept: sum(xs, (i) => i.inspection.bytesKept), capHit: sum(xs, (i) => i.inspection.capHit) },
    ...(filtered.length > 0 ? { filter: mergeFilter(xs.map((i) => i.filter)) } : {}),
    ...mergeCaptureSet(xs),
  };
}

/** Capture sets: every input's skipped files; --dedup's copies added up, over the widest window used. */
function mergeCaptureSet(xs: readonly InputSummary[]): Pick<InputSummary, 'skipped' | 'dedup'> {
  const skipped = xs.flatMap((i) => i.skipped ?? []).sort((a, b) => cmp(a.file, b.file) || cmp(a.why, b.why));
  const dedups = xs.flatMap((i) => (i.dedup ? [i.dedup] : []));
  return {
    ...(skipped.length > 0 ? { skipped } : {}),
    ...(dedups.length > 0 ? { dedup: { windowMs: Math.max(...dedups.map((d) => d.windowMs)), dropped: sum(dedups, (d) => d.dropped) } } : {}),
  };
}

/** Filters: the options where every input agrees (an input without filters has none), else null; counts add up. */
function mergeFilter(fs: (InputFilter | undefined)[]): InputFilter {
  const spec = (f: InputFilter | undefined) => f ?? { bpf: null, hosts: [], since: null, until: null, count: null, filteredOut: 0, stoppedEarly: false };
  const all = fs.map(spec);
  return {
    bpf: agreed(all.map((f) => f.bpf)),
    hosts: agreed(all.map((f) => f.hosts)) ?? [],
    since: agreed(all.map((f) => f.since)),
    until: agreed(all.map((f) => f.until)),
    count: agreed(all.map((f) => f.count)),
    filteredOut: sum(all, (f) => f.filteredOut),
    stoppedEarly: all.some((f) => f.stoppedEarly),
  };
}

function mergeSketches(inputs: readonly Summary[]): Uint8Array {
  const regs = new Uint8Array(1 << SKETCH_BITS);
  for (const s of inputs) {
    const r = s.mergeState?.overflowSketch;
    if (r === undefined) continue;
    for (let j = 0; j < regs.length && j < r.length; j++) if (r[j] > regs[j]) regs[j] = r[j];
  }
  return regs;
}

// --- sections and entries ---

function mergeSections(inputs: readonly Summary[]): SectionSummary[] {
  return SECTION_ORDER.map((id) => {
    const xs = inputs.flatMap((s) => s.sections.filter((x) => x.id === id));
    return {
      id,
      title: xs.map((x) => x.title).sort(cmp)[0] ?? id,
      flows: sum(xs, (x) => x.flows),
      packets: sum(xs, (x) => x.packets),
      bytes: sum(xs, (x) => x.bytes),
      failed: sum(xs, (x) => x.failed),
      degraded: sum(xs, (x) => x.degraded),
      firstSeen: minIso(xs.map((x) => x.firstSeen)),
      lastSeen: maxIso(xs.map((x) => x.lastSeen)),
    };
  });
}

/** One channel being merged: the health counts and the merge state's volume, reasons, failures. */
class Channel {
  /** Health-list order (health.ts healthOrder): status rank, set once summed, and the entry's rank. */
  rank = 0;
  entryRank = 0;
  packets = 0;
  bytes = 0;
  readonly health: PairHealth = emptyPairHealth();
  /** Failed flows per reason and outcome (a handful at most: a plain list). */
  readonly failures: { reason: ReasonCode; state: ChannelState['failures'][number]['state']; flows: number }[] = [];

  constructor(
    readonly entry: string,
    readonly client: string,
    readonly server: string,
  ) {}

  addReason(reason: ReasonCode, flows: number): void {
    (this.health.reasons ??= new Uint32Array(REASONS.length))[REASON_RANK.get(reason)!] += flows;
  }

  addFailure(reason: ReasonCode, state: ChannelState['failures'][number]['state'], flows: number): void {
    const x = this.failures.find((y) => y.reason === reason && y.state === state);
    if (x === undefined) this.failures.push({ reason, state, flows });
    else x.flows += flows;
  }

  /** Failures in REASONS order, then by outcome (as accumulate.ts writes them). */
  failureList(): ChannelState['failures'] {
    return [...this.failures].sort((a, b) => REASON_RANK.get(a.reason)! - REASON_RANK.get(b.reason)! || cmp(a.state ?? '', b.state ?? ''));
  }

  state(): ChannelState {
    const r = this.health.reasons;
    return {
      entry: this.entry,
      client: this.client,
      server: this.server,
      packets: this.packets,
      bytes: this.bytes,
      reasons: r === null ? [] : REASONS.flatMap((reason, j) => (r[j] > 0 ? [{ reason, flows: r[j] }] : [])),
      failures: this.failureList().map((x) => ({ ...x })),
      flows: this.health.flows,
      failed: this.health.failed,
      degraded: this.health.degraded,
      lastSuccess: this.health.lastSuccess === -Infinity ? null : this.health.lastSuccess,
      lastFailure: this.health.lastFailure === -Infinity ? null : this.health.lastFailure,
    };
  }
}

/** Whether a summary's merge state has every channel's health counts (written since --max-channels; 0 before). */
function stateHasCounts(s: Summary): boolean {
  return s.mergeState !== undefined && s.mergeState.channels.every((c) => c.flows > 0);
}

/**
 * Every channel of every input, summed: health counts from the health lists (which list every
 * channel), volume, reasons and failures from the merge state; an input without merge state
 * gives what its rendered figures hold (its listed pairs' volume, its listed failures, its
 * lines' chosen reason).
 */
function mergeChannels(inputs: readonly Summary[], rank: ReadonlyMap<string, number>): Channel[] {
  const byKey = new KeyedChannels<Channel>();
  const get = (entry: string, client: string, server: string): Channel => byKey.get(entry, client, server, () => new Channel(entry, client, server));
  for (const s of inputs) {
    const counted = stateHasCounts(s);
    for (const h of counted ? [] : s.health) {
      const c = get(h.entry, h.client, h.server);
      c.health.flows += h.flows;
      c.health.failed += h.failed;
      c.health.degraded += h.degraded;
      const ls = us(h.lastSuccess);
      const lf = us(h.lastFailure);
      if (ls !== null && ls > c.health.lastSuccess) c.health.lastSuccess = ls;
      if (lf !== null && lf > c.health.lastFailure) c.health.lastFailure = lf;
      if (s.mergeState === undefined && h.reason !== null) c.addReason(h.reason, h.failed > 0 ? h.failed : h.degraded);
    }
    if (s.mergeState !== undefined) {
      for (const x of s.mergeState.channels) {
        const c = get(x.entry, x.client, x.server);
        c.packets += x.packets;
        c.bytes += x.bytes;
        if (counted) {
          c.health.flows += x.flows;
          c.health.failed += x.failed;
          c.health.degraded += x.degraded;
          if (x.lastSuccess !== null && x.lastSuccess > c.health.lastSuccess) c.health.lastSuccess = x.lastSuccess;
          if (x.lastFailure !== null && x.lastFailure > c.health.lastFailure) c.health.lastFailure = x.lastFailure;
        }
        for (const r of x.reasons) c.addReason(r.reason, r.flows);
        for (const f of x.failures) c.addFailure(f.reason, f.state, f.flows);
      }
    } else {
      for (const e of s.entries) {
        for (const p of e.pairs) {
          const c = get(e.id, p.client, p.server);
          c.packets += p.packets;
          c.bytes += p.bytes;
        }
        for (const f of e.failures) get(e.id, f.client, f.server).addFailure(f.reason, f.state, f.flows);
      }
    }
  }
  const r = (id: string) => rank.get(id) ?? Number.MAX_SAFE_INTEGER;
  const all = byKey.values();
  for (const c of all) {
    c.entryRank = r(c.entry);
    c.rank = statusRank(c.health.flows, c.health.failed, c.health.degraded);
  }
  return all.sort((a, b) => a.entryRank - b.entryRank || cmp(a.entry, b.entry) || cmp(a.client, b.client) || cmp(a.server, b.server));
}

/** The health list of the merged channels: the worst maxChannels, as a run keeps them, and what was left out. */
function mergeHealth(channels: readonly Channel[], maxChannels: number): { health: HealthLine[]; omitted: HealthOmitted | undefined; kept: Set<Channel> } {
  const best = new BestOf<Channel>(maxChannels, healthOrder);
  const byRank = [0, 0, 0, 0];
  for (const c of channels) {
    byRank[c.rank]++;
    best.add(c);
  }
  const kept = best.sorted();
  for (const c of kept) byRank[c.rank]--;
  return { health: kept.map((c) => healthLine(c.entry, c.client, c.server, c.health)), omitted: healthOmitted(byRank), kept: new Set(kept) };
}

/** Values keyed by entry, client and server: nested maps, so that a lookup builds no key string. */
class KeyedChannels<T> {
  private readonly map = new Map<string, Map<string, Map<string, T>>>();
  private readonly all: T[] = [];

  get(entry: string, client: string, server: string, make: () => T): T {
    let byClient = this.map.get(entry);
    if (byClient === undefined) this.map.set(entry, (byClient = new Map()));
    let byServer = byClient.get(client);
    if (byServer === undefined) byClient.set(client, (byServer = new Map()));
    let x = byServer.get(server);
    if (x === undefined) {
      byServer.set(server, (x = make()));
      this.all.push(x);
    }
    return x;
  }

  has(entry: string, client: string, server: string): boolean {
    return this.map.get(entry)?.get(client)?.has(server) === true;
  }

  /** In the order first seen (callers sort). */
  values(): T[] {
    return [...this.all];
  }
}

function mergeEntries(inputs: readonly Summary[], channels: readonly Channel[], rank: ReadonlyMap<string, number>, topPairs: number, lowerBound: Set<string>): EntrySummary[] {
  const byEntry = new Map<string, Channel[]>();
  for (const c of channels) {
    const list = byEntry.get(c.entry);
    if (list === undefined) byEntry.set(c.entry, [c]);
    else list.push(c);
  }
  const ids = [...rank.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  return ids.flatMap((id): EntrySummary[] => {
    const xs = inputs.flatMap((s) => s.entries.filter((e) => e.id === id).map((e) => ({ e, legacy: s.mergeState === undefined })));
    if (xs.length === 0) return [];
    // The catalog's facts of the entry: identical in every input unless their catalogs differed.
    const meta = xs.map(({ e }) => ({ section: e.section, transport: e.transport, port: e.port, ipProtocol: e.ipProtocol, ethertype: e.ethertype, portRange: e.portRange, name: e.name })).sort(byJson)[0];
    const es = xs.map((x) => x.e);
    const flows = sum(es, (e) => e.flows);
    const failed = sum(es, (e) => e.failed);
    const degraded = sum(es, (e) => e.degraded);
    const chans = byEntry.get(id) ?? [];
    const pairs = [...chans]
      .sort((a, b) => b.bytes - a.bytes || cmp(a.client, b.client) || cmp(a.server, b.server))
      .slice(0, topPairs)
      .map((c) => {
        const h = c.health;
        return { client: c.client, server: c.server, flows: h.flows, packets: c.packets, bytes: c.bytes, failed: h.failed, status: channelStatus(h.flows, h.failed, h.degraded), degraded: h.degraded };
      });
    const allFailures = chans.flatMap((c) => c.failureList().map((f) => ({ client: c.client, server: c.server, reason: f.reason, state: f.state, flows: f.flows })));
    allFailures.sort(
      (a, b) => b.flows - a.flows || cmp(a.client, b.client) || cmp(a.server, b.server) || REASON_RANK.get(a.reason)! - REASON_RANK.get(b.reason)! || cmp(a.state ?? '', b.state ?? ''),
    );
    // An input without merge state listed only its top pairs and failures: what it left out is not here.
    const cut = xs.some(({ e, legacy }) => e.lowerBound === true || (legacy && (e.pairCount > e.pairs.length || e.failureCount > e.failures.length)));
    if (cut) lowerBound.add('entries');
    return [
      {
        id,
        ...meta,
        portRange: meta.portRange === null ? null : [meta.portRange[0], meta.portRange[1]],
        flows,
        packets: sum(es, (e) => e.packets),
        bytes: sum(es, (e) => e.bytes),
        failed,
        status: channelStatus(flows, failed, degraded),
        degraded,
        firstSeen: minIso(es.map((e) => e.firstSeen)),
        lastSeen: maxIso(es.map((e) => e.lastSeen)),
        pairs,
        pairCount: chans.length,
        failures: allFailures.slice(0, topPairs),
        failureCount: allFailures.length,
        ...(cut ? { lowerBound: true as const } : {}),
      },
    ];
  });
}

// --- flows ---

interface Ranked {
  f: FlowRecord;
  bytes: number;
  first: number;
  key: string;
}

/** Most bytes first, then first seen first, then the whole record (a total order over distinct records). */
function byVolume(a: Ranked, b: Ranked): number {
  return b.bytes - a.bytes || a.first - b.first || cmp(a.key, b.key);
}

// rebuiltFlow, not orderedFlow: the summaries are the caller's (it may have edited their
// records), and the key must not depend on whether a record came from a run or from JSON.
function ranked(f: FlowRecord): Ranked {
  return { f, bytes: f.bytes, first: microsFromIso(f.firstSeen), key: JSON.stringify(rebuiltFlow(f)) };
}

/**
 * The listed flows: every flow when every input listed every flow (--flows), else the
 * unexpected, failed and warning ones, most bytes first, at most maxListed. The listing is
 * exact unless an input cut its own list at a flow that would rank within the merged one.
 */
function mergeFlows(inputs: readonly Summary[], maxListed: number, lowerBound: Set<string>): { flows: FlowRecord[]; allFlows: boolean; omitted: number } {
  const allFlows = inputs.every((s) => s.allFlows);
  const selected = (f: FlowRecord) => allFlows || f.section === 'unexpected' || f.verdict !== 'ok';
  const all = inputs.flatMap((s) => s.flows.filter(selected).map(ranked)).sort(byVolume);
  const kept = allFlows ? all : all.slice(0, maxListed);
  const omitted = sum(inputs, (s) => s.flowsOmitted) + (all.length - kept.length);
  if (!allFlows && maxListed > 0) {
    const last = kept.length === maxListed ? kept[kept.length - 1] : null;
    for (const s of inputs) {
      if (s.flowsOmitted === 0) continue;
      // Its omitted flows rank after its smallest listed one: they belong here only if that one ranks before the cut.
      const smallest = s.flows.length === 0 ? null : s.flows.map(ranked).sort(byVolume)[s.flows.length - 1];
      if (last === null || smallest === null || byVolume(smallest, last) < 0) lowerBound.add('flows');
    }
  }
  return { flows: kept.map((r) => r.f), allFlows, omitted };
}

// --- roles, HA, capture ---

/** Per address: roles, evidence and possible roles joined; inventory when any input had it from one. */
function mergeRoles(roles: readonly RoleAssignment[]): RoleAssignment[] {
  return mergeKeyed(
    roles,
    (r) => r.address,
    (a, b): RoleAssignment => ({ address: a.address, roles: [...a.roles, ...b.roles], source: a.source === 'inventory' || b.source === 'inventory' ? 'inventory' : 'inferred', evidence: [...a.evidence, ...b.evidence], possible: [...a.possible, ...b.possible] }),
  )
    .map((r) => {
      const roles = [...new Set(r.roles)].sort(cmp);
      return { address: r.address, roles, source: r.source, evidence: [...new Set(r.evidence)].sort(cmp), possible: [...new Set(r.possible)].filter((x) => !roles.includes(x)).sort(cmp) };
    })
    .sort((a, b) => cmp(a.address, b.address));
}

/**
 * Heartbeat channels: one seen by one input is kept as it is; one seen by several is summed
 * (flows, heartbeats, unanswered, cap hit) with each input's cadence side by side in `parts`
 * (intervalMs null, the gaps those the inputs found): a median of medians is not a median.
 */
function mergeHeartbeats(lines: readonly HeartbeatSummary[]): HeartbeatSummary[] {
  const groups = new Map<string, HeartbeatSummary[]>();
  for (const h of lines) {
    const k = `${h.entry}\n${h.peers[0]}\n${h.peers[1]}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [h]);
    else g.push(h);
  }
  const out: HeartbeatSummary[] = [];
  for (const g of groups.values()) {
    const parts: HeartbeatPart[] = g.flatMap((h) => h.parts ?? [{ flows: h.flows, heartbeats: h.heartbeats, intervalMs: h.intervalMs, unanswered: h.unanswered, gaps: h.gaps, capHit: h.capHit }]).sort(byJson);
    if (parts.length === 1) {
      const h = g[0];
      out.push({ ...h, peers: [h.peers[0], h.peers[1]], gaps: h.gaps.map((x) => ({ ...x })) });
      continue;
    }
    out.push({
      peers: [g[0].peers[0], g[0].peers[1]],
      transport: g[0].transport,
      entry: g[0].entry,
      flows: sum(parts, (p) => p.flows),
      heartbeats: sum(parts, (p) => p.heartbeats),
      intervalMs: null,
      unanswered: sum(parts, (p) => p.unanswered),
      gaps: parts.flatMap((p) => p.gaps).sort((a, b) => microsFromIso(a.start) - microsFromIso(b.start) || byJson(a, b)),
      capHit: parts.some((p) => p.capHit),
      parts,
    });
  }
  const icmpFirst = (h: HeartbeatSummary) => (h.transport === 'icmp' ? 0 : 1);
  return out.sort((a, b) => icmpFirst(a) - icmpFirst(b) || cmp(a.entry, b.entry) || cmp(a.peers[0], b.peers[0]) || cmp(a.peers[1], b.peers[1]));
}

/** Live captures: interfaces and backends listed, kernel counts added (null when any input could not tell). */
function mergeCapture(inputs: readonly Summary[]): Summary['capture'] {
  const xs = inputs.flatMap((s) => (s.capture ? [s.capture] : []));
  if (xs.length === 0) return undefined;
  const names = (f: (c: (typeof xs)[number]) => string) => [...new Set(xs.flatMap((c) => f(c).split(', ')))].sort(cmp).join(', ');
  const total = (f: (c: (typeof xs)[number]) => number | null) => (xs.some((c) => f(c) === null) ? null : sum(xs, (c) => f(c)!));
  return {
    interface: names((c) => c.interface),
    backend: names((c) => c.backend) as 'native' | 'cap',
    filter: agreed(xs.map((c) => c.filter)),
    received: total((c) => c.received),
    dropped: total((c) => c.dropped),
    ifDropped: total((c) => c.ifDropped),
  };
}

// --- timeline ---

/**
 * The timeline at one width: `interval` when given (no finer than any input's: intervals
 * cannot be split), else the coarsest of the inputs' widths and of the default for the
 * merged span (what analysing everything at once would choose). Buckets are re-bucketed to
 * it and added per start; gaps merge as one run merges them; the same caps as a run's apply.
 */
function mergeTimeline(
  inputs: readonly Summary[],
  input: InputSummary,
  rank: ReadonlyMap<string, number>,
  interval: number | null,
  lowerBound: Set<string>,
  kept: ReadonlySet<Channel>,
  omitted: number,
): Summary['timeline'] {
  const widest = Math.max(...inputs.map((s) => s.timeline.intervalSeconds));
  for (const s of inputs) {
    if (!INTERVAL_LADDER.includes(s.timeline.intervalSeconds)) throw new TypeError(`its timeline interval of ${s.timeline.intervalSeconds} s is not one of ${INTERVAL_LADDER.join(', ')} s`);
  }
  if (interval !== null && interval < widest) throw new ArgumentError(`--interval ${interval} s is finer than an input's timeline (${widest} s): intervals cannot be split`);
  const span = input.firstSeen === null || input.lastSeen === null ? INTERVAL_LADDER[0] : defaultInterval(microsFromIso(input.firstSeen), microsFromIso(input.lastSeen));
  const width = interval ?? Math.max(widest, span);

  interface Acc {
    entry: string;
    client: string;
    server: string;
    buckets: Map<number, TimelineBucket>;
    gaps: SessionGap[];
    clipped: number;
    cut: boolean;
  }
  const byKey = new KeyedChannels<Acc>();
  // Only the channels the merged health list keeps; one an input left out of its timeline
  // (its --max-channels) has that input's intervals missing: its counts are lower bounds.
  const listed = new KeyedChannels<boolean>();
  for (const c of kept) listed.get(c.entry, c.client, c.server, () => true);
  const isListed = (c: { entry: string; client: string; server: string }) => listed.has(c.entry, c.client, c.server);
  for (const s of inputs) {
    if ((s.timeline.channelsOmitted ?? 0) > 0 && s.mergeState !== undefined) {
      const inTimeline = new KeyedChannels<boolean>();
      for (const c of s.timeline.channels) inTimeline.get(c.entry, c.client, c.server, () => true);
      for (const c of s.mergeState.channels) {
        if (!isListed(c) || inTimeline.has(c.entry, c.client, c.server)) continue;
        byKey.get(c.entry, c.client, c.server, () => ({ entry: c.entry, client: c.client, server: c.server, buckets: new Map(), gaps: [], clipped: 0, cut: false })).cut = true;
      }
    }
    for (const c of s.timeline.channels) {
      if (!isListed(c)) continue;
      const a = byKey.get(c.entry, c.client, c.server, () => ({ entry: c.entry, client: c.client, server: c.server, buckets: new Map(), gaps: [], clipped: 0, cut: false }));
      // Buckets of the width wanted already are its buckets.
      for (const b of s.timeline.intervalSeconds === width ? c.buckets : rebucket(c.buckets, s.timeline.intervalSeconds, width)) {
        const t = bucketStartUs(microsFromIso(b.start), width);
        const x = a.buckets.get(t);
        if (x === undefined) a.buckets.set(t, { ...b });
        else {
          x.flows += b.flows;
          x.started += b.started;
          x.failed += b.failed;
          x.warnings += b.warnings;
        }
      }
      for (const g of c.gaps) a.gaps.push({ startUs: microsFromIso(g.start), endUs: microsFromIso(g.end) });
      a.clipped += c.clipped;
      a.cut ||= c.clipped > 0 || c.lowerBound === true;
    }
  }
  const r = (id: string) => rank.get(id) ?? Number.MAX_SAFE_INTEGER;
  const accs = byKey.values().sort((a, b) => r(a.entry) - r(b.entry) || cmp(a.entry, b.entry) || cmp(a.client, b.client) || cmp(a.server, b.server));
  let budget = MAX_TIMELINE_BUCKETS;
  const channels: TimelineChannel[] = accs.map((a) => {
    const starts = [...a.buckets.keys()].sort((x, y) => x - y);
    // As a run lists them: only the latest intervals, at most MAX_CHANNEL_BUCKETS and what the budget leaves.
    const max = Math.min(MAX_CHANNEL_BUCKETS, budget);
    const from = max <= 0 || starts.length === 0 ? Infinity : starts[starts.length - 1] - (max - 1) * width * 1e6;
    const kept = starts.filter((t) => t >= from);
    budget -= kept.length;
    const gaps = new ChannelTimeline();
    gaps.addGaps(mergeGaps(a.gaps));
    if (a.cut) lowerBound.add('timeline');
    return {
      entry: a.entry,
      client: a.client,
      server: a.server,
      buckets: kept.map((t) => a.buckets.get(t)!),
      gaps: gaps.gapList(),
      clipped: a.clipped + (starts.length - kept.length),
      ...(a.cut ? { lowerBound: true as const } : {}),
    };
  });
  return { intervalSeconds: width, channels, ...(omitted > 0 ? { channelsOmitted: omitted } : {}) };
}

// --- words ---

/** What a merged summary's reader must know, in the words text, Markdown and HTML use; empty for other summaries. */
export function mergeNotes(s: Summary): { level: 'note' | 'warning'; message: string }[] {
  if (!s.merge) return [];
  const out: { level: 'note' | 'warning'; message: string }[] = [
    { level: 'note', message: `merged from ${plural(s.merge.summaries, 'summary', 'summaries')}: flows are not joined across them, roles inferred in one do not narrow another's flows` },
  ];
  const lb = new Set(s.merge.lowerBound);
  if (lb.has('flows')) out.push({ level: 'warning', message: "an input's flow list was cut (--max-listed): the flows listed may miss some of the largest (the counts are exact)" });
  if (lb.has('entries')) out.push({ level: 'warning', message: 'an input listed only its top pairs: pairs and failures of entries marked "at least" are lower bounds' });
  if (lb.has('timeline')) out.push({ level: 'warning', message: 'an input clipped a timeline channel or left it out (--max-channels): the intervals of channels marked "at least" are lower bounds' });
  const split = s.ha.heartbeats.filter((h) => h.parts !== undefined).length;
  if (split > 0) out.push({ level: 'note', message: `HA cadence of ${split === 1 ? '1 channel' : `${split} channels`} seen by several inputs is not merged (medians do not merge): each input's intervals are shown side by side` });
  return out;
}
