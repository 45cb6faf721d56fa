// The one flow session for files, stdin and live capture. Sources feed it record batches
// (add); it spreads aggregation over the worker pool or the main thread, merges the partial
// tables, attributes IP fragments (one resolver, one window), expires idle flows when asked
// to (live), classifies them and folds them into the running summary. `pantap analyze`
// and `pantap live` are thin adapters that only differ in where batches come from.
import { BufferPool, type FileReport } from '../capture/reader.js';
import { REC_WORDS, recordTsUs, type RecordBatch } from '../capture/records.js';
import { CatalogMatcher } from '../catalog/matcher.js';
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow, FlowClassifier, RoleBook } from '../classify/classify.js';
import type { Inventory } from '../classify/inventory.js';
import type { SectionId } from '../classify/vocabulary.js';
import { emptyStats, mergeStats, type DecodeStats } from '../decode/stats.js';
import type { CaptureError } from '../errors.js';
import { expireIdle, type IdleTimeouts } from '../flow/expire.js';
import { FragmentResolver, type FragmentResolution } from '../flow/fragments.js';
import { DEFAULT_INSPECT_LIMITS, type InspectLimits } from '../flow/conversation.js';
import { FlowTable, KEY_WORDS, flowSlots, type FlowSnapshot } from '../flow/table.js';
import type { InspectionCounts } from '../classify/flow-facts.js';
import type { FilterFacts } from '../pipeline/filter.js';
import type { DedupFacts } from '../pipeline/dedup.js';
import type { SkippedInput } from '../capture/inputs.js';
import { InlineSink, WorkerPool, type BatchSink } from '../pipeline/pool.js';
import { COLLECT_FLOWS, CollectionSchedule, startCollection, stopPretenuring } from './collect.js';
import { lowerInlining } from './tiering.js';
import type { SummaryAccumulator } from '../report/accumulate.js';
import type { buildInput } from '../report/build.js';
import type { HealthLine, HealthOmitted, Summary } from '../report/model.js';

export interface SessionOptions {
  catalog: Catalog;
  inventory: Inventory | null;
  maxFlows: number;
  /** List every flow in the summary (--flows), not only unexpected, failed and warning ones. */
  allFlows: boolean;
  maxListed: number;
  /** Channels listed in the health list and timeline at most (--max-channels); absent: DEFAULT_MAX_CHANNELS. */
  maxChannels?: number;
  topPairs: number;
  /** Timeline interval in seconds; null or absent: chosen from the capture's duration. */
  interval?: number | null;
  /** Idle expiry (live capture); null: nothing expires and flows are classified at the end. */
  timeouts: IdleTimeouts | null;
  /** Capture time between expiry checks, in microseconds (default 1 s). */
  checkEveryUs?: number;
  /** Decode workers; 0 aggregates on the main thread. */
  workers: number;
  /** Batch sizes of the session's buffer pool (defaults: the file reader's). */
  batchBytes?: number;
  batchRecords?: number;
  /** Input names for worker failure messages, by RecordBatch.fileIndex. */
  inputNames?: string[];
  /** The worker script (tests substitute one that fails on purpose). */
  workerScript?: URL;
  /** Payload inspection caps (default DEFAULT_INSPECT_LIMITS). */
  inspect?: InspectLimits;
  /**
   * With workers, the main thread owns a share of the flows too (file analysis: it only
   * reads between batches). Live capture leaves it off: there the main thread also runs
   * the capture and the screen.
   */
  mainThreadShare?: boolean;
  /**
   * Batches in SharedArrayBuffers when there are workers: no copy per worker. Only for
   * readers written in JavaScript: the live capture addon and its BPF filter (`-f`) take
   * ArrayBuffers only.
   */
  sharedBatches?: boolean;
  /**
   * The process ends once this session's report is out (the CLI's `analyze`): finish() may
   * then turn V8's allocation-site pretenuring off and lower TurboFan's inlining budget for
   * the rest of the process (collect.ts, stopPretenuring; tiering.ts, lowerInlining). A
   * library caller's process keeps V8's defaults.
   */
  exitsAfterReport?: boolean;
  /**
   * Whether the summary's listed flows carry what only a flow's record shows and no verdict
   * reads: its Community ID and TCP facts (default true). False when the report made of the
   * summary never shows them (the CLI's text, Markdown and HTML): no SHA-1 and no TCP record
   * is made for the ≈ 14,000 flows of mixed-2M that may be listed. With kept flows (finish's
   * `keepFlows`) every flow is complete whatever this says.
   */
  listedFacts?: boolean;
}

/** What the adapter knows about its inputs when the session ends. */
export interface SessionEnd {
  files: FileReport[];
  failed?: CaptureError[];
  interrupted?: boolean;
  /** What the offline filters did (analyze -f, --host, --since, --until, -c). */
  filter?: FilterFacts | null;
  /** What --dedup dropped (analyze; null without it). */
  dedup?: DedupFacts | null;
  /** Files of directories and globs that are not captures, and files named twice. */
  skipped?: SkippedInput[];
}

/**
 * Age (capture time) after which an active flow's unfinished handshake or unanswered
 * requests count as such in the live view: handshakes and round trips take well under it.
 */
const LIVE_SETTLE_US = 5e6;

/** Newest failing / unexpected flows kept for the live view. */
const RECENT = 200;

export interface SessionView {
  sections: { id: SectionId; flows: number; packets: number; bytes: number; failed: number; degraded: number }[];
  /** Newest failed flows (expired or active), oldest first. */
  failing: ClassifiedFlow[];
  /** Newest flows with warnings (expired or active), oldest first. */
  warning: ClassifiedFlow[];
  /** Newest unexpected flows (expired or active), oldest first. */
  unexpected: ClassifiedFlow[];
  /** The health list of the flows so far, expired and active, sorted as the summary's (health.ts), at most --max-channels. */
  health: HealthLine[];
  /** Channels --max-channels left out of `health`, per status; absent when none. */
  healthOmitted?: HealthOmitted;
  expired: number;
  active: number;
}

/**
 * What a session needs only once flows leave it (classification, the summary): loaded by
 * ready(), which add() starts after the first batch, so that these modules are compiled
 * while later batches are read instead of before the first (start-up, bench/README.md).
 */
interface Late {
  classifier: FlowClassifier;
  acc: SummaryAccumulator;
  buildInput: typeof buildInput;
}

async function loadLate(opts: SessionOptions, matcher: CatalogMatcher): Promise<Late> {
  const [{ FlowClassifier }, { SummaryAccumulator }, { buildInput }] = await Promise.all([import('../classify/classify.js'), import('../report/accumulate.js'), import('../report/build.js')]);
  return { classifier: new FlowClassifier(matcher, opts.inventory), acc: new SummaryAccumulator(opts.catalog, opts), buildInput };
}

export class FlowSession {
  /** Buffers for the batches fed to add(); the session returns them to it when done. */
  readonly buffers: BufferPool;
  readonly matcher: CatalogMatcher;
  /** The merged flow table: flows active now (live) or all flows so far (files). */
  readonly table: FlowTable;
  /** Latest packet time added (µs since the epoch): the session's clock, with expiry on. */
  nowUs = -Infinity;
  /** Flows that left the table so far. */
  expiredFlows = 0;
  private readonly sink: BatchSink;
  private stats: DecodeStats = emptyStats();
  private readonly fragments = new FragmentResolver();
  private late: Late | null = null;
  private loading: Promise<void> | null = null;
  private readonly checkEveryUs: number;
  private lastCheckUs = -Infinity;
  private recentFailing: ClassifiedFlow[] = [];
  private recentUnexpected: ClassifiedFlow[] = [];
  private recentWarning: ClassifiedFlow[] = [];
  private ended = false;
  /** Payload inspection so far: flows with payload kept, bytes kept, cap hits. */
  readonly inspection: InspectionCounts = { flows: 0, bytesKept: 0, capHit: 0 };

  constructor(readonly opts: SessionOptions) {
    // With workers and shared batches, each owner reads its flows' records of the one batch
    // (pipeline/pool.ts), nothing is copied per worker.
    this.buffers = new BufferPool(opts.batchBytes, opts.batchRecords, opts.workers > 0 && (opts.sharedBatches ?? false));
    this.table = new FlowTable(opts.maxFlows);
    this.matcher = CatalogMatcher.for(opts.catalog);
    this.checkEveryUs = opts.checkEveryUs ?? 1e6;
    this.sink =
      opts.workers > 0
        ? new WorkerPool(opts.workers, this.buffers, opts.maxFlows, opts.inputNames ?? [], 2, opts.workerScript, opts.inspect ?? DEFAULT_INSPECT_LIMITS, opts.mainThreadShare ?? false)
        : new InlineSink(this.buffers, this.table, opts.inspect ?? DEFAULT_INSPECT_LIMITS);
  }

  /**
   * Loads the classification and summary modules (once). flush() and finish() wait for it;
   * view() and roles need it done: a caller that wants them before the first flush awaits it.
   */
  ready(): Promise<void> {
    this.loading ??= loadLate(this.opts, this.matcher).then((late) => {
      this.late = late;
    });
    return this.loading;
  }

  private get classifier(): FlowClassifier {
    if (this.late === null) throw new Error('FlowSession: await ready() before view() or roles');
    return this.late.classifier;
  }

  private get acc(): SummaryAccumulator {
    if (this.late === null) throw new Error('FlowSession: await ready() before view() or roles');
    return this.late.acc;
  }

  /** Starts loading the late modules once the first batch is in (a failure surfaces where ready() is awaited). */
  private startLoading(): void {
    if (this.loading === null) this.ready().catch(() => undefined);
  }

  /**
   * Aggregates a batch (its buffers go back to `buffers`). With expiry on, the session
   * checks for idle flows at fixed instants of capture time (every checkEveryUs from the
   * first packet): a batch that spans an instant is split there, so which flows expire
   * depends on the packets' timestamps only, never on how they were batched. Returns the
   * flows that expired.
   */
  async add(batch: RecordBatch): Promise<ClassifiedFlow[]> {
    if (this.ended) throw new Error('FlowSession: add() after finish()');
    if (this.opts.timeouts === null) {
      await this.sink.submit(batch);
      this.startLoading();
      return [];
    }
    this.startLoading();
    const expired: ClassifiedFlow[] = [];
    let part = batch;
    for (;;) {
      const idx = new Uint32Array(part.index, 0, part.count * REC_WORDS);
      if (this.lastCheckUs === -Infinity && part.count > 0) this.lastCheckUs = tsAt(idx, 0);
      const next = this.lastCheckUs + this.checkEveryUs;
      let r = 0;
      let latest = -Infinity;
      for (; r < part.count; r++) {
        const ts = tsAt(idx, r);
        if (ts > next) break;
        if (ts > latest) latest = ts;
      }
      if (latest > this.nowUs) this.nowUs = latest;
      if (r === part.count) {
        await this.sink.submit(part);
        return expired;
      }
      // Record r is past the next check instant: the records before it go in, the check
      // runs at the last instant before record r (a record at an instant exactly belongs
      // before that instant's check, as in the loop above), and the rest is a batch of its own.
      const instant = next + (Math.ceil((tsAt(idx, r) - next) / this.checkEveryUs) - 1) * this.checkEveryUs;
      const rest = this.tail(part, r);
      if (r > 0) await this.sink.submit({ ...part, count: r });
      else this.buffers.release(part);
      expired.push(...(await this.flush(instant)));
      part = rest;
    }
  }

  /**
   * Records [r, count) of a batch as a batch of their own, on copies: the head goes to the
   * sink, which transfers its buffers to a worker or hands them back to the pool for reuse.
   * At most one copy per check instant (once a second of capture time).
   */
  private tail(batch: RecordBatch, r: number): RecordBatch {
    const index = batch.index.slice(r * REC_WORDS * 4, batch.count * REC_WORDS * 4);
    const data = batch.data.slice(0);
    return { ...batch, data, index, count: batch.count - r, seqBase: batch.seqBase + r };
  }

  /**
   * Brings the merged table up to date (every batch added so far), attributes the fragments
   * that can be decided at capture time `nowUs` and, with expiry on, removes the flows idle
   * at `nowUs`, classifies them and folds them into the summary. Returns them in capture order.
   */
  async flush(nowUs = this.nowUs): Promise<ClassifiedFlow[]> {
    if (this.ended) throw new Error('FlowSession: flush() after finish()');
    this.lastCheckUs = Math.max(this.lastCheckUs, nowUs);
    await this.ready();
    await this.collect(nowUs, false);
    const timeouts = this.opts.timeouts;
    if (timeouts === null) return [];
    // Roles proven by flows still active count for the flows that expire now.
    this.classifier.learnFrom(this.table);
    const snap = expireIdle(this.table, nowUs, timeouts);
    if (snap.count === 0) return [];
    const flows: ClassifiedFlow[] = [];
    await this.classifyLeaving(snap, (chunk) => {
      for (const f of chunk) flows.push(f);
    });
    this.acc.addFlows(flows);
    this.expiredFlows += flows.length;
    this.recentFailing = newest(this.recentFailing, flows, (f) => f.failed);
    this.recentUnexpected = newest(this.recentUnexpected, flows, (f) => f.section === 'unexpected');
    this.recentWarning = newest(this.recentWarning, flows, (f) => f.verdict === 'warning');
    return flows;
  }

  /**
   * Ends the session: every batch aggregated, every fragment decided, the flows still in the
   * table classified (with every role learnt) and folded in. Returns those flows (all flows,
   * without expiry) in capture order, with the final summary; with `keepFlows` false, no
   * flows (`remaining` is empty): each is folded in as it is classified and dropped, so a
   * table of 500,000 flows is never alive as 500,000 classified flows, and the table's slots
   * are given up once copied out (bench/README.md, "flood-1M").
   */
  async finish(end: SessionEnd, keepFlows = true): Promise<{ summary: Summary; remaining: ClassifiedFlow[] }> {
    if (this.ended) throw new Error('FlowSession: finish() twice');
    const remaining: ClassifiedFlow[] = [];
    // One test for the collections below: a table of COLLECT_FLOWS flows or more.
    let collecting = false;
    let stopping: Promise<void> | null = null;
    try {
      await this.ready();
      await this.collect(this.nowUs, true);
      const acc = this.acc;
      const snap = this.table.snapshotInCaptureOrder();
      if (!keepFlows) this.table.releaseSlots();
      // Nothing more is read: the batch buffers kept for reuse go. They and the table's slots
      // (released above) are collected before classification grows the heap (collect.ts).
      this.buffers.clear();
      collecting = snap.count >= COLLECT_FLOWS;
      if (collecting) {
        startCollection();
        if (this.opts.exitsAfterReport) {
          stopPretenuring();
          lowerInlining(snap.count);
        }
      }
      // As flows are judged, their share of the feed's state and payload becomes garbage and
      // what the summary keeps of them is promoted: collections during classification keep the
      // heap from growing by all of it (collect.ts, CollectionSchedule).
      const schedule = collecting ? new CollectionSchedule(snap.count) : null;
      await this.classifyLeaving(
        snap,
        (flows) => {
          acc.addFlows(flows);
          if (keepFlows) for (const f of flows) remaining.push(f);
          if (schedule?.classifiedMore(flows.length, this.inspection.bytesKept)) startCollection();
        },
        (bound) => acc.reserveChannels(bound),
        // Every flow's facts are handed over (or, inline, in the store take() holds on to):
        // workers stop now, their heaps (their tables, conversation indexes) freed while this
        // thread classifies (flood-1M -w 1: bench/README.md, "flood-1M, third pass").
        () => {
          stopping = this.sink.terminate();
        },
        // Flows that are dropped once folded in need their record's facts only if the summary
        // may list them (most do not: bench/README.md, "Report phase, fifth pass").
        keepFlows ? undefined : this.opts.listedFacts === false ? never : (f) => acc.mayList(f),
      );
    } catch (err) {
      this.ended = true;
      await this.sink.terminate();
      throw err;
    }
    this.ended = true;
    // The aggregators' stores (TCP arena, kept payload) are let go of now that every flow is
    // classified, and collected while the summary is made.
    stopping ??= this.sink.terminate();
    if (collecting) startCollection();
    try {
      // `pantap merge` (issue 12) merges the overflow sketch's registers, not its estimate.
      const summary = this.acc.summary(this.input(end), this.classifier.roles, this.table.overflowSketch.slice());
      return { summary, remaining };
    } finally {
      await stopping;
    }
  }

  /**
   * Classifies flows that leave the session (expired, or all at the end) with what their
   * aggregators learnt from their packets (TCP health, payload); the aggregators forget them.
   * Hands them to `each` in capture order, a chunk at a time.
   */
  private async classifyLeaving(snap: FlowSnapshot, each: (flows: ClassifiedFlow[]) => void, channels?: (bound: number) => void, taken?: () => void, listable?: (flow: ClassifiedFlow) => boolean): Promise<void> {
    // Workers hand the facts over while this thread prepares the flows.
    const taking = this.sink.take(snap.keys);
    const prepared = this.classifier.prepare(flowSlots(snap));
    channels?.(prepared.channelBound());
    const facts = await taking;
    taken?.();
    // Each flow's facts asked for once (FactsOf); those classification did not ask for are
    // taken all the same, so that the aggregators forget every flow that left.
    const asked = new Uint8Array(snap.count);
    this.classifier.classifyEach(
      prepared,
      each,
      (i) => {
        asked[i] = 1;
        return facts(i);
      },
      this.inspection,
      Infinity,
      undefined,
      listable,
    );
    for (let i = 0; i < snap.count; i++) if (asked[i] === 0) facts(i);
  }

  /** Stops at once (errors): workers are terminated, nothing is reported. */
  async abort(): Promise<void> {
    this.ended = true;
    await this.sink.terminate();
  }

  /** Roles known so far (inventory and inferred). */
  get roles(): RoleBook {
    return this.classifier.roles;
  }

  /** For the refreshing screen: running section counters plus the active flows, newest problems. */
  view(): SessionView {
    // Active flows are judged on what their packets showed so far when the facts are at
    // hand (inline aggregation, the live default); on workers, on their counters alone.
    const peek = this.sink.peek;
    const table = this.table;
    // Flows younger than LIVE_SETTLE_US of capture time are in their first exchange: no
    // "did not complete" or "no reply" for them yet.
    const active = this.classifier.fork().classify(table, peek === undefined ? undefined : (slot) => peek(table.keyWords(slot)), undefined, this.nowUs - LIVE_SETTLE_US);
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
      if (f.verdict === 'warning') s.degraded++;
    }
    const health = this.acc.healthView(active);
    return {
      sections,
      failing: newest(this.recentFailing, active, (f) => f.failed),
      warning: newest(this.recentWarning, active, (f) => f.verdict === 'warning'),
      unexpected: newest(this.recentUnexpected, active, (f) => f.section === 'unexpected'),
      health: health.health,
      ...(health.omitted ? { healthOmitted: health.omitted } : {}),
      expired: this.expiredFlows,
      active: this.table.size,
    };
  }

  /** Decode statistics of everything merged so far. */
  get decodeStats(): DecodeStats {
    return this.stats;
  }

  /** Fragment attribution so far. */
  get fragmentResult(): FragmentResolution {
    return this.fragments.result;
  }

  /** Merges what the aggregators gathered, then decides the fragments that can be decided. */
  private async collect(nowUs: number, final: boolean): Promise<void> {
    const parts = await this.sink.drain(final);
    // Sized once for the final merge (a file run's only one): growing by rehash through a
    // million flows costs more than the merge itself. Live drains repeat active flows, so
    // their sum would overstate the table.
    const incoming = parts.reduce((a, p) => a + (p.flows?.count ?? 0), 0);
    if (final && incoming > 0) this.table.reserve(Math.min(this.opts.maxFlows, this.table.size + incoming));
    // The owners' tables in one merge: when they do not all fit, the flows kept are the first
    // by record number, as inline (FlowTable.merge), whatever the worker count.
    const snaps: FlowSnapshot[] = [];
    for (const p of parts) if (p.flows !== null) snaps.push(p.flows);
    if (snaps.length > 0) {
      // Flows that did not fit are overflow: their owners forget their conversations
      // (else, live, a worker would keep them and their payload budget for ever). A sink
      // may forget a flow only when its facts are asked for (FactsOf: the main thread's
      // share, inline): each is asked for, but at the end, where terminate() drops them all.
      const left = this.table.merge(...snaps);
      if (left !== null) {
        const facts = await this.sink.take(left);
        if (!final) for (let i = 0; i < left.length / KEY_WORDS; i++) facts(i);
      }
    }
    for (const p of parts) this.fragments.add(p.fragments);
    this.stats = mergeStats([this.stats, ...parts.map((p) => p.stats)]);
    this.fragments.resolve(this.table, nowUs, final);
  }

  private input(end: SessionEnd): Summary['input'] {
    const t = this.table;
    return this.late!.buildInput({
      files: end.files,
      failed: end.failed ?? [],
      stats: this.stats,
      fragments: this.fragments.result,
      // Flows counted over the session: expired ones too.
      flowTable: { flows: t.size + this.expiredFlows, maxFlows: this.opts.maxFlows, overflowFlows: t.overflowFlows, overflowPackets: t.overflowPackets },
      interrupted: end.interrupted ?? false,
      filter: end.filter ?? null,
      dedup: end.dedup ?? null,
      skipped: end.skipped ?? [],
      inspection: this.inspection,
    });
  }
}

/** No flow's record facts are wanted (SessionOptions.listedFacts false). */
const never = (): boolean => false;

/** Timestamp (µs) of record r of a batch index, as the aggregator computes it. */
function tsAt(idx: Uint32Array, r: number): number {
  return recordTsUs(idx, r * REC_WORDS);
}

/** The RECENT flows with the latest first packet among `kept` and the matching `more`. */
function newest(kept: ClassifiedFlow[], more: readonly ClassifiedFlow[], pick: (f: ClassifiedFlow) => boolean): ClassifiedFlow[] {
  const all = kept.concat(more.filter(pick));
  all.sort((a, b) => a.firstSeq - b.firstSeq);
  return all.slice(-RECENT);
}
