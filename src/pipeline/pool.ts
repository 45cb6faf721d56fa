// How a session spreads aggregation: decode + aggregation inline on the main thread, or on
// worker threads. Batches go over as transferred ArrayBuffers; a bounded number in flight
// per worker gives the source backpressure, and buffers come back to the BufferPool for
// reuse. drain() collects the partial results gathered so far, in any number of rounds.
//
// Every packet of a flow goes to the same worker, in capture order: TCP health and payload
// reassembly depend on the order of a flow's packets. With one worker that is given; with
// more, the main thread decodes each record once more to route it by a symmetric hash of
// its addresses, protocol and ports (ICMP errors by the flow they quote), and copies it
// into that worker's part of the batch with its global record number.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BufferPool } from '../capture/reader.js';
import { REC_CAPLEN, REC_LINKTYPE, REC_OFFSET, REC_ORIGLEN, REC_WORDS, type RecordBatch } from '../capture/records.js';
import { F_DPORT, F_DST, F_ETHERTYPE, F_KIND, F_PROTO, F_SPORT, F_SRC, KIND_L2, R_OK, newPacketFields } from '../decode/fields.js';
import { decodeRecord } from '../decode/link.js';
import { DEFAULT_INSPECT_LIMITS, type ConversationFacts, type InspectLimits } from '../flow/conversation.js';
import { WorkerError } from '../errors.js';
import type { FlowTable } from '../flow/table.js';
import { BatchAggregator, takeConversations, type AggregateResult } from './aggregate.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';

/** Where batches go: a worker pool, or the main thread itself. */
export interface BatchSink {
  submit(batch: RecordBatch): void | Promise<void>;
  /** Waits for every batch submitted so far, then returns what each aggregator gathered since the last drain. */
  drain(): Promise<AggregateResult[]>;
  /**
   * The conversation facts of the flows whose keys are packed in `keys` (KEY_WORDS each), in
   * that order (null: no conversation); they are forgotten. Call after drain().
   */
  take(keys: Uint32Array): Promise<(ConversationFacts | null)[]>;
  /**
   * The facts so far of a flow still active, left as they are, when the sink can tell at
   * once (inline); undefined when it cannot (workers answer by message).
   */
  readonly peek?: (key: Uint32Array) => ConversationFacts | null;
  /** Stops everything at once (the end, errors, Ctrl-C). */
  terminate(): Promise<void>;
}

/**
 * Default worker count. The reader keeps one thread busy, so on a 2-core machine one
 * worker beats two (three busy threads on two cores), as measured in bench/README.md.
 */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Aggregates on the main thread straight into the session's table (nothing to merge). */
export class InlineSink implements BatchSink {
  private readonly agg: BatchAggregator;
  constructor(
    private readonly buffers: BufferPool,
    table: FlowTable,
    limits: InspectLimits = DEFAULT_INSPECT_LIMITS,
  ) {
    this.agg = new BatchAggregator(table.maxFlows, table, limits);
  }
  submit(batch: RecordBatch): void {
    this.agg.add(batch);
    this.buffers.release(batch);
  }
  async drain(): Promise<AggregateResult[]> {
    return [this.agg.drain()];
  }
  async take(keys: Uint32Array): Promise<(ConversationFacts | null)[]> {
    return takeConversations(this.agg.conversations, keys);
  }
  readonly peek = (key: Uint32Array): ConversationFacts | null => this.agg.conversations.peekKey(key);
  async terminate(): Promise<void> {}
}

interface Slot {
  worker: Worker;
  inflight: { fileIndex: number; fileOffset: number }[];
  onResult: ((r: AggregateResult) => void) | null;
  onTaken: ((facts: (ConversationFacts | null)[]) => void) | null;
}

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

  constructor(
    count: number,
    private readonly buffers: BufferPool,
    maxFlows: number,
    private readonly fileNames: string[],
    private readonly perWorker = 2,
    /** The worker script; tests substitute one that fails on purpose. */
    script: URL = workerUrl(),
    limits: InspectLimits = DEFAULT_INSPECT_LIMITS,
  ) {
    // The global payload budget is shared out: each worker holds its flows' share.
    const init: WorkerInit = { maxFlows, limits: { ...limits, budgetBytes: Math.floor(limits.budgetBytes / count) } };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, { workerData: init });
      const slot: Slot = { worker, inflight: [], onResult: null, onTaken: null };
      worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      worker.on('error', (err) => this.fail(slot, err.message));
      worker.on('exit', (code) => {
        if (!this.finishing) this.fail(slot, `worker exited with code ${code}`);
      });
      this.slots.push(slot);
    }
    this.router = count > 1 ? new Router(count, buffers) : null;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'done') {
      slot.inflight.shift();
      this.buffers.release({ data: m.data, index: m.index });
      const w = this.waiters.shift();
      w?.resolve();
    } else if (m.type === 'result') {
      slot.onResult?.(m.result);
    } else if (m.type === 'taken') {
      slot.onTaken?.(m.facts);
    } else this.fail(slot, m.message);
  }

  private fail(slot: Slot, message: string): void {
    if (this.failure !== null) return;
    const at = slot.inflight[0];
    const where = at ? `${this.fileNames[at.fileIndex] ?? 'input'}: batch at byte offset ${at.fileOffset}: ` : '';
    this.failure = new WorkerError(`${where}decode worker failed: ${message}`);
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
    for (const s of this.slots) {
      s.onResult?.(null as never);
      s.onTaken?.(null as never);
    }
    void this.terminate();
  }

  async submit(batch: RecordBatch): Promise<void> {
    if (this.router === null) return this.send(this.slots[0], batch);
    const parts = this.router.split(batch);
    for (let w = 0; w < parts.length; w++) {
      const part = parts[w];
      if (part !== null) await this.send(this.slots[w], part);
    }
  }

  /** Sends a batch to one worker once it has room (at most perWorker in flight). */
  private async send(slot: Slot, batch: RecordBatch): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (slot.inflight.length < this.perWorker) {
        slot.inflight.push({ fileIndex: batch.fileIndex, fileOffset: batch.fileOffset });
        const msg: ToWorker = { type: 'batch', batch };
        const transfer: ArrayBuffer[] = [batch.data, batch.index];
        if (batch.seqs !== undefined) transfer.push(batch.seqs.buffer as ArrayBuffer);
        slot.worker.postMessage(msg, transfer);
        return;
      }
      await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
  }

  async drain(): Promise<AggregateResult[]> {
    if (this.failure) throw this.failure;
    // Each worker handles its messages in order, so its reply to 'drain' covers every batch
    // submitted to it before.
    return Promise.all(
      this.slots.map(
        (s) =>
          new Promise<AggregateResult>((resolve, reject) => {
            s.onResult = (r) => {
              s.onResult = null;
              if (this.failure) reject(this.failure);
              else resolve(r);
            };
            const msg: ToWorker = { type: 'drain' };
            s.worker.postMessage(msg);
          }),
      ),
    );
  }

  async take(keys: Uint32Array): Promise<(ConversationFacts | null)[]> {
    if (this.failure) throw this.failure;
    // Each flow lives in one worker: the others answer null for it.
    const answers = await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<(ConversationFacts | null)[]>((resolve, reject) => {
            s.onTaken = (facts) => {
              s.onTaken = null;
              if (this.failure) reject(this.failure);
              else resolve(facts);
            };
            const msg: ToWorker = { type: 'take', keys };
            s.worker.postMessage(msg);
          }),
      ),
    );
    const out = answers[0];
    for (let a = 1; a < answers.length; a++) for (let i = 0; i < out.length; i++) if (out[i] === null) out[i] = answers[a][i];
    return out;
  }

  async terminate(): Promise<void> {
    this.finishing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/**
 * Splits batches by flow for several workers: each record is decoded to find its flow and
 * copied, with its global record number, into the part of the worker that owns the flow.
 */
class Router {
  private readonly pf = newPacketFields();

  constructor(
    private readonly count: number,
    private readonly buffers: BufferPool,
  ) {}

  /** One part per worker (null when it gets no record); the batch's buffers go back to the pool. */
  split(batch: RecordBatch): (RecordBatch | null)[] {
    const n = batch.count;
    const src = new Uint8Array(batch.data);
    const dv = new DataView(batch.data);
    const idx = new Uint32Array(batch.index, 0, n * REC_WORDS);
    const route = new Uint8Array(n);
    const counts = new Int32Array(this.count);
    const pf = this.pf;
    for (let r = 0; r < n; r++) {
      const o = r * REC_WORDS;
      const st = decodeRecord(pf, src, dv, idx[o + REC_OFFSET], idx[o + REC_CAPLEN], idx[o + REC_ORIGLEN], idx[o + REC_LINKTYPE]);
      // Undecodable records carry no flow; they are counted by worker 0.
      const w = st === R_OK ? flowRoute(pf) % this.count : 0;
      route[r] = w;
      counts[w]++;
    }
    const parts: (RecordBatch | null)[] = [];
    const at: { data: Uint8Array; index: Uint32Array; seqs: Float64Array; bytes: number; records: number }[] = [];
    const buffers: { data: ArrayBuffer; index: ArrayBuffer }[] = [];
    for (let w = 0; w < this.count; w++) {
      if (counts[w] === 0) {
        parts.push(null);
        at.push(null as never);
        buffers.push(null as never);
        continue;
      }
      const b = this.buffers.acquire();
      buffers.push(b);
      at.push({ data: new Uint8Array(b.data), index: new Uint32Array(b.index), seqs: new Float64Array(counts[w]), bytes: 0, records: 0 });
      parts.push(null);
    }
    for (let r = 0; r < n; r++) {
      const o = r * REC_WORDS;
      const part = at[route[r]];
      const len = idx[o + REC_CAPLEN];
      const off = idx[o + REC_OFFSET];
      part.data.set(src.subarray(off, off + len), part.bytes);
      const d = part.records * REC_WORDS;
      for (let k = 0; k < REC_WORDS; k++) part.index[d + k] = idx[o + k];
      part.index[d + REC_OFFSET] = part.bytes;
      part.seqs[part.records] = batch.seqBase + r;
      part.bytes += len;
      part.records++;
    }
    for (let w = 0; w < this.count; w++) {
      if (counts[w] === 0) continue;
      parts[w] = { data: buffers[w].data, index: buffers[w].index, count: counts[w], seqBase: batch.seqBase, fileIndex: batch.fileIndex, fileOffset: batch.fileOffset, seqs: at[w].seqs };
    }
    this.buffers.release(batch);
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

