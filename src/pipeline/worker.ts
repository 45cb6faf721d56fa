// A decode worker: aggregates the batches it is sent (its records of a shared one) and hands
// each batch's buffers back for reuse ('done'; 'shared-done': it is done reading); on 'drain'
// it returns its partial, direction-neutral flow table (and starts a fresh one), on 'take'
// the conversations of the flows asked for, as columns (after a final drain: their rows in
// the columns it sent then).
import { parentPort, workerData } from 'node:worker_threads';
import { columnBuffers } from '../flow/conversation-columns.js';
import { BatchAggregator } from './aggregate.js';
import { WIRE_FORMAT, type FromWorker, type ToWorker, type WorkerInit } from './messages.js';

const init = workerData as WorkerInit;
const agg = new BatchAggregator(init.maxFlows, undefined, init.limits);
const port = parentPort!;
/** Every conversation went to the session after the final drain ('pretaken'). */
let pretaken = false;
const mismatch = init.format === WIRE_FORMAT ? null : `the worker script is from another build of pantap (its results are laid out as "${WIRE_FORMAT}", the session expects "${init.format}"): restart the process`;
if (mismatch !== null) {
  const reply: FromWorker = { type: 'failed', message: mismatch };
  port.postMessage(reply);
}

port.on('message', (msg: ToWorker) => {
  if (mismatch !== null) return;
  try {
    if (msg.type === 'batch') {
      agg.add(msg.batch);
      const reply: FromWorker = { type: 'done', data: msg.batch.data, index: msg.batch.index };
      port.postMessage(reply, [msg.batch.data, msg.batch.index]);
    } else if (msg.type === 'shared') {
      agg.add(msg.batch, msg.route ?? undefined, msg.me);
      const reply: FromWorker = { type: 'shared-done', id: msg.id };
      port.postMessage(reply);
    } else if (msg.type === 'take') {
      // The conversations as they are kept (TCP blocks, stream bytes, logs) in flat columns:
      // the session builds the facts when it judges each flow.
      if (pretaken) {
        const reply: FromWorker = { type: 'taken', columns: null, rows: agg.conversations.rowsOf(msg.keys) };
        port.postMessage(reply);
      } else {
        agg.forget(msg.keys);
        const columns = agg.conversations.takeColumns(msg.keys);
        const reply: FromWorker = { type: 'taken', columns, rows: null };
        port.postMessage(reply, columnBuffers(columns));
      }
    } else if (msg.type === 'drain') {
      const result = agg.drain(msg.final);
      const reply: FromWorker = { type: 'result', result };
      const f = result.flows!;
      const g = result.fragments;
      port.postMessage(reply, [f.keys.buffer, f.f64.buffer, f.u32.buffer, f.overflowSketch.buffer, g.firstU.buffer, g.firstF.buffer, g.laterU.buffer, g.laterF.buffer] as ArrayBuffer[]);
      if (msg.final && !pretaken) {
        // The end: every flow will be asked for. Their columns are built now, while the
        // session merges the tables, instead of after it asks.
        pretaken = true;
        const columns = agg.conversations.takeAllColumns();
        const pre: FromWorker = { type: 'pretaken', columns };
        port.postMessage(pre, columnBuffers(columns));
      }
    } else throw new Error(`unknown message ${JSON.stringify((msg as { type: unknown }).type)}`);
  } catch (err) {
    const reply: FromWorker = { type: 'failed', message: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});
