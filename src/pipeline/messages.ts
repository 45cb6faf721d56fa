// Messages between the main thread and decode workers.
import type { RecordBatch } from '../capture/records.js';
import { COLUMNS_FORMAT, type ConversationColumns } from '../flow/conversation-columns.js';
import { TABLE_FORMAT } from '../flow/table.js';
import { REASON_COUNT } from '../decode/fields.js';
import type { InspectLimits } from '../flow/conversation.js';
import type { AggregateResult } from './aggregate.js';

export interface WorkerInit {
  maxFlows: number;
  limits: InspectLimits;
  /** WIRE_FORMAT of the main thread's build: a worker from another build refuses to start. */
  format: string;
}

/**
 * What the results a worker hands over are laid out as. A worker script is loaded from disk
 * when a session starts: after an upgrade a long-lived process could run a newer worker
 * whose results it would read at the wrong offsets.
 */
export const WIRE_FORMAT = `${TABLE_FORMAT}; ${COLUMNS_FORMAT}; decode ${REASON_COUNT}`;

/**
 * 'drain' asks for everything aggregated since the last drain (AggregateResult); 'take'
 * for the conversations of the flows whose keys are packed in `keys`, as columns.
 */
export type ToWorker =
  | { type: 'batch'; batch: RecordBatch }
  /** A batch in shared memory: aggregate the records whose owner in `route` is `me`, answer 'shared-done' with `id`. */
  | { type: 'shared'; batch: RecordBatch; route: Uint8Array | null; me: number; id: number }
  /** `final`: the end of the run; the worker then builds its conversations' columns at once ('pretaken'). */
  | { type: 'drain'; final: boolean }
  | { type: 'take'; keys: Uint32Array };

export type FromWorker =
  | { type: 'done'; data: ArrayBuffer; index: ArrayBuffer }
  | { type: 'shared-done'; id: number }
  | { type: 'result'; result: AggregateResult }
  /** Every conversation, row = its id, after a final drain; 'taken' answers then give rows. */
  | { type: 'pretaken'; columns: ConversationColumns }
  /** The flows asked for as columns; after 'pretaken', their rows there (-1: none) instead. */
  | { type: 'taken'; columns: ConversationColumns | null; rows: Int32Array | null }
  | { type: 'failed'; message: string };
