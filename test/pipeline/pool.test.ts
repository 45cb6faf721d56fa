// Worker failures end the run with one line naming the file and the batch's byte offset;
// nothing hangs and no worker is left running.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import { WorkerError } from '../../src/errors.js';
import { WorkerPool } from '../../src/pipeline/pool.js';
import { REPO } from '../helpers/shared.js';

const FILE = resolve(REPO, 'fixtures/pan-lab/a03_panorama.pcap');
const SCRIPT = new URL('../helpers/failing-worker.mjs', import.meta.url);

async function runWith(mode: string): Promise<unknown> {
  process.env.PANTAP_FAIL_MODE = mode;
  const buffers = new BufferPool(8192, 256); // many small batches
  const pool = new WorkerPool(1, buffers, 1000, ['a03_panorama.pcap'], 2, SCRIPT);
  try {
    await readCapture(FILE, { fileIndex: 0, seqBase: 0, pool: buffers, submit: (b) => pool.submit(b) });
    await pool.finish();
    return null;
  } catch (err) {
    return err;
  } finally {
    await pool.terminate();
    delete process.env.PANTAP_FAIL_MODE;
  }
}

describe('WorkerPool failures', () => {
  it('a worker that throws fails the run with the file and the batch offset', async () => {
    const err = await runWith('throw');
    expect(err).toBeInstanceOf(WorkerError);
    expect((err as Error).message).toMatch(/^a03_panorama\.pcap: batch at byte offset \d+: decode worker failed: .*boom in the decoder/);
  });

  it('a worker that exits fails the run the same way', async () => {
    const err = await runWith('exit');
    expect(err).toBeInstanceOf(WorkerError);
    expect((err as Error).message).toMatch(/^a03_panorama\.pcap: batch at byte offset \d+: decode worker failed: worker exited with code 7/);
  });
});
