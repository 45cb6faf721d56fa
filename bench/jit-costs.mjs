#!/usr/bin/env node
// Self cost per JIT-compiled function of a callgrind run of node: valgrind names V8's code by
// address only, so each instruction's address is looked up in the perf map V8 writes with
// --perf-basic-prof (/tmp/perf-PID.map, PID being the callgrind file's). With
// --cache-sim=yes the columns include the first-level (D1mr) and last-level (DLmr) read
// misses, so where a line is first read shows up by function.
//
//   node bench/jit-costs.mjs CALLGRIND_OUT PERF_MAP [TOP]
//
// The callgrind run needs --dump-instr=yes --compress-pos=no --compress-strings=no, e.g.
// (bench/README.md, branch tcp6):
//   WRAP="valgrind --tool=callgrind --dump-instr=yes --compress-pos=no --compress-strings=no
//   --cache-sim=yes --D1=32768,8,64 --LL=1048576,16,64 --callgrind-out-file=OUT/cg.%p"
//   NODE_ARGS="--single-threaded --predictable-gc-schedule --perf-basic-prof"
//   F=/tmp/mixed-300k.pcap ROUNDS=2 node bench/tcp-cost.mjs BUILD
// (copy /tmp/perf-PID.map away at once: other runs may clean /tmp). Code outside the map
// (node itself, the C++ runtime) is summed as "(native)".
import { readFileSync } from 'node:fs';

const [out, map, top = '30'] = process.argv.slice(2);
if (out === undefined || map === undefined) {
  console.error('usage: node bench/jit-costs.mjs CALLGRIND_OUT PERF_MAP [TOP]');
  process.exit(2);
}
const ranges = readFileSync(map, 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => {
    const [a, n, ...name] = l.split(' ');
    const start = Number.parseInt(a, 16);
    return { start, end: start + Number.parseInt(n, 16), name: name.join(' ') };
  })
  .sort((x, y) => x.start - y.start);
const starts = ranges.map((r) => r.start);

/** The function whose code holds `addr`, or '(native)'. */
function nameOf(addr) {
  let lo = 0;
  let hi = starts.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= addr) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return at >= 0 && addr < ranges[at].end ? ranges[at].name : '(native)';
}

let events = [];
const costs = new Map();
let skip = false;
for (const line of readFileSync(out, 'utf8').split('\n')) {
  if (line.startsWith('events:')) events = line.split(/\s+/).slice(1);
  else if (line.startsWith('calls=')) skip = true; // the next line is the call's inclusive cost
  else if (skip) skip = false;
  else if (line.startsWith('0x')) {
    // positions "instr line": address, line, then the events
    const p = line.split(/\s+/);
    const name = nameOf(Number.parseInt(p[0], 16));
    let c = costs.get(name);
    if (c === undefined) costs.set(name, (c = new Array(events.length).fill(0)));
    for (let i = 2; i < p.length && i - 2 < events.length; i++) c[i - 2] += Number(p[i]);
  }
}
const total = new Array(events.length).fill(0);
for (const c of costs.values()) c.forEach((v, i) => (total[i] += v));
const row = (c, name) => console.log(c.map((v) => v.toString().padStart(13)).join('') + '  ' + name);
row(events, '');
row(total, 'total');
for (const [name, c] of [...costs].sort((x, y) => y[1][0] - x[1][0]).slice(0, Number(top))) row(c, name.slice(0, 100));
