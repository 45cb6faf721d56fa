#!/usr/bin/env node
// The cost of ConversationStore.packet() per TCP packet (TCP health, payload keeping,
// silences, heartbeats): the aggregator's loop over a capture held in memory, framed into
// 2 MiB batches beforehand (no reading, no framing in the timed part), with packet() as it
// is (MODE=full) or replaced by an empty function (MODE=noop). Per TCP packet = (full -
// noop) / the TCP packets that reach packet() (MODE=count prints them: 1,394,527 on mixed-2M).
//
//   node bench/tcp-cost.mjs [BUILD_DIR]
//     BUILD_DIR: a built checkout (default: this one). Its dist/ modules are bundled first as
//     the CLI is (scripts/split-constants.mjs, esbuild minifySyntax: constants inlined), into
//     the system's temporary directory, and the bundle is run. Environment: F=capture
//     (default bench/data/mixed-2M.pcap), ROUNDS (default 4: each a fresh aggregator over the
//     whole capture; the first is cold, compare the others), MODE=full|noop|count (noop:
//     packet() empty; noop-datagram, noop-beat, noop-keep: that method empty; count: the
//     calls of packet, datagram, beat and keep per round), NODE_ARGS
//     (e.g. "--perf-basic-prof"), WRAP: a command to run node under (e.g. "valgrind --tool=callgrind
//     --dump-instr=yes", with NODE_ARGS="--single-threaded --predictable-gc-schedule --perf-basic-prof").
//   Prints "MODE wall/cpu wall/cpu …" per round, ms; cpu is the main thread's
//   (/proc/thread-self/schedstat where there is one), not the collector's or compiler's threads.
//   GC=1: also, per round, the collections in it (perf_hooks 'gc' entries): scavenges and
//   the others (mark-compacts), their count and summed pause (main thread).
import { unlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleDist } from './bundle-dist.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.argv[2] ?? join(here, '..'));
const file = process.env.F ?? join(here, 'data', 'mixed-2M.pcap');
const dist = (p) => JSON.stringify(pathToFileURL(join(root, 'dist', p)).href);
const benchModule = (name) => JSON.stringify(pathToFileURL(join(here, name)).href);
const helper = benchModule('capture-batches.mjs');
const cpuHelper = benchModule('thread-cpu.mjs');

const entry = `
import { PerformanceObserver, constants as perf } from 'node:perf_hooks';
import { BatchAggregator } from ${dist('pipeline/aggregate.js')};
import { ConversationStore } from ${dist('flow/conversation.js')};
import { PcapFramer } from ${dist('capture/pcap.js')};
import { REC_WORDS } from ${dist('capture/records.js')};
import { captureBatches } from ${helper};
import { threadCpuMs } from ${cpuHelper};
const [file, rounds] = [process.argv[2], Number(process.argv[3])];
const mode = process.env.MODE ?? 'full';
const batches = [...captureBatches(file, PcapFramer, REC_WORDS)];
// noop: packet() empty; noop-datagram, noop-beat, noop-keep: that method empty instead
// (datagram(): UDP; beat(): heartbeat packets other than TCP's; keep(): a TCP segment's payload keeping).
const P = ConversationStore.prototype;
const empty = mode === 'noop' ? 'packet' : mode.startsWith('noop-') ? mode.slice(5) : null;
if (empty !== null) {
  if (typeof P[empty] !== 'function') throw new Error('no method ' + empty);
  P[empty] = function () {};
}
const calls = { packet: 0, datagram: 0, beat: 0, keep: 0 };
if (mode === 'count') {
  for (const m of Object.keys(calls)) {
    const real = P[m];
    P[m] = function (...a) { calls[m]++; return real.apply(this, a); };
  }
}
const cpu = threadCpuMs;
const times = [];
const spans = [];
const gcs = [];
const observer = process.env.GC === '1' ? new PerformanceObserver((list) => gcs.push(...list.getEntries())) : null;
observer?.observe({ entryTypes: ['gc'] });
for (let r = 0; r < rounds; r++) {
  const agg = new BatchAggregator(500000);
  const c0 = cpu();
  const t0 = performance.now();
  for (const b of batches) agg.add(b);
  spans.push([t0, performance.now()]);
  times.push((performance.now() - t0).toFixed(0) + '/' + (cpu() - c0).toFixed(0));
}
if (mode === 'count') console.log('records ' + batches.reduce((n, b) => n + b.count, 0) + ', calls per round: ' + Object.entries(calls).map(([m, c]) => m + '() ' + c / rounds).join(', '));
console.log(mode + ' ' + times.join(' '));
if (observer !== null) {
  // The entries arrive after the rounds (the observer is called from the event loop).
  await new Promise((r) => setTimeout(r, 100));
  observer.disconnect();
  const minor = perf.NODE_PERFORMANCE_GC_MINOR;
  const per = spans.map(([a, b]) => {
    const inRound = gcs.filter((g) => g.startTime >= a && g.startTime < b);
    const sum = (f) => inRound.filter(f).reduce((t, g) => t + g.duration, 0);
    const n = (f) => inRound.filter(f).length;
    const isMinor = (g) => (g.detail?.kind ?? g.kind) === minor;
    return n(isMinor) + ' minor ' + sum(isMinor).toFixed(0) + ' ms, ' + n((g) => !isMinor(g)) + ' other ' + sum((g) => !isMinor(g)).toFixed(0) + ' ms';
  });
  console.log('gc ' + per.join(' | '));
}
`;

// One bundle per run (the pid): runs of one build side by side must not remove each other's.
const out = join(tmpdir(), `pantap-tcp-cost-${createHash('sha256').update(root).digest('hex').slice(0, 12)}-${process.pid}.mjs`);
await bundleDist({ entry, out, resolveDir: root, sourcefile: 'tcp-cost-entry.mjs' });
const words = (v) => (v ?? '').split(' ').filter((a) => a !== '');
const cmd = [...words(process.env.WRAP), process.execPath, ...words(process.env.NODE_ARGS), out, file, process.env.ROUNDS ?? '4'];
const run = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
unlinkSync(out);
process.exit(run.status ?? 1);
