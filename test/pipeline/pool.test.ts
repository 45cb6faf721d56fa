// Worker failures end the run with one line naming the file and the batch's byte offset;
// nothing hangs and no worker is left running.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import { recordOrigin } from '../../src/capture/records.js';
import { WorkerError } from '../../src/errors.js';
import { mergeStats } from '../../src/decode/stats.js';
import { FlowTable, KEY_WORDS } from '../../src/flow/table.js';
import { InlineSink, WorkerPool, type BatchSink } from '../../src/pipeline/pool.js';
import { dumpFlows } from '../helpers/flows.js';
import { REPO } from '../helpers/shared.js';

const FILE = resolve(REPO, 'fixtures/pan-lab/a03_panorama.pcap');
const SCRIPT = new URL('../helpers/failing-worker.mjs', import.meta.url);

/** The byte offset of each batch's first packet when FILE is read in runWith()'s batches. */
async function batchPacketOffsets(): Promise<number[]> {
  const buffers = new BufferPool(8192, 256);
  const at: number[] = [];
  await readCapture(FILE, {
    fileIndex: 0,
    seqBase: 0,
    pool: buffers,
    submit: (b) => {
      at.push(recordOrigin(b, 0).offset);
      buffers.release(b);
    },
  });
  return at;
}

async function runWith(mode: string): Promise<unknown> {
  process.env.PANTAP_FAIL_MODE = mode;
  const buffers = new BufferPool(8192, 256); // many small batches
  const pool = new WorkerPool(1, buffers, 1000, ['a03_panorama.pcap'], 2, SCRIPT);
  try {
    await readCapture(FILE, { fileIndex: 0, seqBase: 0, pool: buffers, submit: (b) => pool.submit(b) });
    await pool.drain();
    return null;
  } catch (err) {
    return err;
  } finally {
    await pool.terminate();
    delete process.env.PANTAP_FAIL_MODE;
  }
}

describe('WorkerPool failures', () => {
  // The stand-in fails on the second batch. The message names the oldest batch in flight by its
  // first packet's offset: the second, or the first when the worker's error overtakes its
  // message handing the first back (they travel apart).
  const inFlight = async (): Promise<string> => {
    const [first, second] = await batchPacketOffsets();
    expect(first).toBe(40); // after the 24-byte file header and the 16-byte record header
    expect(second).toBeGreaterThan(8192 / 2);
    return `(${first}|${second})`;
  };

  it('a worker that throws fails the run with the file and the batch offset', async () => {
    const err = await runWith('throw');
    expect(err).toBeInstanceOf(WorkerError);
    expect((err as Error).message).toMatch(new RegExp(`^a03_panorama\\.pcap: batch from the packet at byte offset ${await inFlight()}: decode worker failed: .*boom in the decoder`));
  });

  it('a worker that exits fails the run the same way', async () => {
    const err = await runWith('exit');
    expect(err).toBeInstanceOf(WorkerError);
    expect((err as Error).message).toMatch(new RegExp(`^a03_panorama\\.pcap: batch from the packet at byte offset ${await inFlight()}: decode worker failed: worker exited with code 7$`));
  });
});

/** Counts buffers out of the pool: acquired and not yet released. */
class CountingPool extends BufferPool {
  out = 0;
  acquired = 0;
  override acquire() {
    this.out++;
    this.acquired++;
    return super.acquire();
  }
  override release(b: Parameters<BufferPool['release']>[0]) {
    this.out--;
    super.release(b);
  }
}

describe('drain', () => {
  /** Reads FILE into `sink`, draining after `cut` batches and at the end; merges every drain into one table. */
  async function readAndDrain(sink: BatchSink, buffers: BufferPool, table: FlowTable, cut: number) {
    const parts = [];
    let n = 0;
    await readCapture(FILE, {
      fileIndex: 0,
      seqBase: 0,
      pool: buffers,
      submit: async (b) => {
        await sink.submit(b);
        if (++n === cut) parts.push(...(await sink.drain()));
      },
    });
    parts.push(...(await sink.drain()));
    // a drain with nothing new hands over nothing
    const empty = await sink.drain();
    expect(empty.every((p) => p.stats.packets === 0 && (p.flows?.count ?? 0) === 0 && p.fragments.firstCount + p.fragments.laterCount === 0)).toBe(true);
    await sink.terminate();
    for (const p of parts) if (p.flows !== null) table.merge(p.flows);
    return { stats: mergeStats(parts.map((p) => p.stats)), table, batches: n };
  }

  it('workers drain any number of times: the drains add up to the inline result', async () => {
    const inlineBuffers = new BufferPool(8192, 256);
    const inlineTable = new FlowTable(1000);
    const inline = await readAndDrain(new InlineSink(inlineBuffers, inlineTable), inlineBuffers, inlineTable, Infinity);
    expect(inline.batches).toBeGreaterThan(4);
    expect(inline.table.size).toBeGreaterThan(0);
    for (const workers of [1, 2]) {
      for (const shared of [false, true]) {
        for (const mainShare of [false, true]) {
          const buffers = new CountingPool(8192, 256, shared);
          const pool = new WorkerPool(workers, buffers, 1000, ['a03_panorama.pcap'], 2, undefined, undefined, mainShare);
          const got = await readAndDrain(pool, buffers, new FlowTable(1000), 3);
          expect(got.stats).toEqual(inline.stats);
          expect(dumpFlows(got.table)).toEqual(dumpFlows(inline.table));
          // every batch (shared by several owners, or copied into parts) came back once
          expect(buffers.out).toBe(0);
          expect(buffers.acquired).toBeGreaterThan(4);
        }
      }
    }
  });
});

describe('take', () => {
  /** Plain data with typed arrays as plain arrays, for a deep comparison. */
  const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)));

  /** Every flow's facts of `file` through `sink`: its keys taken in two takes (the second half first), after a drain (`final` or not). */
  async function factsThrough(sink: BatchSink, buffers: BufferPool, file: string, final: boolean, table = new FlowTable(10_000)): Promise<Map<string, unknown>> {
    await readCapture(file, { fileIndex: 0, seqBase: 0, pool: buffers, submit: (b) => sink.submit(b) });
    for (const p of await sink.drain(final)) if (p.flows !== null) table.merge(p.flows);
    const keys = table.snapshot().keys;
    const half = Math.floor(keys.length / KEY_WORDS / 2) * KEY_WORDS;
    const out = new Map<string, unknown>();
    for (const part of [keys.slice(half), keys.slice(0, half)]) {
      const facts = await sink.take(part);
      for (let i = 0; i < part.length / KEY_WORDS; i++) out.set(part.slice(i * KEY_WORDS, (i + 1) * KEY_WORDS).join(','), plain(facts(i)));
    }
    await sink.terminate();
    return out;
  }

  it.each(['fixtures/verdicts/v01_tls_certs.pcap', 'fixtures/verdicts/v04_udp_noreply.pcap', 'fixtures/ha-outage/h01_ha_outage.pcap'])('workers hand over the facts inline gives (%s), also after a final drain', async (name) => {
    const file = resolve(REPO, name);
    const inlineBuffers = new BufferPool(8192, 256);
    const inlineTable = new FlowTable(10_000);
    const inline = await factsThrough(new InlineSink(inlineBuffers, inlineTable), inlineBuffers, file, true, inlineTable);
    expect([...inline.values()].filter((f) => f !== null).length).toBeGreaterThan(1);
    for (const final of [false, true]) {
      for (const mainShare of [false, true]) {
        const buffers = new BufferPool(8192, 256);
        const got = await factsThrough(new WorkerPool(1, buffers, 10_000, [name], 2, undefined, undefined, mainShare), buffers, file, final);
        expect(got, `final ${final}, main share ${mainShare}`).toEqual(inline);
      }
    }
  });
});

describe('the end of a session', () => {
  it('an inline sink lets go of its aggregator when terminated, and is not used after', async () => {
    const buffers = new BufferPool(8192, 256);
    const table = new FlowTable(1000);
    const sink = new InlineSink(buffers, table);
    await readCapture(FILE, { fileIndex: 0, seqBase: 0, pool: buffers, submit: (b) => sink.submit(b) });
    await sink.drain();
    await expect(sink.take(new Uint32Array(KEY_WORDS))).resolves.toBeTypeOf('function');
    await sink.terminate();
    await expect(sink.take(new Uint32Array(KEY_WORDS))).rejects.toThrow('InlineSink: used after terminate()');
  });

  it('a buffer pool given up makes new buffers', () => {
    const buffers = new BufferPool(8192, 256);
    const a = buffers.acquire();
    buffers.release(a);
    expect(buffers.acquire()).toBe(a);
    buffers.release(a);
    buffers.clear();
    expect(buffers.acquire()).not.toBe(a);
  });
});
