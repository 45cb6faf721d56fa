// One live capture's aggregation: record batches go into a flow table (the same
// BatchAggregator as file analysis); about once per second of capture time, flows idle for
// longer than their timeout leave the table, are classified with the roles known then and
// folded into a running summary. Memory follows the flows active now plus distinct host
// pairs, not the length of the capture. `pantap live` drives it; tests drive it with
// crafted batches.
import type { FileReport } from '../capture/reader.js';
import type { RecordBatch } from '../capture/records.js';
import { CatalogMatcher } from '../catalog/matcher.js';
import type { Catalog } from '../catalog/schema.js';
import { FlowClassifier, type ClassifiedFlow } from '../classify/classify.js';
import type { Inventory } from '../classify/inventory.js';
import { expireIdle, type IdleTimeouts } from '../flow/expire.js';
import { resolveFragments, type FragmentResolution, type FragmentSnapshot } from '../flow/fragments.js';
import type { FlowTable } from '../flow/table.js';
import { SummaryAccumulator } from '../report/accumulate.js';
import { buildInput } from '../report/build.js';
import type { SectionId, Summary } from '../report/model.js';
import { BatchAggregator } from './aggregate.js';
import type { RunResult } from './run.js';

export interface LiveSessionOptions {
  catalog: Catalog;
  inventory: Inventory | null;
  maxFlows: number;
  allFlows: boolean;
  maxListed: number;
  topPairs: number;
  /** null: nothing expires (the table keeps every flow, as in file analysis). */
  timeouts: IdleTimeouts | null;
  /** Capture time between expiry checks, in microseconds (default 1 s). */
  checkEveryUs?: number;
}

/** First fragments are kept this long (capture time) for later fragments to join them (Linux's ipfrag_time). */
const FRAGMENT_WINDOW_US = 30e6;
/**
 * A later fragment waits this long (capture time) for a first fragment sent after it before
 * it is attributed or counted as an orphan. Fragments of a datagram arrive microseconds
 * apart; flows idle for less than this plus the check interval would not be expired
 * before their fragments join (timeouts are at least 1 s, 60 s by default).
 */
const FRAGMENT_HOLD_US = 2e6;
/** Newest failing / unexpected expired flows kept for the live view. */
const RECENT = 200;

export interface LiveView {
  sections: { id: SectionId; flows: number; packets: number; bytes: number; failed: number }[];
  /** Newest failed flows (expired or active), oldest first. */
  failing: ClassifiedFlow[];
  /** Newest unexpected flows (expired or active), oldest first. */
  unexpected: ClassifiedFlow[];
  expired: number;
  active: number;
}

export class LiveSession {
  readonly agg: BatchAggregator;
  readonly matcher: CatalogMatcher;
  /** Latest packet time seen (µs since the epoch): the session's clock. */
  nowUs = -Infinity;
  /** Flows that left the table so far. */
  expiredFlows = 0;
  private lastCheckUs = -Infinity;
  private readonly checkEveryUs: number;
  private readonly classifier: FlowClassifier;
  private readonly acc: SummaryAccumulator;
  private readonly fragments: FragmentResolution = { attributed: 0, orphans: 0, dropped: 0 };
  private recentFirsts: { atUs: number; snap: FragmentSnapshot }[] = [];
  private pendingLater: LaterFragments = { count: 0, u: new Uint32Array(0), f: new Float64Array(0) };
  private recentFailing: ClassifiedFlow[] = [];
  private recentUnexpected: ClassifiedFlow[] = [];
  private finished = false;

  constructor(readonly opts: LiveSessionOptions) {
    this.agg = new BatchAggregator(opts.maxFlows);
    this.matcher = new CatalogMatcher(opts.catalog);
    this.classifier = new FlowClassifier(this.matcher, opts.inventory);
    this.acc = new SummaryAccumulator(opts.catalog, opts);
    this.checkEveryUs = opts.checkEveryUs ?? 1e6;
  }

  get table(): FlowTable {
    return this.agg.table;
  }

  /**
   * Aggregates a batch; when the capture clock has moved on by the check interval since the
   * last check, expires idle flows. Returns the flows that expired (in capture order).
   */
  add(batch: RecordBatch): ClassifiedFlow[] {
    if (this.finished) throw new Error('LiveSession: add() after finish()');
    this.agg.add(batch);
    // The aggregator already tracks the latest timestamp: capture time for expiry.
    const max = Math.max(this.nowUs, this.agg.latestTs);
    this.nowUs = max;
    if (this.opts.timeouts === null || max === -Infinity) return [];
    if (this.lastCheckUs === -Infinity) this.lastCheckUs = max;
    if (max - this.lastCheckUs < this.checkEveryUs) return [];
    return this.expire(max);
  }

  /**
   * Expires the flows idle at capture time `nowUs` (default: the latest packet's time):
   * attributes pending IP fragments, removes the idle flows from the table, classifies
   * them and folds them into the running summary. Returns them in capture order.
   */
  expire(nowUs = this.nowUs): ClassifiedFlow[] {
    if (this.finished) throw new Error('LiveSession: expire() after finish()');
    this.lastCheckUs = Math.max(this.lastCheckUs, nowUs);
    this.resolvePendingFragments(nowUs);
    if (this.opts.timeouts === null) return [];
    const snap = expireIdle(this.table, nowUs, this.opts.timeouts);
    if (snap.count === 0) return [];
    const flows = this.classifier.classify(snap, snap.count);
    this.acc.addFlows(flows);
    this.expiredFlows += flows.length;
    this.recentFailing = newest(this.recentFailing, flows, (f) => f.failed);
    this.recentUnexpected = newest(this.recentUnexpected, flows, (f) => f.section === 'unexpected');
    return flows;
  }

  /**
   * Attributes logged later fragments to their flows as file analysis does (the latest
   * earlier first fragment, or for fragments sent last-first the next one within 30 s),
   * with first fragments kept for the reassembly window. A later fragment waits
   * FRAGMENT_HOLD_US for a first fragment sent after it; `all` resolves every one (at the end).
   */
  private resolvePendingFragments(nowUs: number, all = false): void {
    const log = this.agg.fragments;
    const snap = log.snapshot();
    log.clear();
    this.fragments.dropped += snap.dropped;
    this.recentFirsts = this.recentFirsts.filter((x) => nowUs - x.atUs <= FRAGMENT_WINDOW_US + FRAGMENT_HOLD_US);
    if (snap.firstCount > 0) {
      const firsts: FragmentSnapshot = { ...snap, laterCount: 0, laterU: new Uint32Array(0), laterF: new Float64Array(0), dropped: 0 };
      this.recentFirsts.push({ atUs: nowUs, snap: firsts });
    }
    const later = laterPart(this.pendingLater, snap);
    if (later.count === 0) return;
    const { ready, held } = splitByTime(later, all ? Infinity : nowUs - FRAGMENT_HOLD_US);
    this.pendingLater = held;
    if (ready.count === 0) return;
    const r = resolveFragments(this.table, [
      ...this.recentFirsts.map((x) => x.snap),
      { firstCount: 0, firstU: new Uint32Array(0), firstF: new Float64Array(0), laterCount: ready.count, laterU: ready.u, laterF: ready.f, dropped: 0 },
    ]);
    this.fragments.attributed += r.attributed;
    this.fragments.orphans += r.orphans;
  }

  /** The run as buildInput sees it; `flowTable.flows` counts expired flows too. */
  private runResult(files: FileReport[], interrupted: boolean): RunResult {
    return { files, failed: [], stats: this.agg.stats(), table: this.table, fragments: { ...this.fragments }, interrupted };
  }

  private input(files: FileReport[], interrupted: boolean): Summary['input'] {
    const input = buildInput(this.runResult(files, interrupted), this.opts.maxFlows);
    input.flowTable.flows += this.expiredFlows;
    return input;
  }

  /**
   * The summary so far: the running summary plus the flows still in the table, classified
   * with the roles known now (the session itself is left as it was, but for attributing
   * pending fragments). `files` describes the input (one FileReport for a live capture).
   */
  summary(files: FileReport[], interrupted = false): Summary {
    if (this.finished) throw new Error('LiveSession: summary() after finish()');
    this.resolvePendingFragments(this.nowUs, true);
    const classifier = this.classifier.fork();
    const active = classifier.classify(this.table, this.table.capacity);
    const acc = this.acc.clone();
    acc.addFlows(active);
    return acc.summary(this.input(files, interrupted), classifier.roles);
  }

  /** Ends the session: folds in the flows still in the table; returns them with the final summary. */
  finish(files: FileReport[], interrupted = false): { summary: Summary; remaining: ClassifiedFlow[] } {
    if (this.finished) throw new Error('LiveSession: finish() twice');
    this.resolvePendingFragments(this.nowUs, true);
    const remaining = this.classifier.classify(this.table, this.table.capacity);
    this.acc.addFlows(remaining);
    this.finished = true;
    return { summary: this.acc.summary(this.input(files, interrupted), this.classifier.roles), remaining };
  }

  /** For the refreshing screen: running section counters plus the active flows, newest problems. */
  view(): LiveView {
    const active = this.classifier.fork().classify(this.table, this.table.capacity);
    const sections = this.acc.sectionCounts();
    const index = new Map(sections.map((s, i) => [s.id as string, i]));
    for (const f of active) {
      const i = index.get(f.section);
      if (i === undefined) continue;
      const s = sections[i];
      s.flows++;
      s.packets += f.clientPackets + f.serverPackets;
      s.bytes += f.clientBytes + f.serverBytes;
      if (f.failed) s.failed++;
    }
    return {
      sections,
      failing: newest(this.recentFailing, active, (f) => f.failed),
      unexpected: newest(this.recentUnexpected, active, (f) => f.section === 'unexpected'),
      expired: this.expiredFlows,
      active: this.table.size,
    };
  }
}

/** Logged later fragments: per fragment, words in `u` and numbers (seq, time, bytes) in `f`. */
interface LaterFragments {
  count: number;
  u: Uint32Array;
  f: Float64Array;
}

/** The held later fragments followed by the newly logged ones. */
function laterPart(held: LaterFragments, snap: FragmentSnapshot): LaterFragments {
  if (held.count === 0) return { count: snap.laterCount, u: snap.laterU, f: snap.laterF };
  if (snap.laterCount === 0) return held;
  const u = new Uint32Array(held.u.length + snap.laterU.length);
  u.set(held.u);
  u.set(snap.laterU, held.u.length);
  const f = new Float64Array(held.f.length + snap.laterF.length);
  f.set(held.f);
  f.set(snap.laterF, held.f.length);
  return { count: held.count + snap.laterCount, u, f };
}

/** Splits later fragments into those logged at or before `cutUs` and the rest (order kept). */
function splitByTime(l: LaterFragments, cutUs: number): { ready: LaterFragments; held: LaterFragments } {
  // Per-fragment widths from the arrays (FragmentLog packs `count` fragments exactly); the
  // time is the second number of each fragment.
  const lw = l.u.length / l.count;
  const lf = l.f.length / l.count;
  const ready: number[] = [];
  const held: number[] = [];
  for (let j = 0; j < l.count; j++) (l.f[j * lf + 1] <= cutUs ? ready : held).push(j);
  const pick = (idx: number[]): LaterFragments => {
    if (idx.length === l.count) return l;
    const u = new Uint32Array(idx.length * lw);
    const f = new Float64Array(idx.length * lf);
    idx.forEach((j, k) => {
      u.set(l.u.subarray(j * lw, j * lw + lw), k * lw);
      f.set(l.f.subarray(j * lf, j * lf + lf), k * lf);
    });
    return { count: idx.length, u, f };
  };
  return { ready: pick(ready), held: pick(held) };
}

/** The RECENT flows with the latest first packet among `kept` and the matching `more`. */
function newest(kept: ClassifiedFlow[], more: readonly ClassifiedFlow[], pick: (f: ClassifiedFlow) => boolean): ClassifiedFlow[] {
  const all = kept.concat(more.filter(pick));
  all.sort((a, b) => a.firstSeq - b.firstSeq);
  return all.slice(-RECENT);
}
