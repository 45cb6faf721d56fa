// Messages between the main thread and decode workers.
import type { RecordBatch } from '../capture/records.js';
import type { ConversationColumns } from '../flow/conversation-columns.js';
import type { InspectLimits } from '../flow/conversation.js';
import type { AggregateResult } from './aggregate.js';

export interface WorkerInit {
  maxFlows: number;
  limits: InspectLimits;
}

/**
 * 'drain' asks for everything aggregated since the last drain (AggregateResult); 'take'
 * for the conversation facts of the flows whose keys are packed in `keys`.
 */
export type ToWorker = { type: 'batch'; batch: RecordBatch } | { type: 'drain' } | { type: 'take'; keys: Uint32Array };

export type FromWorker =
  | { type: 'done'; data: ArrayBuffer; index: ArrayBuffer }
  | { type: 'result'; result: AggregateResult }
  | { type: 'taken'; columns: ConversationColumns }
  | { type: 'failed'; message: string };
