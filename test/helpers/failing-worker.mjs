// A stand-in decode worker for the failure tests: hands the first batch back, then fails
// the way PANTAP_FAIL_MODE says (throw inside the handler, or exit the thread).
import { parentPort } from 'node:worker_threads';

let batches = 0;
parentPort.on('message', (msg) => {
  if (msg.type !== 'batch') return;
  batches++;
  if (batches === 1) {
    parentPort.postMessage({ type: 'done', data: msg.batch.data, index: msg.batch.index }, [msg.batch.data, msg.batch.index]);
    return;
  }
  if (process.env.PANTAP_FAIL_MODE === 'exit') process.exit(7);
  throw new Error('boom in the decoder');
});
