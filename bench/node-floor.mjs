#!/usr/bin/env node
// The floor for any Node.js program on this file: read it and step over its pcap records,
// decoding nothing (one payload byte is read per record so the walk cannot be skipped).
// bench/compare.mjs runs it beside the other tools, and bench/run.mjs prints, for each
// speed target, the best ratio that this floor itself would reach: what stands in the
// way of a target before pantap does any work.
//
//   node bench/node-floor.mjs FILE              one thread: readSync into one 4 MiB buffer
//   node bench/node-floor.mjs FILE --threads 2  a worker reads into a ring of shared
//                                               slots while the main thread walks them
import { closeSync, openSync, readSync } from 'node:fs';
import { Worker, isMainThread, workerData } from 'node:worker_threads';

const CHUNK = 4 << 20;
const SLOTS = 4;

/** Walks classic pcap records across chunks; `hdr` holds a record header split between two. */
function walker() {
  const hdr = new Uint8Array(16);
  const dv = new DataView(hdr.buffer);
  let little = true;
  let skip = 0; // bytes of the current record (or of the file header) still to step over
  let fill = 0; // bytes of the next record header gathered so far
  let started = false;
  const state = { records: 0, sum: 0 };
  state.walk = (u8, o, end) => {
    if (!started) {
      if (end - o < 24) throw new Error('not a classic pcap file (shorter than its header)');
      const magic = u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24);
      if (magic === (0xa1b2c3d4 | 0) || magic === (0xa1b23c4d | 0)) little = true;
      else if (magic === (0xd4c3b2a1 | 0) || magic === (0x4d3cb2a1 | 0)) little = false;
      else throw new Error('not a classic pcap file (pcapng and gzip are not walked)');
      started = true;
      skip = 24;
    }
    while (o < end) {
      if (skip > 0) {
        const k = Math.min(skip, end - o);
        skip -= k;
        o += k;
        continue;
      }
      const k = Math.min(16 - fill, end - o);
      for (let j = 0; j < k; j++) hdr[fill + j] = u8[o + j];
      fill += k;
      o += k;
      if (fill < 16) break;
      state.records++;
      if (o < end) state.sum += u8[o];
      skip = dv.getUint32(8, little);
      fill = 0;
    }
  };
  return state;
}

function oneThread(file) {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafeSlow(CHUNK);
  const w = walker();
  for (;;) {
    const got = readSync(fd, buf, 0, CHUNK, null);
    if (got === 0) break;
    w.walk(buf, 0, got);
  }
  closeSync(fd);
  return w;
}

// Slot states in ctl[0..SLOTS): 0 free (the reader may fill it), 1 full; ctl[SLOTS + s] is
// the byte count read into slot s (0: the end of the file).
async function twoThreads(file) {
  const data = new SharedArrayBuffer(CHUNK * SLOTS);
  const ctl = new SharedArrayBuffer(4 * 2 * SLOTS);
  const st = new Int32Array(ctl);
  const u8 = new Uint8Array(data);
  const reader = new Worker(new URL(import.meta.url), { workerData: { file, data, ctl } });
  const failed = new Promise((_, reject) => reader.once('error', reject));
  const w = walker();
  for (let i = 0; ; i++) {
    const s = i % SLOTS;
    while (Atomics.load(st, s) !== 1) {
      const r = await Promise.race([Atomics.waitAsync(st, s, 0, 1000).value, failed]);
      void r;
    }
    const got = st[SLOTS + s];
    if (got === 0) break;
    w.walk(u8, s * CHUNK, s * CHUNK + got);
    Atomics.store(st, s, 0);
    Atomics.notify(st, s);
  }
  await new Promise((resolve) => reader.once('exit', resolve));
  return w;
}

function readerThread({ file, data, ctl }) {
  const st = new Int32Array(ctl);
  const u8 = new Uint8Array(data);
  const fd = openSync(file, 'r');
  for (let i = 0; ; i++) {
    const s = i % SLOTS;
    while (Atomics.load(st, s) !== 0) Atomics.wait(st, s, 1);
    const got = readSync(fd, u8, s * CHUNK, CHUNK, null);
    st[SLOTS + s] = got;
    Atomics.store(st, s, 1);
    Atomics.notify(st, s);
    if (got === 0) break;
  }
  closeSync(fd);
}

if (!isMainThread) {
  readerThread(workerData);
} else {
  const [file, flag, n] = process.argv.slice(2);
  if (!file || (flag && (flag !== '--threads' || !['1', '2'].includes(n)))) {
    console.error('usage: node bench/node-floor.mjs FILE [--threads 1|2]');
    process.exit(64);
  }
  try {
    const w = n === '2' ? await twoThreads(file) : oneThread(file);
    console.log(`${w.records} records`);
  } catch (err) {
    console.error(`node-floor: ${file}: ${err.message}`);
    process.exit(1);
  }
}
