#!/usr/bin/env node
// TCP health's per-segment work (src/flow/tcp-health.ts: tcpSegment → step / full) against
// the same in C compiled to WebAssembly (bench/wasm/tcp.c), over the same block layout in
// the module's memory: a check that both give the same flags and the same 160 words of every
// block, then timings (bench/README.md, "The TCP step in WebAssembly").
//
//   node bench/wasm-tcp.mjs [CAPTURE...]      (default bench/data/mixed-2M.pcap)
//
// 1. Record (untimed, a child process): the aggregator's loop over the capture (as
//    bench/tcp-cost.mjs: framed into 2 MiB batches, this checkout's dist/ bundled as the
//    CLI is) with tcp-health's tcpOpen and tcpSegment wrapped so that every call is written
//    down as it happens in the feed: the block (its real base: conversation id × 160; the
//    store's one-block scratch arena, for held first packets, gets a block after the
//    others), the direction, seq, ack, flags, window, payload length, the clock and the
//    option bytes tcpSegment would read. Cached under the system's temporary directory by
//    capture, size, mtime and this checkout's tcp-health.js.
// 2. Run (a second child, bundled the same way, JIT and wasm cold): the events through
//    (a) the TypeScript tcpOpen/tcpSegment over a TcpArena (aligned, as the store's) and
//    (b) tcp_open/tcp_segment over the same layout in wasm memory; unless CHECK=0, first a
//    pass comparing every call's return value and the block's 160 words after every call
//    (EACH=0: only at the end), and all blocks at the end. Then ROUNDS (default 5) timed
//    rounds of the variants in rotated order, CPU of the main thread (schedstat) and wall:
//      base  the loop alone (reads every event's arguments, xors them, no call)
//      ts    setTcpClock + tcpSegment per event (tcpOpen for opens), the JS that the feed runs
//      wasm  tcp_segment per event called from the same JS loop (the clock as an argument)
//      run   one call of tcp_run: the same loop inside the module
//    ONLY=ts,wasm,... restricts them; ORDER=flow replays each block's events together (a
//    stable sort by block: each block's state sees the same sequence, the block stays in
//    cache: the step alone), ORDER=capture (default) in the feed's order (the misses).
//    STREAM=B: every event also reads B bytes of a 256 MiB buffer in order (one byte a
//    line), as the feed reads packets between two segments: cache pressure (not for run).
//    WRAP (e.g. "valgrind --tool=callgrind") and NODE_ARGS apply to this child.
// 3. FEED=1 instead: the aggregator's loop itself (bench/tcp-cost.mjs's, the capture framed
//    into 2 MiB batches in memory; a fresh aggregator per round, FEED_ROUNDS a process, default
//    4, the first cold) with the conversation store's TCP arena placed in the module's memory
//    (a view at ARENA of one memory made at 40 MiB of blocks, for every mode alike; f64 from
//    the same byte offset) and, one bundle per mode, tcpSegment as it is (ts), the module's tcp_segment
//    (wasm: a SYN's option bytes copied into the module's memory first) or nothing at all
//    (none: returns 0; the bound, the output would differ). Processes alternate ts, wasm,
//    none, FEED_RUNS times (default 3); each prints its rounds' main-thread CPU and wall and a
//    hash of the arena's words at the end of its last round (ts and wasm must agree).
// Needs clang and lld (apt-get install clang lld); the module is built at each run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleDist } from './bundle-dist.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const files = process.argv.length > 2 ? process.argv.slice(2) : [join(here, 'data', 'mixed-2M.pcap')];
const dist = (p) => JSON.stringify(pathToFileURL(join(root, 'dist', p)).href);
const benchModule = (name) => JSON.stringify(pathToFileURL(join(here, name)).href);
const helper = benchModule('capture-batches.mjs');
const cpuHelper = benchModule('thread-cpu.mjs');
const ARENA = 262144; // tcp.c's ARENA

async function main() {
const work = mkdtempSync(join(tmpdir(), 'pantap-wasm-tcp-'));
let status = 0;
try {
  const wasmFile = join(work, 'tcp.wasm');
  const flags = ['--target=wasm32', '-nostdlib', '-O3', '-mbulk-memory', '-Wall', '-Wextra', '-Werror', '-Wl,--no-entry', '-Wl,--import-memory'];
  const exports = ['tcp_open', 'tcp_segment', 'tcp_run', '__heap_base'].map((e) => `-Wl,--export=${e}`);
  execFileSync('clang', [...flags, ...exports, '-o', wasmFile, join(here, 'wasm', 'tcp.c')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const recordJs = join(work, 'record.mjs');
  const runJs = join(work, 'run.mjs');
  const words = (v) => (v ?? '').split(' ').filter((a) => a !== '');
  await bundle(RECORD, recordJs, 'record');
  await bundle(RUN, runJs, null);
  if (process.env.FEED === '1') {
    // one bundle per mode: ts's tcpSegment is the module's own (inlined where the feed calls it)
    const modes = (process.env.FEED_MODES ?? 'ts,wasm,none').split(',');
    const feedJs = {};
    for (const mode of modes) {
      feedJs[mode] = join(work, `feed-${mode}.mjs`);
      await bundle(FEED, feedJs[mode], 'feed-' + mode);
    }
    for (const f of files) {
      console.log(`# ${f}`);
      for (let r = 0; r < Number(process.env.FEED_RUNS ?? 3); r++) {
        for (const mode of modes) {
          const cmd = [...words(process.env.WRAP), process.execPath, ...words(process.env.NODE_ARGS), feedJs[mode], f, process.env.FEED_ROUNDS ?? '4'];
          const run = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, FEED_MODE: mode, WASM_FILE: wasmFile } });
          if (run.status !== 0) status = run.status ?? 1;
        }
      }
    }
    return status;
  }
  const healthHash = createHash('sha256').update(readFileSync(join(root, 'dist', 'flow', 'tcp-health.js'))).digest('hex').slice(0, 12);
  for (const f of files) {
    if (f.startsWith('fuzz:')) {
      console.log(`# ${f}`);
      const cmd = [...words(process.env.WRAP), process.execPath, ...words(process.env.NODE_ARGS), runJs, f, wasmFile];
      const run = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
      if (run.status !== 0) status = run.status ?? 1;
      continue;
    }
    const st = statSync(f);
    const key = createHash('sha256').update(`${resolve(f)} ${st.size} ${st.mtimeMs} ${healthHash}`).digest('hex').slice(0, 16);
    const events = join(tmpdir(), `pantap-wasm-tcp-${key}.bin`);
    if (!existsSync(events)) {
      const rec = spawnSync(process.execPath, [recordJs, f, events + '.part'], { stdio: ['ignore', 'inherit', 'pipe'] });
      if (rec.status !== 0) {
        console.log(`# ${f}: not recorded (${String(rec.stderr).split('\n').find((l) => /Error/.test(l)) ?? 'exit ' + rec.status})`);
        continue;
      }
      execFileSync('mv', [events + '.part', events]);
    }
    console.log(`# ${f}`);
    const cmd = [...words(process.env.WRAP), process.execPath, ...words(process.env.NODE_ARGS), runJs, events, wasmFile];
    const run = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
    if (run.status !== 0) status = run.status ?? 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
return status;
}

/** Bundles `entry` as tcp-cost.mjs does (constants inlined); `patch` 'record': tcp-health's tcpOpen/tcpSegment wrapped by a recorder; 'feed': its arena in wasm memory and tcpSegment by FEED_MODE. */
async function bundle(entry, out, patch) {
  const transform = (text, path) => {
    let contents = text;
    if (patch !== null && /[\\/]flow[\\/]tcp-health\.js$/.test(path)) {
      const swap = (a, b) => {
        if (!contents.includes(a)) throw new Error('tcp-health.js: ' + a + ' not found');
        contents = contents.split(a).join(b);
      };
      if (patch !== 'feed-ts') swap('export function tcpSegment(', 'function tcpSegment$real(');
      if (patch === 'record') {
        swap('export function tcpOpen(', 'function tcpOpen$real(');
        contents += RECORDER;
      } else {
        swap('new Float64Array(this.i32.buffer, 0, ', 'new Float64Array(this.i32.buffer, this.i32.byteOffset, ');
        swap('new Float64Array(i32.buffer, 0, ', 'new Float64Array(i32.buffer, i32.byteOffset, ');
        swap('function words(n, aligned) {', 'function words$real(n, aligned) {');
        contents += FEED_PATCH + (patch === 'feed-wasm' ? FEED_WASM : patch === 'feed-none' ? FEED_NONE : '');
      }
    }
    return contents;
  };
  await bundleDist({ entry, out, resolveDir: root, sourcefile: 'wasm-tcp-entry.mjs', transform });
}

// ---- The recorder, appended to tcp-health.js in the record bundle ----
// Events: 8 int32 words (op, base, dir, seq, ack, flags, window, len; op 0: tcpOpen(base,
// originator in dir)), the clock, and the option bytes' offset and length (those tcpSegment
// reads: a SYN's, bounded by the buffer as options() bounds them). An arena of one block
// (the store's scratch) is tagged by a negative base, placed after the others at replay.
const RECORDER = `
export const REC = { n: 0, ev: new Int32Array(8 << 16), now: new Float64Array(1 << 16), opt: new Int32Array(2 << 16), bytes: new Uint8Array(1 << 16), nb: 0 };
function recRow() {
  if (REC.n === REC.now.length) {
    const grow = (a) => { const b = new a.constructor(a.length * 2); b.set(a); return b; };
    REC.ev = grow(REC.ev); REC.now = grow(REC.now); REC.opt = grow(REC.opt);
  }
  return REC.n++;
}
export function tcpOpen(I, F, base, originator) {
  const i = recRow();
  REC.ev.set([0, I.length === TCP_WORDS ? -1 : base, originator === 1 ? 1 : 0, 0, 0, 0, 0, 0], 8 * i);
  REC.now[i] = NOW[0];
  return tcpOpen$real(I, F, base, originator);
}
export function tcpSegment(I, F, base, dir, seq, ack, flags, window, payloadLen, opts, optOff, optLen) {
  const i = recRow();
  REC.ev.set([1, I.length === TCP_WORDS ? -1 : base, dir, seq | 0, ack | 0, flags, window | 0, payloadLen > 0 ? payloadLen | 0 : 0], 8 * i);
  REC.now[i] = NOW[0];
  let n = 0;
  if ((flags & 2) !== 0 && opts !== null && optLen > 0) {
    n = Math.max(0, Math.min(optOff + optLen, opts.length) - optOff);
    while (REC.nb + n > REC.bytes.length) { const b = new Uint8Array(REC.bytes.length * 2); b.set(REC.bytes); REC.bytes = b; }
    REC.bytes.set(opts.subarray(optOff, optOff + n), REC.nb);
  }
  REC.opt[2 * i] = REC.nb;
  REC.opt[2 * i + 1] = n;
  REC.nb += n;
  return tcpSegment$real(I, F, base, dir, seq, ack, flags, window, payloadLen, opts, optOff, optLen);
}
`;

const RECORD = `
import { writeFileSync } from 'node:fs';
import { BatchAggregator } from ${dist('pipeline/aggregate.js')};
import { PcapFramer } from ${dist('capture/pcap.js')};
import { REC_WORDS } from ${dist('capture/records.js')};
import { captureBatches } from ${helper};
import { REC, TCP_WORDS } from ${dist('flow/tcp-health.js')};
const [file, out] = [process.argv[2], process.argv[3]];
const agg = new BatchAggregator(500000);
let seq = 0;
for (const b of captureBatches(file, PcapFramer, REC_WORDS)) {
  agg.add(b);
  seq += b.count;
}
// The scratch arena's block goes after the highest base.
const n = REC.n;
let max = 0;
for (let i = 0; i < n; i++) if (REC.ev[8 * i + 1] > max) max = REC.ev[8 * i + 1];
const scratch = max + TCP_WORDS;
let held = 0;
for (let i = 0; i < n; i++) if (REC.ev[8 * i + 1] < 0) { REC.ev[8 * i + 1] = scratch; held++; }
const head = new Int32Array([n, REC.nb, scratch + TCP_WORDS, held]);
const nb = (REC.nb + 7) & ~7;
const buf = Buffer.alloc(16 + n * 8 + n * 32 + n * 8 + nb);
let o = 0;
const put = (a) => { Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, o); o += a.byteLength; };
put(head); put(REC.now.subarray(0, n)); put(REC.ev.subarray(0, 8 * n)); put(REC.opt.subarray(0, 2 * n)); put(REC.bytes.subarray(0, REC.nb));
writeFileSync(out, buf);
console.log('recorded ' + n + ' events (' + seq + ' records, ' + held + ' in the scratch block)');
`;

// ---- FEED=1: appended to tcp-health.js ----
const FEED_PATCH = `
import { readFileSync as feedRead } from 'node:fs';
const FEED_ARENA = ${ARENA};
const FEED_CAP = 65536 * TCP_WORDS;
const FEED_OPT = FEED_ARENA - 256;
const FEED_MEM = new WebAssembly.Memory({ initial: Math.ceil((FEED_ARENA + FEED_CAP * 4) / 65536) });
const FEED_BUF = FEED_MEM.buffer;
const FEED_OPT8 = new Uint8Array(FEED_BUF, FEED_OPT, 256);
const FEED_W = new WebAssembly.Instance(new WebAssembly.Module(feedRead(process.env.WASM_FILE)), { env: { memory: FEED_MEM } }).exports;
if (FEED_W.__heap_base.value > FEED_OPT) throw new Error('the module reaches ' + FEED_W.__heap_base.value);
const feedSeg = FEED_W.tcp_segment;
export const FEED_ARENAS = [];
/** The store's aligned arena: the module's memory at ARENA, whole from the start (never grown), zeroed. */
function words(n, aligned) {
  if (!aligned) return new Int32Array(n);
  if (n > FEED_CAP) throw new Error('FEED: more than 65536 blocks');
  const v = new Int32Array(FEED_BUF, FEED_ARENA, FEED_CAP);
  v.fill(0);
  FEED_ARENAS.push(v);
  return v;
}
`;
const FEED_WASM = `
export function tcpSegment(I, F, base, dir, seq, ack, flags, window, payloadLen, opts, optOff, optLen) {
  if (I.buffer !== FEED_BUF) return tcpSegment$real(I, F, base, dir, seq, ack, flags, window, payloadLen, opts, optOff, optLen);
  let k = 0;
  if ((flags & 2) !== 0 && opts !== null && optLen > 0) {
    k = Math.min(256, Math.max(0, Math.min(optOff + optLen, opts.length) - optOff));
    FEED_OPT8.set(opts.subarray(optOff, optOff + k));
  }
  return feedSeg(base, dir, seq | 0, ack | 0, flags, window | 0, payloadLen > 0 ? payloadLen | 0 : 0, FEED_OPT, k, NOW[0]);
}
`;
const FEED_NONE = `
export function tcpSegment() {
  return 0;
}
`;

const FEED = `
import { BatchAggregator } from ${dist('pipeline/aggregate.js')};
import { PcapFramer } from ${dist('capture/pcap.js')};
import { REC_WORDS } from ${dist('capture/records.js')};
import { captureBatches } from ${helper};
import { threadCpuMs } from ${cpuHelper};
import { FEED_ARENAS } from ${dist('flow/tcp-health.js')};
const [file, rounds] = [process.argv[2], Number(process.argv[3])];
const batches = [...captureBatches(file, PcapFramer, REC_WORDS)];
const cpu = threadCpuMs;
const times = [];
for (let r = 0; r < rounds; r++) {
  const agg = new BatchAggregator(500000);
  const c0 = cpu();
  const t0 = performance.now();
  for (const b of batches) agg.add(b);
  times.push((performance.now() - t0).toFixed(0) + '/' + (cpu() - c0).toFixed(0));
}
// the arena's words up to its last non-zero one, FNV-1a
const a = FEED_ARENAS[FEED_ARENAS.length - 1];
let last = a.length - 1;
while (last >= 0 && a[last] === 0) last--;
let h = 0x811c9dc5;
for (let i = 0; i <= last; i++) h = Math.imul(h ^ a[i], 16777619);
console.log((process.env.FEED_MODE + ' ').padEnd(6) + times.join(' ') + '  arena ' + (last + 1) + ' words, hash ' + (h >>> 0).toString(16));
`;

const RUN = `
import { readFileSync } from 'node:fs';
import { threadCpuMs } from ${cpuHelper};
import { TcpArena, TCP_WORDS, setTcpClock, tcpOpen, tcpSegment } from ${dist('flow/tcp-health.js')};
const [evFile, wasmFile] = [process.argv[2], process.argv[3]];
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ONLY = (process.env.ONLY ?? 'base,ts,wasm,run').split(',');
const ORDER = process.env.ORDER ?? 'capture';
const ARENA = ${ARENA};
const ab = evFile.startsWith('fuzz:') ? fuzz(...evFile.split(':').slice(1).map(Number)) : (() => { const f = readFileSync(evFile); return f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength); })();
const [n, nb, words, held] = new Int32Array(ab, 0, 4);
// each block's events together in ORDER=flow, in their order (a stable sort by block); const
// views, so that the loops below read them without reloading a mutable binding
const [ev, now, opt] = ORDER === 'flow' ? byBlock(new Int32Array(ab, 16 + 8 * n, 8 * n), new Float64Array(ab, 16, n), new Int32Array(ab, 16 + 40 * n, 2 * n)) : [new Int32Array(ab, 16 + 8 * n, 8 * n), new Float64Array(ab, 16, n), new Int32Array(ab, 16 + 40 * n, 2 * n)];
const optBytes = new Uint8Array(ab, 16 + 48 * n, nb);
function byBlock(ev, now, opt) {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ev[8 * a + 1] - ev[8 * b + 1] || a - b);
  const ev2 = new Int32Array(8 * n), now2 = new Float64Array(n), opt2 = new Int32Array(2 * n);
  order.forEach((j, i) => { ev2.set(ev.subarray(8 * j, 8 * j + 8), 8 * i); now2[i] = now[j]; opt2[2 * i] = opt[2 * j]; opt2[2 * i + 1] = opt[2 * j + 1]; });
  return [ev2, now2, opt2];
}
let segments = 0;
for (let i = 0; i < n; i++) if (ev[8 * i] === 1) segments++;
const blocks = words / TCP_WORDS;

// The module's memory: the arena at ARENA, then the events for tcp_run and the option bytes.
const align = (x) => Math.ceil(x / 64) * 64;
let at = align(ARENA + words * 4);
const evAt = at; at = align(at + 32 * n);
const nowAt = at; at = align(at + 8 * n);
const optAt = at; at = align(at + 8 * n);
const bytesAt = at; at = align(at + nb + 64);
const memory = new WebAssembly.Memory({ initial: Math.ceil(at / 65536) });
const wasm = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmFile)), { env: { memory } }).exports;
if (wasm.__heap_base.value > ARENA) throw new Error("the module's statics reach " + wasm.__heap_base.value);
const WI = new Int32Array(memory.buffer, ARENA, words);
new Int32Array(memory.buffer, evAt, 8 * n).set(ev);
new Float64Array(memory.buffer, nowAt, n).set(now);
new Int32Array(memory.buffer, optAt, 2 * n).set(opt);
new Uint8Array(memory.buffer, bytesAt, nb).set(optBytes);
const arena = new TcpArena(blocks, true);
const TI = arena.i32, TF = arena.f64;
const wOpen = wasm.tcp_open, wSeg = wasm.tcp_segment;
console.log('events ' + n + ': ' + segments + ' segments, ' + (n - segments) + ' opens, ' + blocks + ' blocks (' + held + ' events in the scratch block), ' + nb + ' option bytes; order ' + ORDER);

function oneTs(i) {
  const o = 8 * i;
  if (ev[o] === 0) { tcpOpen(TI, TF, ev[o + 1], ev[o + 2]); return 0; }
  setTcpClock(now[i]);
  const k = opt[2 * i + 1];
  return tcpSegment(TI, TF, ev[o + 1], ev[o + 2], ev[o + 3], ev[o + 4], ev[o + 5], ev[o + 6], ev[o + 7], k > 0 ? optBytes : null, opt[2 * i], k);
}
function oneWasm(i) {
  const o = 8 * i;
  if (ev[o] === 0) { wOpen(ev[o + 1], ev[o + 2]); return 0; }
  return wSeg(ev[o + 1], ev[o + 2], ev[o + 3], ev[o + 4], ev[o + 5], ev[o + 6], ev[o + 7], bytesAt + opt[2 * i], opt[2 * i + 1], now[i]);
}

if (process.env.CHECK !== '0') {
  const each = process.env.EACH !== '0';
  let bad = 0, badBlocks = 0, afs = 0;
  const bits = new Array(12).fill(0);
  for (let i = 0; i < n && bad < 10; i++) {
    const a = oneTs(i), b = oneWasm(i);
    if (a !== 0) { afs++; for (let k = 0; k < 12; k++) if (a & (1 << k)) bits[k]++; }
    if (a !== b) { bad++; console.log('event ' + i + ': ts ' + a + ', wasm ' + b + ' [' + ev.subarray(8 * i, 8 * i + 8).join(' ') + ']'); }
    if (each) {
      const base = ev[8 * i + 1];
      for (let w = base; w < base + TCP_WORDS; w++) if (TI[w] !== WI[w]) { bad++; console.log('event ' + i + ' [' + ev.subarray(8 * i, 8 * i + 8).join(' ') + ']: word ' + (w - base) + ' ts ' + TI[w] + ' wasm ' + WI[w]); break; }
    }
  }
  for (let b = 0; b < blocks; b++) {
    for (let w = b * TCP_WORDS; w < (b + 1) * TCP_WORDS; w++) if (TI[w] !== WI[w]) { badBlocks++; if (badBlocks < 5) console.log('block ' + b + ' word ' + (w - b * TCP_WORDS) + ': ts ' + TI[w] + ' wasm ' + WI[w]); break; }
  }
  console.log('check: ' + n + ' events, ' + (bad === 0 ? 'all return values equal' : bad + ' MISMATCHES') + (each ? ', blocks compared after every call' : '') + ', ' + (badBlocks === 0 ? 'all ' + blocks + ' blocks equal at the end' : badBlocks + ' BLOCKS DIFFER') + '; ' + afs + ' segments flagged' + (afs > 0 ? ' (by TCPA_* bit, 1 to 2048: ' + bits.join(' ') + ')' : ''));
  if (bad !== 0 || badBlocks !== 0) process.exit(2);
}
if (ROUNDS === 0) process.exit(0);


const cpu = threadCpuMs;
// STREAM=B: each event also reads B bytes (one byte a line) of a 256 MiB buffer, in order, as
// the feed reads its packets' bytes between two TCP segments (cache pressure; not for run).
const STREAM = Number(process.env.STREAM ?? 0);
const ring = new Uint8Array(STREAM > 0 ? 256 << 20 : 64).fill(1);
const RMASK = ring.length - 1;
let rp = 0;
function touch() {
  let t = 0;
  for (let k = 0; k < STREAM; k += 64) t += ring[(rp + k) & RMASK];
  rp = (rp + STREAM) & RMASK;
  return t;
}
const variants = {
  base() {
    let x = 0;
    let y = 0;
    for (let i = 0; i < n; i++) {
      const o = 8 * i;
      if (STREAM > 0) x ^= touch();
      if (ev[o] === 0) x ^= ev[o + 1] ^ ev[o + 2];
      else {
        x ^= ev[o + 1] ^ ev[o + 2] ^ ev[o + 3] ^ ev[o + 4] ^ ev[o + 5] ^ ev[o + 6] ^ ev[o + 7] ^ opt[2 * i] ^ opt[2 * i + 1];
        y += now[i];
      }
    }
    return x + (y > 0 ? 1 : 0);
  },
  ts() {
    let x = 0;
    for (let i = 0; i < n; i++) {
      const o = 8 * i;
      if (STREAM > 0) x ^= touch();
      if (ev[o] === 0) tcpOpen(TI, TF, ev[o + 1], ev[o + 2]);
      else {
        setTcpClock(now[i]);
        const k = opt[2 * i + 1];
        x ^= tcpSegment(TI, TF, ev[o + 1], ev[o + 2], ev[o + 3], ev[o + 4], ev[o + 5], ev[o + 6], ev[o + 7], k > 0 ? optBytes : null, opt[2 * i], k);
      }
    }
    return x;
  },
  wasm() {
    let x = 0;
    for (let i = 0; i < n; i++) {
      const o = 8 * i;
      if (STREAM > 0) x ^= touch();
      if (ev[o] === 0) wOpen(ev[o + 1], ev[o + 2]);
      else x ^= wSeg(ev[o + 1], ev[o + 2], ev[o + 3], ev[o + 4], ev[o + 5], ev[o + 6], ev[o + 7], bytesAt + opt[2 * i], opt[2 * i + 1], now[i]);
    }
    return x;
  },
  run() {
    return wasm.tcp_run(evAt, nowAt, optAt, bytesAt, n);
  },
};
const names = ONLY.filter((v) => v in variants && !(STREAM > 0 && v === 'run'));
const res = Object.fromEntries(names.map((v) => [v, { cpu: [], wall: [], x: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < names.length; k++) {
    const v = names[(k + r) % names.length];
    const c0 = cpu(), t0 = performance.now();
    const x = variants[v]();
    const t1 = performance.now(), c1 = cpu();
    res[v].cpu.push(c1 - c0); res[v].wall.push(t1 - t0); res[v].x.push(x);
  }
}
const med = (a) => { const s = [...a].sort((p, q) => p - q); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const warm = (a) => a.length > 1 ? a.slice(1) : a;
const baseCpu = res.base ? med(warm(res.base.cpu)) : 0;
for (const v of names) {
  const c = res[v].cpu, w = res[v].wall;
  const per = (ms) => (ms * 1e6 / segments).toFixed(1);
  const net = v === 'base' ? '' : ', less base: ' + per(med(warm(c)) - baseCpu) + ' ns a segment';
  console.log(v.padEnd(5) + ' cpu ms first ' + c[0].toFixed(1) + ', warm median ' + med(warm(c)).toFixed(1) + ' (' + Math.min(...warm(c)).toFixed(1) + '-' + Math.max(...warm(c)).toFixed(1) + '), wall warm median ' + med(warm(w)).toFixed(1) + '; per segment: first ' + per(c[0]) + ' ns, warm ' + per(med(warm(c))) + ' ns' + net + '  [x ' + res[v].x[0] + ']');
}

/**
 * Random events in the recorded file's layout (fuzz:EVENTS:BLOCKS:SEED): every block opened
 * first, then segments of random blocks and sides whose sequence and acknowledgement numbers
 * are mostly the next ones (the fast path), often not (retransmissions, gaps, keep-alives,
 * old or future ACKs, wraps), with SYN, FIN, RST in all combinations, zero and other windows,
 * clocks that mostly advance, random option bytes on SYNs; now and then a block reopened.
 */
function fuzz(N, B, seed) {
  let z = seed >>> 0 || 1;
  const rnd = () => { z ^= z << 13; z ^= z >>> 17; z ^= z << 5; return (z >>> 0) / 4294967296; };
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const ri = (k) => Math.floor(rnd() * k);
  const n = N + B;
  const ev = new Int32Array(8 * n), now = new Float64Array(n), opt = new Int32Array(2 * n);
  const bytes = [];
  const nextS = new Int32Array(2 * B), lastLen = new Int32Array(2 * B);
  let t = 1.7e15;
  for (let b = 0; b < B; b++) {
    ev.set([0, b * TCP_WORDS, ri(2), 0, 0, 0, 0, 0], 8 * b);
    now[b] = t;
    nextS[2 * b] = (rnd() * 4294967296) | 0;
    nextS[2 * b + 1] = ri(8) === 0 ? 0 : (rnd() * 4294967296) | 0;
  }
  for (let i = B; i < n; i++) {
    const b = ri(B), d = ri(2), me = 2 * b + d, peer = 2 * b + 1 - d;
    t += pick([1, 10, 100, 1000, 5000, 30000, 0, -50, 2e6]) * rnd();
    t = Math.round(t);
    now[i] = t;
    if (ri(400) === 0) { ev.set([0, b * TCP_WORDS, ri(3), 0, 0, 0, 0, 0], 8 * i); continue; }
    const fr = rnd();
    const flags = fr < 0.7 ? 0x10 | (ri(2) << 3) : pick([0x02, 0x12, 0x11, 0x19, 0x04, 0x14, 0x00, 0x01, 0x03, 0x05, 0x06, 0x07, 0x16, 0x15, ri(256)]);
    const len = pick([0, 0, 0, 1, 1460, 1460, 1460, 536, ri(64), ri(65536), 2]);
    const sr = rnd();
    const next = nextS[me];
    const seq = sr < 0.75 ? next : sr < 0.82 ? (next - lastLen[me]) | 0 : sr < 0.87 ? (next - 1) | 0 : sr < 0.92 ? (next + ri(5000) + 1) | 0 : sr < 0.95 ? (next - ri(100000)) | 0 : sr < 0.97 ? (next + 2147483000) | 0 : (rnd() * 4294967296) | 0;
    const ar = rnd();
    const pn = nextS[peer];
    const ack = ar < 0.75 ? pn : ar < 0.85 ? (pn - ri(3000)) | 0 : ar < 0.9 ? (pn + ri(3000) + 1) | 0 : ar < 0.94 ? 0 : ar < 0.97 ? (pn - 1) | 0 : (rnd() * 4294967296) | 0;
    const wr = rnd();
    const win = wr < 0.8 ? 65535 : wr < 0.92 ? 0 : ri(65536);
    const adv = ((seq + len + ((flags & 3) !== 0 ? 1 : 0)) | 0);
    if (((adv - next) | 0) > 0 && ri(10) !== 0) nextS[me] = adv;
    lastLen[me] = len;
    ev.set([1, b * TCP_WORDS, ri(50) === 0 ? 2 : d, seq, ack, flags, win, len], 8 * i);
    if ((flags & 2) !== 0 && ri(4) !== 0) {
      const o = [];
      if (ri(3) !== 0) o.push(2, pick([4, 4, 3, 2, 5]), ri(256), ri(256));
      if (ri(2) !== 0) o.push(1);
      if (ri(3) !== 0) o.push(3, pick([3, 3, 2, 1, 0, 9]), ri(16));
      for (let k = ri(4); k > 0; k--) o.push(ri(256));
      if (ri(5) === 0) o.push(0, 2, 4, 1, 1);
      opt[2 * i] = bytes.length;
      opt[2 * i + 1] = o.length;
      bytes.push(...o);
    }
  }
  const nb = bytes.length, nb8 = (nb + 7) & ~7;
  const out = new ArrayBuffer(16 + 48 * n + nb8);
  new Int32Array(out, 0, 4).set([n, nb, (B + 1) * TCP_WORDS, 0]);
  new Float64Array(out, 16, n).set(now);
  new Int32Array(out, 16 + 8 * n, 8 * n).set(ev);
  new Int32Array(out, 16 + 40 * n, 2 * n).set(opt);
  new Uint8Array(out, 16 + 48 * n, nb).set(bytes);
  return out;
}
`;

process.exit(await main());
