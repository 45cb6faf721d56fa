#!/usr/bin/env node
// Times the two phases of one inline FlowSession over a capture (issue 13): the feed
// (reading, decoding, flow table, per-flow state: `feedFiles`) and the finish (classifying,
// summarising: `finish`), wall and CPU (user + system, all threads) milliseconds.
//
//   node bench/feed-phase.mjs [BUILD_DIR [LABEL]]
//     BUILD_DIR: a checkout whose dist/ is built (default: this one), to compare builds in
//     turn (A/B). Environment: F=capture (default bench/data/mixed-2M.pcap), FEEDONLY=1 to
//     stop after the feed (for profiles and cachegrind), KEEPFLOWS=0 to drop the classified flows
//     as the CLI does (default: finish keeps them all), BB=batch bytes, FORMAT=json|text to
//     also time the rendering and writing of the summary to /dev/null as the CLI does it
//     (`emit`, -o /dev/null): "report" is then finish + emit, the CLI's last batch to exit.
//     FORMAT=text|markdown|html makes the listed flows without Community ID and TCP facts, as
//     the CLI does for those formats (SessionOptions.listedFacts).
//
// Deterministic instruction and cache-miss counts of the feed (the machine is shared, wall
// times are not): see bench/README.md, "Issue 13: the feed".
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.argv[2] ?? join(here, '..'));
const label = process.argv[3] ?? root;
const load = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { loadCatalog } = await load('catalog/load.js');
const { feedFiles } = await load('session/files.js');
const { FlowSession } = await load('session/session.js');

const file = process.env.F ?? join(here, 'data', 'mixed-2M.pcap');
const cpuMs = (c) => (c.user + c.system) / 1000;
const c0 = process.cpuUsage();
const t0 = performance.now();
const session = new FlowSession({
  catalog: loadCatalog(),
  inventory: null,
  maxFlows: 500_000,
  ...(process.env.BB ? { batchBytes: Number(process.env.BB) } : {}),
  allFlows: false,
  maxListed: 10_000,
  topPairs: 5,
  timeouts: null,
  workers: 0,
  inputNames: [file],
  // As the CLI: the formats that show no flow's Community ID or TCP facts do without them.
  ...(['text', 'markdown', 'html'].includes(process.env.FORMAT ?? '') ? { listedFacts: false } : {}),
});
const read = await feedFiles(session, [file]);
const t1 = performance.now();
const c1 = cpuMs(process.cpuUsage(c0));
if (process.env.FEEDONLY) {
  console.log(`${label} feed ${(t1 - t0).toFixed(0)} cpu ${c1.toFixed(0)}`);
  process.exit(0);
}
// KEEPFLOWS=0: as the CLI without --flows-ndjson or --export (classified flows folded in and dropped).
const { summary } = await session.finish(read, process.env.KEEPFLOWS !== '0');
const t2 = performance.now();
const c2 = cpuMs(process.cpuUsage(c0));
let report = '';
if (process.env.FORMAT) {
  const { emit } = await load('cli/analyze-command.js');
  const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, warn: () => undefined };
  await emit(summary, { format: process.env.FORMAT, output: '/dev/null', color: false }, io);
  const t3 = performance.now();
  const c3 = cpuMs(process.cpuUsage(c0));
  report = ` emit ${(t3 - t2).toFixed(0)} cpu ${(c3 - c2).toFixed(0)} report ${(t3 - t1).toFixed(0)} cpu ${(c3 - c1).toFixed(0)} rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`;
}
console.log(`${label} feed ${(t1 - t0).toFixed(0)} cpu ${c1.toFixed(0)} finish ${(t2 - t1).toFixed(0)} cpu ${(c2 - c1).toFixed(0)}${report}`);
