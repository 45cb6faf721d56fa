// Messages between the main thread and decode workers.
import type { RecordBatch } from '../capture/records.js';
import type { AggregateResult } from './aggregate.js';

export interface WorkerInit {
  maxFlows: number;
}

/** 'drain' asks for everything aggregated since the last drain (AggregateResult). */
export type ToWorker = { type: 'batch'; batch: RecordBatch } | { type: 'drain' };

export type FromWorker =
  | { type: 'done'; data: ArrayBuffer; index: ArrayBuffer }
  | { type: 'result'; result: AggregateResult }
  | { type: 'failed'; message: string };
