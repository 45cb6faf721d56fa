#!/usr/bin/env node
/* global WebAssembly */
// Issue 13: the decoder in WebAssembly against the TypeScript one, over the batches the
// reader makes of a capture (bench/README.md, "The decoder in WebAssembly").
//
//   node bench/wasm-decode.mjs [CAPTURE]      (default bench/data/mixed-2M.pcap)
//     ROUNDS=N  timed passes per variant (default 5), in an order rotated every round
//     WARM=1    decode each batch once untimed before its timed pass (batch in cache)
//     ONLY=a,b  only these variants
//     STREAM=1  read the capture again for every pass and decode each batch as the reader
//               hands it over (the cache state of the inline feed), then release it
// Times: the process's CPU (user + system) and the wall clock, around the decoding only.
//
// The capture is read first with the real reader (pool buffers, read-ahead parts with their
// head room) and every batch kept. Each batch's bytes and index are also placed in one
// WebAssembly memory, as a reader reading straight into it would (untimed): the variants
// "in memory" start from there; the "+copy" ones copy each batch's bytes (and index) from
// the reader's buffers into a scratch area of that memory first, timed.
// Variants (each consumes the status and two fields of every record, so that none is dead):
//   ts          decodeRecord (dist/decode/link.js) per record into a Uint32Array
//   ts+copy     the same after copying the batch's bytes into a JS scratch buffer (the
//               control for the +copy variants: a copy is also a sequential read that
//               brings the batch into cache)
//   one         the wasm decode_one per record (a call from JS each), fields read from a
//               view of the wasm field block
//   one+copy    the same after copying the batch's bytes into wasm memory
//   batch       the wasm decode_batch over the whole batch (rows of 32 words), then each
//               row's 30 fields copied into a JS field block, as the aggregator would need
//   batch+copy  the same after copying the batch's bytes and index into wasm memory
//   one+steps   decode_one after copying the records' bytes 32 KiB at a time into a small
//               area, just before they are decoded (as tried in the aggregator)
//   copy        the copies alone
// Before timing, every record of every batch is checked: status and all 30 words equal
// between the TypeScript decoder and both wasm entry points (the field block is reused
// from record to record in all three, so the slots a path leaves untouched must agree too).
// The module is built from bench/wasm/decode.c at each run: Debian's clang and lld
// (apt-get install clang lld).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));
const load = (p) => import(pathToFileURL(join(here, '..', 'dist', p)).href);
const { readCapture, BufferPool } = await load('capture/reader.js');
const { decodeRecord } = await load('decode/link.js');
const { F_COUNT, F_SRC, F_DPORT } = await load('decode/fields.js');

const file = process.argv[2] ?? join(here, 'data', 'mixed-2M.pcap');
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARM = process.env.WARM === '1';
const STREAM = process.env.STREAM === '1';
/** one+steps: bytes of records copied at a time. */
const STEP_BYTES = 32768;

// 1. The batches, as the reader hands them over (never released: each keeps its buffers).
const batches = [];
const pool = new BufferPool();
await readCapture(file, { fileIndex: 0, seqBase: 0, pool, submit: (b) => void batches.push(b), readAhead: true });
let records = 0;
for (const b of batches) records += b.count;

// 2. The module and its memory: per batch its bytes [first record, last record's end) at
// the same offsets from a base (so the index's offsets hold), then its index; a scratch
// area for the +copy variants (one pool buffer and one full index), and the rows.
// The module imports its memory, made at its full size here: Memory.grow() would detach the
// old buffer, and a detached buffer makes V8 check every typed-array access (src/flow/aligned.ts).
const wasmModule = new WebAssembly.Module(build());
function build() {
  const dir = mkdtempSync(join(tmpdir(), 'pantap-wasm-'));
  try {
    const out = join(dir, 'decode.wasm');
    // The memory is imported (made here at its full size); the field block and a 64 KiB stack lie below 128 KiB.
    const flags = ['--target=wasm32', '-nostdlib', '-O3', '-Wall', '-Wextra', '-Werror', '-Wl,--no-entry', '-Wl,--import-memory'];
    const exports = ['decode_one', 'decode_batch', 'fields', '__heap_base'].map((e) => `-Wl,--export=${e}`);
    execFileSync('clang', [...flags, ...exports, '-o', out, join(here, 'wasm', 'decode.c')], { stdio: ['ignore', 'inherit', 'inherit'] });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const heapBase = 1 << 17; // above the module's statics and 64 KiB stack (checked below)
const align = (x) => Math.ceil(x / 64) * 64;
let at = heapBase;
const place = [];
for (const b of batches) {
  const idx = new Uint32Array(b.index, 0, b.count * 6);
  const last = (b.count - 1) * 6;
  const first = idx[0];
  const end = idx[last] + idx[last + 1];
  const base = at - first; // record offsets count from the buffer's start; store from the first record
  at = align(at + (end - first));
  const ix = at;
  at = align(at + b.count * 24);
  place.push({ base, first, end, ix });
}
const scratch = at;
at = align(at + pool.dataBytes);
const scratchIx = at;
at = align(at + pool.maxRecords * 24);
const rowsAt = at;
at = align(at + pool.maxRecords * 128);
const memory = new WebAssembly.Memory({ initial: Math.ceil(at / 65536) });
const wasm = new WebAssembly.Instance(wasmModule, { env: { memory } }).exports;
if (wasm.__heap_base.value > heapBase) throw new Error(`the module's statics reach ${wasm.__heap_base.value}`);
const m8 = new Uint8Array(memory.buffer);
const m32 = new Uint32Array(memory.buffer);
for (let i = 0; i < batches.length; i++) {
  const b = batches[i];
  const p = place[i];
  m8.set(new Uint8Array(b.data, p.first, p.end - p.first), p.base + p.first);
  m32.set(new Uint32Array(b.index, 0, b.count * 6), p.ix >> 2);
}
const wpf = new Uint32Array(memory.buffer, wasm.fields(), F_COUNT);
const rows = m32.subarray(rowsAt >> 2);

// 3. Every record checked: the TypeScript decoder's words and status against decode_batch's
// rows and decode_one's field block.
{
  const pf = new Uint32Array(F_COUNT);
  wpf.fill(0);
  let bad = 0;
  for (let i = 0; i < batches.length && bad < 10; i++) {
    const b = batches[i];
    const p = place[i];
    const u8 = new Uint8Array(b.data);
    const dv = new DataView(b.data);
    const idx = new Uint32Array(b.index, 0, b.count * 6);
    const saved = Uint32Array.from(wpf);
    wasm.decode_batch(p.base, p.ix, b.count, rowsAt);
    const afterBatch = Uint32Array.from(wpf);
    wpf.set(saved);
    for (let r = 0; r < b.count && bad < 10; r++) {
      const o = r * 6;
      const st = decodeRecord(pf, u8, dv, idx[o], idx[o + 1], idx[o + 2], idx[o + 5]);
      const st1 = wasm.decode_one(p.base, idx[o], idx[o + 1], idx[o + 2], idx[o + 5], 0);
      const row = r * 32;
      let same = rows[row + 30] === st && st1 === st;
      for (let w = 0; w < F_COUNT; w++) if (rows[row + w] !== pf[w] || wpf[w] !== pf[w]) same = false;
      if (!same) {
        bad++;
        console.log(`batch ${i} record ${r}: ts ${st} [${Array.from(pf)}]\n  batch ${rows[row + 30]} [${Array.from(rows.subarray(row, row + F_COUNT))}]\n  one ${st1} [${Array.from(wpf)}]`);
      }
    }
    for (let w = 0; w < F_COUNT; w++) if (afterBatch[w] !== wpf[w]) bad++;
  }
  if (bad > 0) {
    console.log(`${bad} records differ`);
    process.exit(1);
  }
  // decode_one again, over bytes copied in steps (so with offsets counted from a copy's start)
  pf.fill(0);
  wpf.fill(0);
  for (let i = 0; i < batches.length && bad < 10; i++) {
    const b = batches[i];
    const u8 = new Uint8Array(b.data);
    const dv = new DataView(b.data);
    const idx = new Uint32Array(b.index, 0, b.count * 6);
    stepsFrom(b, (r, st1) => {
      const o = r * 6;
      // wpf now holds the wasm fields of record r; decode it the TypeScript way into pf
      const st = decodeRecord(pf, u8, dv, idx[o], idx[o + 1], idx[o + 2], idx[o + 5]);
      let same = st1 === st;
      for (let w = 0; w < F_COUNT; w++) if (wpf[w] !== pf[w]) same = false;
      if (!same && bad++ < 10) console.log(`steps: batch ${i} record ${r}: ts ${st} [${Array.from(pf)}]\n  one ${st1} [${Array.from(wpf)}]`);
    });
  }
  if (bad > 0) {
    console.log(`${bad} records differ`);
    process.exit(1);
  }
  console.log(`${file}: ${batches.length} batches, ${records} records: status and fields identical (ts, decode_batch, decode_one, decode_one over copies in steps)`);
}

// 4. The variants, each over one batch `b` (p: where its bytes and index lie in wasm
// memory, or null in STREAM mode); each returns a sum so that nothing is dead code.
const tsPf = new Uint32Array(F_COUNT);
const rowPf = new Uint32Array(F_COUNT);
const span = (b) => {
  const idx = new Uint32Array(b.index, 0, b.count * 6);
  const last = (b.count - 1) * 6;
  return { first: idx[0], end: idx[last] + idx[last + 1] };
};
function tsOver(b, u8, dv) {
  const idx = new Uint32Array(b.index, 0, b.count * 6);
  const pf = tsPf;
  let acc = 0;
  for (let r = 0, o = 0; r < b.count; r++, o += 6) {
    const st = decodeRecord(pf, u8, dv, idx[o], idx[o + 1], idx[o + 2], idx[o + 5]);
    acc = (acc + st + pf[F_SRC] + pf[F_DPORT]) | 0;
  }
  return acc;
}
// ts+copy: the control for the +copy variants: the same copy into a JS buffer, then the
// TypeScript decoder over the copy (a copy is also a sequential read that brings the batch
// into cache: what that buys the decoder is not WebAssembly's).
const jsScratch = new ArrayBuffer(pool.dataBytes);
const js8 = new Uint8Array(jsScratch);
const jsDv = new DataView(jsScratch);
function tsCopy(b) {
  const { first, end } = span(b);
  js8.set(new Uint8Array(b.data, first, end - first), first);
  return tsOver(b, js8, jsDv);
}
function copyBytes(b) {
  const { first, end } = span(b);
  m8.set(new Uint8Array(b.data, first, end - first), scratch + first);
  return scratch;
}
function copyIndex(b) {
  m32.set(new Uint32Array(b.index, 0, b.count * 6), scratchIx >> 2);
  return scratchIx;
}
function oneFrom(b, base) {
  const idx = new Uint32Array(b.index, 0, b.count * 6);
  const f = wasm.decode_one;
  let acc = 0;
  for (let r = 0, o = 0; r < b.count; r++, o += 6) {
    const st = f(base, idx[o], idx[o + 1], idx[o + 2], idx[o + 5], 0);
    acc = (acc + st + wpf[F_SRC] + wpf[F_DPORT]) | 0;
  }
  return acc;
}
// The records' bytes copied STEP_BYTES at a time into the scratch area just before they are
// decoded (still in cache then), decode_one told where the copy starts in the batch so that
// the offsets it writes are the batch's: what a trial in the aggregator did.
function stepsFrom(b, check) {
  const idx = new Uint32Array(b.index, 0, b.count * 6);
  const src = new Uint8Array(b.data);
  const f = wasm.decode_one;
  let acc = 0;
  let filled = 0;
  let from = 0;
  for (let r = 0, o = 0; r < b.count; r++, o += 6) {
    if (r === filled) {
      from = idx[o];
      let end = from;
      do {
        end = idx[filled * 6] + idx[filled * 6 + 1];
        filled++;
      } while (filled < b.count && idx[filled * 6] + idx[filled * 6 + 1] - from <= STEP_BYTES);
      m8.set(src.subarray(from, end), scratch);
    }
    const st = f(scratch, idx[o] - from, idx[o + 1], idx[o + 2], idx[o + 5], from);
    if (check !== undefined) check(r, st);
    acc = (acc + st + wpf[F_SRC] + wpf[F_DPORT]) | 0;
  }
  return acc;
}
function batchFrom(n, base, ix) {
  wasm.decode_batch(base, ix, n, rowsAt);
  const pf = rowPf;
  let acc = 0;
  for (let r = 0, row = 0; r < n; r++, row += 32) {
    for (let w = 0; w < 30; w++) pf[w] = rows[row + w];
    acc = (acc + rows[row + 30] + pf[F_SRC] + pf[F_DPORT]) | 0;
  }
  return acc;
}
const variants = {
  ts: (b) => tsOver(b, new Uint8Array(b.data), new DataView(b.data)),
  'ts+copy': tsCopy,
  one: (b, p) => oneFrom(b, p.base),
  'one+copy': (b) => oneFrom(b, copyBytes(b)),
  batch: (b, p) => batchFrom(b.count, p.base, p.ix),
  'batch+copy': (b) => batchFrom(b.count, copyBytes(b), copyIndex(b)),
  'one+steps': (b) => stepsFrom(b),
  copy: (b) => copyBytes(b) + copyIndex(b),
};
// STREAM: the capture read again for every pass, each batch decoded as the reader hands it
// over (after framing, as the inline aggregator does), then released: the batch's bytes are
// where the reader leaves them. The variants that need the bytes in wasm memory already
// cannot run there (the reader writes into the pool's buffers).
const only = process.env.ONLY?.split(',');
const names = Object.keys(variants).filter((n) => (!STREAM || !(n === 'one' || n === 'batch')) && (only === undefined || only.includes(n)));
const times = Object.fromEntries(names.map((n) => [n, []]));
if (!names.includes('ts')) delete times.ts;
const walls = Object.fromEntries(names.map((n) => [n, []]));
let sink = 0;
const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const now = () => performance.now();
async function pass(name) {
  const f = variants[name];
  let ms = 0;
  let wall = 0;
  if (STREAM) {
    const sp = new BufferPool();
    await readCapture(file, {
      fileIndex: 0,
      seqBase: 0,
      pool: sp,
      readAhead: true,
      submit: (b) => {
        const t = cpu();
        const w = now();
        sink ^= f(b, null);
        wall += now() - w;
        ms += cpu() - t;
        sp.release({ data: b.data, index: b.index });
      },
    });
  } else if (WARM) {
    for (let i = 0; i < batches.length; i++) {
      sink ^= f(batches[i], place[i]);
      const t = cpu();
      const w = now();
      sink ^= f(batches[i], place[i]);
      wall += now() - w;
      ms += cpu() - t;
    }
  } else {
    const t = cpu();
    const w = now();
    for (let i = 0; i < batches.length; i++) sink ^= f(batches[i], place[i]);
    wall = now() - w;
    ms = cpu() - t;
  }
  return [ms, wall];
}
for (const n of names) await pass(n); // warm-up: every variant optimised before timing
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < names.length; k++) {
    const n = names[(k + round) % names.length];
    const [c, w] = await pass(n);
    times[n].push(c);
    walls[n].push(w);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const mode = STREAM ? 'stream (each pass reads the capture again; each batch decoded as handed over)' : WARM ? 'warm (each batch decoded once untimed first)' : 'cold (every pass over all batches held in memory)';
// CPU is the process's (in STREAM mode it includes the read-ahead thread's reads during the
// decoding); wall is the main thread's time in the decoding, descheduling included.
console.log(`${mode}, ${ROUNDS} rounds; per pass: CPU ms and wall ms, median (range), ns per record and relative to ts of each`);
const cols = (t, n) => {
  const m = median(t[n]);
  return `${m.toFixed(1).padStart(6)} (${Math.min(...t[n]).toFixed(0)}–${Math.max(...t[n]).toFixed(0)}) ${((m * 1e6) / records).toFixed(1).padStart(5)} ns ${t.ts ? (m / median(t.ts)).toFixed(2) + '×' : ''}`;
};
for (const n of names) console.log(`${n.padEnd(11)} cpu ${cols(times, n)} | wall ${cols(walls, n)}`);
if (sink === 0.5) console.log(sink);
