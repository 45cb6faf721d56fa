// How a session spreads aggregation: decode + aggregation inline on the main thread, or on
// worker threads. Batches go over as transferred ArrayBuffers; a bounded number in flight
// per worker gives the source backpressure, and buffers come back to the BufferPool for
// reuse. drain() collects the partial results gathered so far, in any number of rounds.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BufferPool } from '../capture/reader.js';
import type { RecordBatch } from '../capture/records.js';
import { WorkerError } from '../errors.js';
import type { FlowTable } from '../flow/table.js';
import { BatchAggregator, type AggregateResult } from './aggregate.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';

/** Where batches go: a worker pool, or the main thread itself. */
export interface BatchSink {
  submit(batch: RecordBatch): void | Promise<void>;
  /** Waits for every batch submitted so far, then returns what each aggregator gathered since the last drain. */
  drain(): Promise<AggregateResult[]>;
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
  ) {
    this.agg = new BatchAggregator(table.maxFlows, table);
  }
  submit(batch: RecordBatch): void {
    this.agg.add(batch);
    this.buffers.release(batch);
  }
  async drain(): Promise<AggregateResult[]> {
    return [this.agg.drain()];
  }
  async terminate(): Promise<void> {}
}

interface Slot {
  worker: Worker;
  inflight: { fileIndex: number; fileOffset: number }[];
  onResult: ((r: AggregateResult) => void) | null;
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
  /** Batches decoded on the main thread since the last drain. */
  private localSinceDrain = 0;
  /** Batches the main thread decodes itself while every worker is busy (see submit). */
  private readonly local: BatchAggregator;
  /** Batches decoded locally; reported for the benchmark notes. */
  localBatches = 0;

  constructor(
    count: number,
    private readonly buffers: BufferPool,
    maxFlows: number,
    private readonly fileNames: string[],
    private readonly perWorker = 2,
    /** The worker script; tests substitute one that fails on purpose. */
    script: URL = workerUrl(),
    /** Decode on the main thread when all workers are busy, instead of waiting. */
    private readonly helpWhenBusy = true,
  ) {
    this.local = new BatchAggregator(maxFlows);
    const init: WorkerInit = { maxFlows };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, { workerData: init });
      const slot: Slot = { worker, inflight: [], onResult: null };
      worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      worker.on('error', (err) => this.fail(slot, err.message));
      worker.on('exit', (code) => {
        if (!this.finishing) this.fail(slot, `worker exited with code ${code}`);
      });
      this.slots.push(slot);
    }
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'done') {
      slot.inflight.shift();
      this.buffers.release({ data: m.data, index: m.index });
      const w = this.waiters.shift();
      w?.resolve();
    } else if (m.type === 'result') {
      slot.onResult?.(m.result);
    } else this.fail(slot, m.message);
  }

  private fail(slot: Slot, message: string): void {
    if (this.failure !== null) return;
    const at = slot.inflight[0];
    const where = at ? `${this.fileNames[at.fileIndex] ?? 'input'}: batch at byte offset ${at.fileOffset}: ` : '';
    this.failure = new WorkerError(`${where}decode worker failed: ${message}`);
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
    for (const s of this.slots) s.onResult?.(null as never);
    void this.terminate();
  }

  async submit(batch: RecordBatch): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      let best: Slot | null = null;
      for (const s of this.slots) if (s.inflight.length < this.perWorker && (best === null || s.inflight.length < best.inflight.length)) best = s;
      if (best !== null) {
        best.inflight.push({ fileIndex: batch.fileIndex, fileOffset: batch.fileOffset });
        const msg: ToWorker = { type: 'batch', batch };
        best.worker.postMessage(msg, [batch.data, batch.index]);
        return;
      }
      if (this.helpWhenBusy) {
        // Every worker has its queue full: rather than idle until one frees up, the reader
        // decodes this batch itself. Partial tables merge exactly, so the output does not
        // depend on which thread decoded what.
        this.local.add(batch);
        this.buffers.release(batch);
        this.localBatches++;
        this.localSinceDrain++;
        return;
      }
      await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
  }

  async drain(): Promise<AggregateResult[]> {
    if (this.failure) throw this.failure;
    // Each worker handles its messages in order, so its reply to 'drain' covers every batch
    // submitted to it before.
    const results = await Promise.all(
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
    if (this.localSinceDrain > 0) {
      results.push(this.local.drain());
      this.localSinceDrain = 0;
    }
    return results;
  }

  async terminate(): Promise<void> {
    this.finishing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
