// A decode worker from another build refuses to work: its results would be read at the
// wrong offsets (a long-lived process that outlives an upgrade loads the new worker script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INSPECT_LIMITS } from '../../src/flow/conversation.js';
import { WIRE_FORMAT, type FromWorker, type WorkerInit } from '../../src/pipeline/messages.js';

const SCRIPT = new URL('../../dist/pipeline/worker.js', import.meta.url);

function firstMessage(format: string): Promise<FromWorker | 'silent'> {
  const init: WorkerInit = { maxFlows: 10, limits: DEFAULT_INSPECT_LIMITS, format };
  const w = new Worker(SCRIPT, { workerData: init });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      void w.terminate();
      resolve('silent');
    }, 1500);
    w.once('message', (m: FromWorker) => {
      clearTimeout(timer);
      void w.terminate();
      resolve(m);
    });
  });
}

describe('worker format check', () => {
  const missing = existsSync(fileURLToPath(SCRIPT)) ? null : 'dist/ is not built (npm run build)';
  it.skipIf(missing !== null)(`a worker given another build's format fails at once, naming the cause${missing ? ` (skipped: ${missing})` : ''}`, async () => {
    const m = await firstMessage('table 0/0/0; something else');
    expect(m).toMatchObject({ type: 'failed' });
    expect((m as { message: string }).message).toContain('another build of pantap');
  });
  it.skipIf(missing !== null)(`a worker of the same build stays quiet until it is sent work${missing ? ` (skipped: ${missing})` : ''}`, async () => {
    expect(await firstMessage(WIRE_FORMAT)).toBe('silent');
  });
});
