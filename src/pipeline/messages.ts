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
 * The messages' types, both ways (checked against ToWorker and FromWorker below). A message
 * whose fields change takes a new name, so that the format below changes with it.
 */
const MESSAGE_TYPES = ['batch', 'shared', 'drain', 'take', 'done', 'shared-done', 'result', 'pretaken', 'taken', 'failed'] as const;
type Listed = (typeof MESSAGE_TYPES)[number];
type Declared = ToWorker['type'] | FromWorker['type'];
/** Compiles only while MESSAGE_TYPES lists every message type and nothing else. */
const MESSAGES_LISTED: [Exclude<Declared, Listed>, Exclude<Listed, Declared>] extends [never, never] ? true : never = true;

/**
 * What the results a worker hands over are laid out as, and the messages it understands. A
 * worker script is loaded from disk when a session starts: after an upgrade a long-lived
 * process could run a newer worker whose results it would read at the wrong offsets, or
 * whose messages it would take for others.
 */
export const WIRE_FORMAT = `${TABLE_FORMAT}; ${COLUMNS_FORMAT}; decode ${REASON_COUNT}; messages ${MESSAGES_LISTED && MESSAGE_TYPES.join(',')}`;

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
