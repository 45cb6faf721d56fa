// How a session spreads aggregation: decode + aggregation inline on the main thread, or on
// worker threads. Batches go over as transferred ArrayBuffers, or in shared memory (a shared
// BufferPool); a bounded number in flight per worker gives the source backpressure, and
// buffers come back to the BufferPool for reuse (a shared batch when its last owner is done).
// drain() collects the partial results gathered so far, in any number of rounds.
//
// Every packet of a flow goes to the same worker, in capture order: TCP health and payload
// reassembly depend on the order of a flow's packets. With one worker that is given; with
// more, the main thread decodes each record once more to route it by a symmetric hash of
// its addresses, protocol and ports (ICMP errors by the flow they quote), and copies it
// into that worker's part of the batch with its global record number, or, with a shared
// batch, sends every owner the whole batch and each record's owner.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { isShared, type BufferPool } from '../capture/reader.js';
import { REC_CAPLEN, REC_LINKTYPE, REC_OFFSET, REC_ORIGLEN, REC_WORDS, recordOrigin, type RecordBatch } from '../capture/records.js';
import { F_DPORT, F_DST, F_ETHERTYPE, F_KIND, F_PROTO, F_SPORT, F_SRC, KIND_L2, R_OK, newPacketFields } from '../decode/fields.js';
import { decodeRecord } from '../decode/link.js';
import type { ConversationColumns } from '../flow/conversation-columns.js';
import { ConversationStore, DEFAULT_INSPECT_LIMITS, factsOfColumns, type FlowFacts, type InspectLimits } from '../flow/conversation.js';
import { KEY_WORDS } from '../flow/table.js';
import { WorkerError } from '../errors.js';
import type { FlowTable } from '../flow/table.js';
import { BatchAggregator, type AggregateResult } from './aggregate.js';
import { WIRE_FORMAT, type FromWorker, type ToWorker, type WorkerInit } from './messages.js';

/**
 * The conversation facts of flow i of a take() (null: none), built when asked for. Ask for
 * each flow once, and for every flow: inline, a flow's facts are taken from its aggregator
 * (and forgotten there) at the first ask, so that each lives only while its flow is judged.
 */
export type FactsOf = (i: number) => FlowFacts | null;

/** Where batches go: a worker pool, or the main thread itself. */
export interface BatchSink {
  submit(batch: RecordBatch): void | Promise<void>;
  /**
   * Waits for every batch submitted so far, then returns what each aggregator gathered since
   * the last drain. `final`: the end, nothing is submitted after, and every flow will be
   * taken (workers then build the hand-over at once).
   */
  drain(final?: boolean): Promise<AggregateResult[]>;
  /**
   * The conversation facts of the flows whose keys are packed in `keys` (KEY_WORDS each), in
   * that order (null: no conversation); they are forgotten. Call after drain().
   */
  take(keys: Uint32Array): Promise<FactsOf>;
  /**
   * The facts so far of a flow still active, left as they are, when the sink can tell at
   * once (inline); undefined when it cannot (workers answer by message).
   */
  readonly peek?: (key: Uint32Array) => FlowFacts | null;
  /** Stops everything at once (the end, errors, Ctrl-C). */
  terminate(): Promise<void>;
}

/**
 * Default worker count: cores − 1, and none on two cores or fewer. Since every flow has one
 * owner (TCP health and payload need its packets in order), workers cost a routing decode
 * of every record on the main thread and a hand-over of every flow's facts at the end; on
 * two cores that lost to aggregating inline (mixed-2M: 2.24 s with one worker and a main-
 * thread share, 1.83 s inline; bench/results/mixed-2M-verdicts.json).
 */
export function defaultWorkers(): number {
  const cores = availableParallelism();
  return cores <= 2 ? 0 : cores - 1;
}

/**
 * When the first and the latest batch were aggregated, in ms since the process started
 * (performance.now(); -1: none yet), and the process's CPU time (user + system, ms) then.
 * Two clock reads per batch; `PANTAP_TIMINGS=1` prints it
 * (cli/bin.ts) so the benchmarks can time start-up and the report phase.
 */
export const batchClock = { first: -1, last: -1, firstCpu: -1, lastCpu: -1 };

function batchDone(): void {
  const t = performance.now();
  const cpu = process.cpuUsage();
  if (batchClock.first < 0) {
    batchClock.first = t;
    batchClock.firstCpu = (cpu.user + cpu.system) / 1000;
  }
  batchClock.last = t;
  batchClock.lastCpu = (cpu.user + cpu.system) / 1000;
}

/** Aggregates on the main thread straight into the session's table (nothing to merge). */
export class InlineSink implements BatchSink {
  /** Null once terminated: the conversation store (TCP arena, kept payload) goes with it. */
  private aggregator: BatchAggregator | null;
  constructor(
    private readonly buffers: BufferPool,
    table: FlowTable,
    limits: InspectLimits = DEFAULT_INSPECT_LIMITS,
  ) {
    this.aggregator = new BatchAggregator(table.maxFlows, table, limits);
  }
  private get agg(): BatchAggregator {
    if (this.aggregator === null) throw new Error('InlineSink: used after terminate()');
    return this.aggregator;
  }
  submit(batch: RecordBatch): void {
    this.agg.add(batch);
    this.buffers.release(batch);
    batchDone();
  }
  async drain(): Promise<AggregateResult[]> {
    return [this.agg.drain()];
  }
  async take(keys: Uint32Array): Promise<FactsOf> {
    // One flow at a time, as classification asks: 20,000 flows' facts built up front all
    // outlive the young generation and are copied into the old one (bench/README.md, "Report").
    const store = this.agg.conversations;
    return (i) => store.takeKey(keys, i * KEY_WORDS);
  }
  readonly peek = (key: Uint32Array): FlowFacts | null => this.agg.conversations.peekKey(key);
  async terminate(): Promise<void> {
    this.aggregator = null;
  }
}

/**
 * The main thread's share of the flows beside n workers is 1 / (MAIN_SHARE_BUCKETS × n + 1):
 * it also reads, frames and routes every record, so it was the bottleneck with more. On
 * mixed-2M with one worker (3 alternating runs on 2 cores): the last batch at 1.24–1.27 s
 * with a share of 1/3, 1.11–1.15 s with 1/5, 1.12–1.15 s with 1/7 (and exit 2.05–2.07 s
 * against 2.13–2.17 s for 1/5).
 */
const MAIN_SHARE_BUCKETS = 6;

interface Slot {
  worker: Worker;
  /** Per batch in flight: its input and the byte offset of its first packet, for messages. */
  inflight: { fileIndex: number; offset: number }[];
  onResult: ((r: AggregateResult) => void) | null;
  onTaken: ((answer: Taken) => void) | null;
  /** The worker's conversations after a final drain, row = id: 'taken' then answers with rows. */
  pretaken: ConversationColumns | null;
}

type Taken = Extract<FromWorker, { type: 'taken' }>;

function workerUrl(): URL {
  // Under the test runner this module is TypeScript source; workers run the built JS.
  return import.meta.url.endsWith('.ts') ? new URL('../../dist/pipeline/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);
}

export class WorkerPool implements BatchSink {
  private readonly slots: Slot[] = [];
  private failure: WorkerError | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private finishing = false;
  private readonly router: Router | null;
  /** The flows the main thread keeps (see localShare), aggregated here; dropped by terminate(). */
  private local: BatchAggregator | null;
  private readonly localShare: boolean;
  /** Replays the held first packets workers hand over (factsOfColumns), with their limits. */
  private readonly replays: ConversationStore;

  constructor(
    count: number,
    private readonly buffers: BufferPool,
    maxFlows: number,
    private readonly fileNames: string[],
    private readonly perWorker = 2,
    /** The worker script; tests substitute one that fails on purpose. */
    script: URL = workerUrl(),
    limits: InspectLimits = DEFAULT_INSPECT_LIMITS,
    /** The main thread owns a share of the flows too (instead of idling while workers work). */
    localShare = false,
  ) {
    // The global payload budget is shared out: each owner holds its flows' share.
    const owners = count + (localShare ? 1 : 0);
    const init: WorkerInit = { maxFlows, limits: { ...limits, budgetBytes: Math.floor(limits.budgetBytes / owners) }, format: WIRE_FORMAT };
    this.replays = new ConversationStore(init.limits);
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, { workerData: init });
      const slot: Slot = { worker, inflight: [], onResult: null, onTaken: null, pretaken: null };
      worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      worker.on('error', (err) => this.fail(slot, err.message));
      worker.on('exit', (code) => {
        if (!this.finishing) this.fail(slot, `worker exited with code ${code}`);
      });
      this.slots.push(slot);
    }
    // With a share for the main thread, the flows whose hash falls in the last bucket of
    // MAIN_SHARE_BUCKETS × count + 1 stay here: the main thread also reads and routes.
    this.localShare = localShare;
    this.local = localShare ? new BatchAggregator(maxFlows, undefined, { ...limits, budgetBytes: Math.floor(limits.budgetBytes / (count + 1)) }) : null;
    this.router = count > 1 || localShare ? new Router(count, localShare ? MAIN_SHARE_BUCKETS * count + 1 : count, localShare, buffers) : null;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'done' || m.type === 'shared-done') {
      slot.inflight.shift();
      batchDone();
      if (m.type === 'done') this.buffers.release({ data: m.data, index: m.index });
      else this.untrack(m.id);
      const w = this.waiters.shift();
      w?.resolve();
    } else if (m.type === 'result') {
      slot.onResult?.(m.result);
    } else if (m.type === 'pretaken') {
      slot.pretaken = m.columns;
    } else if (m.type === 'taken') {
      slot.onTaken?.(m);
    } else this.fail(slot, m.message);
  }

  private fail(slot: Slot, message: string): void {
    if (this.failure !== null) return;
    const at = slot.inflight[0];
    const where = at ? `${this.fileNames[at.fileIndex] ?? 'input'}: batch from the packet at byte offset ${at.offset}: ` : '';
    this.failure = new WorkerError(`${where}decode worker failed: ${message}`);
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
    for (const s of this.slots) {
      s.onResult?.(null as never);
      s.onTaken?.(null as never);
    }
    void this.terminate();
  }

  async submit(batch: RecordBatch): Promise<void> {
    const shared = isShared(batch.data);
    if (this.router === null) return this.send(this.slots[0], batch, shared ? { route: null, me: 0, id: this.track(batch, 1) } : null);
    const { route, counts } = this.router.route(batch);
    const W = this.slots.length;
    // The workers' records go out first, so they work while this thread does its share.
    let id = -1;
    if (shared) {
      // Every owner reads the one batch in shared memory (no copy); it goes back to the
      // pool when the last of them is done. This thread holds one reference while it sends
      // and does its own share.
      let owners = 1;
      for (let w = 0; w < W; w++) if (counts[w] > 0) owners++;
      id = this.track(batch, owners);
      for (let w = 0; w < W; w++) if (counts[w] > 0) await this.send(this.slots[w], batch, { route, me: w, id });
    } else {
      const parts = this.router.split(batch, route, counts);
      for (let w = 0; w < parts.length; w++) {
        const part = parts[w];
        // (the parts come from the session's pool: in shared memory when it is a shared one)
        if (part !== null) await this.send(this.slots[w], part, isShared(part.data) ? { route: null, me: 0, id: this.track(part, 1) } : null);
      }
    }
    if (this.local !== null && counts[W] > 0) {
      this.local.add(batch, route, W);
      batchDone();
    }
    if (shared) this.untrack(id);
    else this.buffers.release(batch);
  }

  /** Shared batches in flight: id → the batch and the owners not done with it yet. */
  private readonly sharedBatches = new Map<number, { batch: RecordBatch; left: number }>();
  private nextShared = 0;

  private track(batch: RecordBatch, owners: number): number {
    const id = this.nextShared++;
    this.sharedBatches.set(id, { batch, left: owners });
    return id;
  }

  /** One owner is done with shared batch `id`; the last one hands its buffers back. */
  private untrack(id: number): void {
    const t = this.sharedBatches.get(id);
    if (t === undefined || --t.left > 0) return;
    this.sharedBatches.delete(id);
    this.buffers.release(t.batch);
  }

  /**
   * Sends a batch to one worker once it has room (at most perWorker in flight): transferred,
   * or, `shared`, in shared memory with the records it owns.
   */
  private async send(slot: Slot, batch: RecordBatch, shared: { route: Uint8Array | null; me: number; id: number } | null): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (slot.inflight.length < this.perWorker) {
        slot.inflight.push(recordOrigin(batch, 0));
        if (shared !== null) {
          const msg: ToWorker = { type: 'shared', batch, route: shared.route, me: shared.me, id: shared.id };
          slot.worker.postMessage(msg);
          return;
        }
        const msg: ToWorker = { type: 'batch', batch };
        const transfer: ArrayBuffer[] = [batch.data, batch.index];
        if (batch.seqs !== undefined) transfer.push(batch.seqs.buffer as ArrayBuffer);
        slot.worker.postMessage(msg, transfer);
        return;
      }
      await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
  }

  /**
   * Sends `msg` to every worker and waits for each one's answer (`hook` is where the
   * answer arrives). Each worker handles its messages in order, so its answer covers every
   * batch submitted to it before.
   */
  private askAll<T>(msg: ToWorker, hook: 'onResult' | 'onTaken'): Promise<T[]> {
    return Promise.all(
      this.slots.map(
        (s) =>
          new Promise<T>((resolve, reject) => {
            (s[hook] as ((answer: T) => void) | null) = (answer: T) => {
              s[hook] = null;
              if (this.failure) reject(this.failure);
              else resolve(answer);
            };
            s.worker.postMessage(msg);
          }),
      ),
    );
  }

  async drain(final = false): Promise<AggregateResult[]> {
    if (this.failure) throw this.failure;
    const results = await this.askAll<AggregateResult>({ type: 'drain', final }, 'onResult');
    if (this.local !== null) results.push(this.local.drain(final));
    return results;
  }

  async take(keys: Uint32Array): Promise<FactsOf> {
    if (this.failure) throw this.failure;
    // Each flow lives with one owner: the others answer "none" for it.
    const answers = await this.askAll<Taken>({ type: 'take', keys }, 'onTaken');
    this.local?.forget(keys);
    const n = keys.length / KEY_WORDS;
    // Each answer's columns and flow i's row there (after a final drain, the columns came before).
    const columns = answers.map((a, w) => a.columns ?? this.slots[w].pretaken!);
    const owner = new Int16Array(n).fill(-1);
    for (let a = 0; a < answers.length; a++) {
      const r = answers[a].rows;
      const present = columns[a].present;
      for (let i = 0; i < n; i++) if ((r === null ? present[i] : r[i] >= 0 ? present[r[i]] : 0) !== 0) owner[i] = a;
    }
    const handed = columns.map((c, a) => {
      const f = factsOfColumns(c, this.replays);
      const r = answers[a].rows;
      return r === null ? f : (i: number) => f(r[i]);
    });
    // This thread's own flows, like inline: taken one at a time, as classification asks.
    const store = this.local?.conversations ?? null;
    return (i) => (owner[i] >= 0 ? handed[owner[i]](i) : store === null ? null : store.takeKey(keys, i * KEY_WORDS));
  }

  async terminate(): Promise<void> {
    this.finishing = true;
    // What the flows' facts were taken from goes now, not when the pool does.
    this.local = null;
    for (const s of this.slots) s.pretaken = null;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/**
 * Splits batches by flow: each record is decoded to find its flow, and the flow's hash
 * picks one of `buckets` buckets: with a share for the main thread (`local`) the last
 * bucket stays here, and bucket b of the others goes to worker b mod workers. route()
 * gives each record's owner. A batch in shared memory goes to every owner as it is, with
 * the route; otherwise split() copies each worker's records, with their global record
 * numbers, into a part of its own.
 */
class Router {
  private readonly pf = newPacketFields();

  constructor(
    private readonly workers: number,
    private readonly buckets: number,
    private readonly local: boolean,
    private readonly buffers: BufferPool,
  ) {}

  /** Each record's owner (worker 0..W-1, or W: this thread's share) and the records per owner. */
  route(batch: RecordBatch): { route: Uint8Array; counts: Int32Array } {
    const n = batch.count;
    const src = new Uint8Array(batch.data);
    const dv = new DataView(batch.data);
    const idx = new Uint32Array(batch.index, 0, n * REC_WORDS);
    const route = new Uint8Array(n);
    const counts = new Int32Array(this.workers + 1);
    const pf = this.pf;
    const W = this.workers;
    const buckets = this.buckets;
    const local = this.local;
    for (let r = 0; r < n; r++) {
      const o = r * REC_WORDS;
      const st = decodeRecord(pf, src, dv, idx[o + REC_OFFSET], idx[o + REC_CAPLEN], idx[o + REC_ORIGLEN], idx[o + REC_LINKTYPE]);
      // Undecodable records carry no flow: the first owner counts them. The bucket is the
      // hash's top 16 bits scaled (buckets < 65,536): a uint32 `%` is a floating-point
      // modulo in V8 (mixed-300k: route 134 → 121 ms CPU, the decode in it 100 ms).
      const b = st === R_OK ? ((flowRoute(pf) >>> 16) * buckets) >>> 16 : 0;
      const w = local && b === buckets - 1 ? W : b % W;
      route[r] = w;
      counts[w]++;
    }
    return { route, counts };
  }

  /** One part per worker (null when it gets no record): copies of its records, for a batch that is not shared. */
  split(batch: RecordBatch, route: Uint8Array, counts: Int32Array): (RecordBatch | null)[] {
    const n = batch.count;
    const src = new Uint8Array(batch.data);
    const idx = new Uint32Array(batch.index, 0, n * REC_WORDS);
    const W = this.workers;
    const parts: (RecordBatch | null)[] = [];
    const given = batch.seqs;
    for (let w = 0; w < W; w++) {
      if (counts[w] === 0) {
        parts.push(null);
        continue;
      }
      const b = this.buffers.acquire();
      const data = new Uint8Array(b.data);
      const index = new Uint32Array(b.index);
      const seqs = new Float64Array(counts[w]);
      let bytes = 0;
      let k = 0;
      // the part's first record (counts[w] > 0: there is one), for where it lies in its input
      const first = route.indexOf(w);
      for (let r = first; r < n; r++) {
        if (route[r] !== w) continue;
        const o = r * REC_WORDS;
        const len = idx[o + REC_CAPLEN];
        const off = idx[o + REC_OFFSET];
        data.set(src.subarray(off, off + len), bytes);
        const d = k * REC_WORDS;
        for (let j = 0; j < REC_WORDS; j++) index[d + j] = idx[o + j];
        index[d + REC_OFFSET] = bytes;
        // a filtered or deduplicated batch carries its records' numbers
        seqs[k++] = given === undefined ? batch.seqBase + r : given[r];
        bytes += len;
      }
      // the part's first record lands at offset 0: the part is placed where it lies in its input
      const origin = recordOrigin(batch, first);
      parts.push({ data: b.data, index: b.index, count: k, seqBase: batch.seqBase, fileIndex: origin.fileIndex, fileOffset: origin.offset, seqs });
    }
    return parts;
  }
}

/** A hash of a decoded packet's flow that is the same in both directions. */
export function flowRoute(pf: Uint32Array): number {
  // The same fields as the flow key (flow/table.ts): L2 frames have no ports.
  const l2 = pf[F_KIND] === KIND_L2;
  let h = Math.imul(pf[F_KIND] ^ (pf[F_PROTO] << 8), 0x9e3779b1);
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ (pf[F_SRC + i] ^ pf[F_DST + i]), 0x85ebca6b);
  h = Math.imul(h ^ (l2 ? pf[F_ETHERTYPE] : pf[F_SPORT] ^ pf[F_DPORT]), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

