#!/usr/bin/env node
// What `npm run bench` runs (after npm run build):
//   1. makes the workloads that are missing (node bench/workload.mjs ...),
//   2. runs the benny suites (bench/suites/*.mjs, each in its own process),
//   3. runs bench/compare.mjs on mixed-2M, small-4M and flood-1M with pantap's default
//      worker count and --workers 0, 1 and 2, and checks the issue's targets (issue 13:
//      speed ratios, start-up and report times, peak RSS, flood overflow),
//   4. measures core scaling on mixed-2M: one core (taskset -c 0) and two, 0–2 workers.
//
//   node bench/run.mjs [--quick] [--no-suites] [--no-compare] [--no-scaling] [--workloads a,b] [--targets] [--live]
//
//   --quick        only the benny suites, on a 50k-packet slice with short cases
//   --no-suites    skip the benny suites
//   --no-compare   skip the external comparison
//   --workloads    comparison workloads (default mixed-2M,small-4M,flood-1M)
//   --no-scaling   skip the core-scaling runs
//   --targets      run nothing: check the targets against bench/results/WORKLOAD.json (and
//                  print the scaling table from bench/results/scaling/mixed-2M.json)
//   --live         also run bench/live-replay.mjs (live capture at increasing tcpreplay rates
//                  over a veth pair in throw-away network namespaces; needs root and
//                  tcpreplay, so it is never part of the default run). Alone with
//                  --no-suites --no-compare it runs only that.
//
// Suites save to bench/results/SUITE.json, comparisons to bench/results/WORKLOAD.json, the
// target check to bench/results/targets.json. Ratios are from one run on one machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const opt = (f) => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
const quick = flag('--quick');
const targetsOnly = flag('--targets');
const runSuites = !targetsOnly && !flag('--no-suites');
const runCompare = !targetsOnly && !quick && !flag('--no-compare');
const workloads = (opt('--workloads') ?? 'mixed-2M,small-4M,flood-1M').split(',').filter(Boolean);
const runLive = !targetsOnly && flag('--live');
const runScaling = runCompare && !flag('--no-scaling') && workloads.includes('mixed-2M');

// Rounds per workload: flood-1M is slow for ndpiReader and pantap alike.
const ROUNDS = { 'mixed-2M': 5, 'small-4M': 5, 'flood-1M': 3 };
const PANTAP = 'node dist/cli/bin.js analyze {file} --format json';
const VARIANTS = [
  `pantap=${PANTAP}`,
  `pantap-w0=${PANTAP} --workers 0`,
  `pantap-w1=${PANTAP} --workers 1`,
  `pantap-w2=${PANTAP} --workers 2`,
];
// Targets of issue 13, as ratios measured in one run. `atMost`: pantap time / tool time
// must be <= it; `faster`: tool time / pantap time must be >= it. Start-up and report come
// from PANTAP_TIMINGS (bench/compare.mjs): start-up = spawn to first batch aggregated, less
// the `node -e 0` row's whole run; report = last batch aggregated to the process's end.
const TARGETS = {
  'mixed-2M': [
    { what: 'pantap wall <= 1.0x tcpdump copy (pantap/tcpdump)', tool: 'tcpdump', atMost: 1.0 },
    { what: '>= 4x faster than pcap-parser bare loop (pcap-parser/pantap)', tool: 'pcap-parser', faster: 4 },
    { what: '>= 10x faster than ndpiReader (ndpiReader/pantap)', tool: 'ndpiReader', faster: 10 },
    { what: '>= 60x faster than tshark (tshark/pantap)', tool: 'tshark', faster: 60 },
    { what: 'start-up (process start to first batch) <= 50 ms beyond node -e 0', startupBeyondMs: 50 },
    { what: 'report (last batch to exit) <= 50 ms on 20,000 flows', reportMs: 50 },
    { what: 'peak RSS <= 200 MiB', rssMiB: 200 },
  ],
  'small-4M': [{ what: 'pantap wall <= 1.5x tcpdump copy (pantap/tcpdump)', tool: 'tcpdump', atMost: 1.5 }],
  'flood-1M': [
    { what: 'completes (exit 0 on every run)', completes: true },
    { what: 'flow-table overflow reported on stderr', stderr: /flow table full/i },
    { what: 'peak RSS <= 512 MiB', rssMiB: 512 },
  ],
};

// Core scaling (mixed-2M): the same run on one core and on two, with 0, 1 and 2 workers.
const SCALING = [
  { id: 'one-core-w0', cores: 1, workers: 0, cmd: `taskset -c 0 ${PANTAP} --workers 0` },
  { id: 'one-core-w1', cores: 1, workers: 1, cmd: `taskset -c 0 ${PANTAP} --workers 1` },
  { id: 'two-cores-w0', cores: 2, workers: 0, cmd: `${PANTAP} --workers 0` },
  { id: 'two-cores-w1', cores: 2, workers: 1, cmd: `${PANTAP} --workers 1` },
  { id: 'two-cores-w2', cores: 2, workers: 2, cmd: `${PANTAP} --workers 2` },
];
const SCALING_PACKETS = { 'mixed-2M': 2_000_000 };

function step(title) {
  console.log(`\n=== ${title} ===`);
}

function run(argv, what) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: ${what} failed (exit ${r.status ?? r.signal})`);
    process.exitCode = 1;
  }
  return r.status === 0;
}

if (!existsSync(join(root, 'dist/cli/bin.js'))) {
  console.error('bench: dist/ missing: run npm run build first (npm run bench does)');
  process.exit(66);
}

// 1. Workloads. The suites slice mixed-2M; the comparison needs all three.
const EXPECTED_SIZE = { 'mixed-2M': 947_043_299, 'small-4M': 320_000_024, 'flood-1M': 76_000_024 };
const needed = runCompare ? workloads : ['mixed-2M'];
const missing = needed.filter((w) => {
  const p = join(here, 'data', `${w}.pcap`);
  return !existsSync(p) || (EXPECTED_SIZE[w] && statSync(p).size !== EXPECTED_SIZE[w]);
});
if (missing.length) {
  step(`workloads: generating ${missing.join(', ')}`);
  const all = Object.keys(EXPECTED_SIZE).every((w) => missing.includes(w));
  if (!run([process.execPath, join(here, 'workload.mjs'), ...(all ? ['all'] : missing)], 'workload.mjs')) process.exit(1);
}

// 2. benny suites.
if (runSuites) {
  const suites = readdirSync(join(here, 'suites')).filter((f) => f.endsWith('.mjs') && f !== 'common.mjs').sort();
  for (const s of suites) {
    step(`benny suite ${s}${quick ? ' (--quick)' : ''}`);
    run([process.execPath, join(here, 'suites', s), ...(quick ? ['--quick'] : [])], s);
  }
}

// 3. External comparison, then the targets.
if (runCompare) {
  const results = {};
  for (const w of workloads) {
    step(`compare ${w}`);
    const rounds = String(ROUNDS[w] ?? 5);
    run([process.execPath, join(here, 'compare.mjs'), w, '--rounds', rounds, ...VARIANTS.flatMap((v) => ['--pantap', v])], `compare.mjs ${w}`);
    const file = join(here, 'results', `${w}.json`);
    if (existsSync(file)) results[w] = JSON.parse(readFileSync(file, 'utf8'));
  }
  checkTargets(results);
  if (runScaling) {
    step('core scaling: mixed-2M on one core (taskset -c 0) and two');
    const dir = join(here, 'results', 'scaling');
    run([process.execPath, join(here, 'compare.mjs'), 'mixed-2M', '--rounds', '3', '--only', 'pantap', '--results', dir, ...SCALING.flatMap((v) => ['--pantap', `${v.id}=${v.cmd}`])], 'compare.mjs scaling');
    printScaling();
  }
} else if (targetsOnly) {
  const results = {};
  for (const w of workloads) {
    const file = join(here, 'results', `${w}.json`);
    if (existsSync(file)) results[w] = JSON.parse(readFileSync(file, 'utf8'));
  }
  checkTargets(results);
  printScaling();
}

/** Throughput by cores and workers, from bench/results/scaling/mixed-2M.json. */
function printScaling() {
  const file = join(here, 'results', 'scaling', 'mixed-2M.json');
  if (!existsSync(file)) return;
  const res = JSON.parse(readFileSync(file, 'utf8'));
  step(`core scaling (mixed-2M, ${res.rounds} alternating rounds, ${res.date}; load average ${res.machine.loadavgAtStart.join(' ')} → ${res.machine.loadavgAtEnd.join(' ')})`);
  const base = res.tools.find((t) => t.id === SCALING[0].id)?.medianWallSeconds ?? null;
  console.log('| cores | workers | median wall s | packets/s | MB/s | vs 1 core, 0 workers |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const v of SCALING) {
    const t = res.tools.find((x) => x.id === v.id);
    const s = t?.medianWallSeconds ?? null;
    if (s === null) continue;
    const pps = SCALING_PACKETS[res.workload] / s;
    console.log(`| ${v.cores} | ${v.workers} | ${s.toFixed(2)} | ${(pps / 1e6).toFixed(2)} M | ${(res.bytes / 1e6 / s).toFixed(0)} | ${base ? (base / s).toFixed(2) : 'n/a'}x |`);
  }
}

// 4. Live capture (opt-in: root, tcpreplay, network namespaces).
if (runLive) {
  step('live capture: bench/live-replay.mjs (tcpreplay over a namespaced veth pair)');
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    console.error('bench: --live needs root (network namespaces and packet sockets): skipped');
    process.exitCode = 1;
  } else {
    run([process.execPath, join(here, 'live-replay.mjs')], 'live-replay.mjs');
  }
}

function checkTargets(results) {
  step('targets (ratios of median wall times from one compare.mjs run per workload; ok = met)');
  const ids = VARIANTS.map((v) => v.split('=')[0]);
  const out = [];
  const load = Object.entries(results).map(([w, r]) => `${w} ${r.machine.loadavgAtStart.join(' ')} → ${r.machine.loadavgAtEnd.join(' ')}`);
  console.log(`load average (1, 5, 15 min) at the start and end of each comparison: ${load.join('; ')}`);
  console.log(`| workload | target | ${ids.join(' | ')} |`);
  console.log(`| --- | --- |${ids.map(() => ' --- |').join('')}`);
  for (const [w, targets] of Object.entries(TARGETS)) {
    const res = results[w];
    if (!res) continue;
    const row = (id) => res.tools.find((t) => t.id === id);
    for (const t of targets) {
      const cells = ids.map((id) => {
        const p = row(id);
        if (!p) return { text: 'n/a', ok: null };
        if (t.tool) {
          const other = row(t.tool);
          if (!other || other.medianWallSeconds === null || p.medianWallSeconds === null) return { text: 'n/a', ok: null };
          if (t.atMost !== undefined) {
            const ratio = p.medianWallSeconds / other.medianWallSeconds;
            return { value: ratio, text: `${ratio.toFixed(2)}x`, ok: ratio <= t.atMost };
          }
          const ratio = other.medianWallSeconds / p.medianWallSeconds;
          return { value: ratio, text: `${ratio.toFixed(2)}x`, ok: ratio >= t.faster };
        }
        if (t.startupBeyondMs !== undefined) {
          const node = row('node');
          if (!node?.medianWallSeconds || p.medianStartupMs == null) return { text: 'n/a', ok: null };
          const beyond = p.medianStartupMs - node.medianWallSeconds * 1000;
          return { value: beyond, text: `${beyond.toFixed(0)} ms (${p.medianStartupMs.toFixed(0)} vs ${(node.medianWallSeconds * 1000).toFixed(0)})`, ok: beyond <= t.startupBeyondMs };
        }
        if (t.reportMs !== undefined) {
          if (p.medianReportMs == null) return { text: 'n/a', ok: null };
          return { value: p.medianReportMs, text: `${p.medianReportMs.toFixed(0)} ms`, ok: p.medianReportMs <= t.reportMs };
        }
        if (t.rssMiB) return { value: p.peakRssMiB, text: `${p.peakRssMiB} MiB`, ok: p.peakRssMiB !== null && p.peakRssMiB <= t.rssMiB };
        if (t.completes) return { text: `${p.runs.length - p.failedRuns}/${p.runs.length} runs`, ok: p.failedRuns === 0 && p.runs.length > 0 };
        if (t.stderr) {
          const seen = p.runs.filter((r) => t.stderr.test(r.stderr ?? '')).length;
          return { text: `${seen}/${p.runs.length} runs`, ok: seen === p.runs.length && seen > 0 };
        }
        return { text: 'n/a', ok: null };
      });
      out.push({ workload: w, target: t.what, ...Object.fromEntries(ids.map((id, i) => [id, cells[i]])) });
      const mark = (c) => (c.ok === null ? c.text : `${c.text} ${c.ok ? 'ok' : 'NOT met'}`);
      console.log(`| ${w} | ${t.what} | ${cells.map(mark).join(' | ')} |`);
    }
  }
  const floors = floorRatios(results);
  const fastest = Object.entries(results).map(([w, res]) => {
    const ps = res.tools.filter((t) => ids.includes(t.id) && t.medianWallSeconds !== null);
    ps.sort((a, b) => a.medianWallSeconds - b.medianWallSeconds);
    return { workload: w, order: ps.map((p) => ({ id: p.id, medianWallSeconds: p.medianWallSeconds, peakRssMiB: p.peakRssMiB })) };
  });
  console.log('\npantap variants, fastest first (median wall s):');
  for (const f of fastest) console.log(`  ${f.workload}: ${f.order.map((o) => `${o.id} ${o.medianWallSeconds.toFixed(2)}`).join(' < ')}`);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'targets.json'), JSON.stringify({ date: new Date().toISOString(), targets: out, floors, fastest }, null, 2) + '\n');
}

/**
 * For the report target, the time bench/json-floor.mjs takes to serialise pantap's own
 * report of the workload. For each speed target, the ratio that bench/node-floor.mjs itself reaches (the faster of
 * its one- and two-thread rows): a Node.js program that only reads the file and steps over
 * its records. A target the floor misses is missed by reading alone, before a single
 * packet is decoded; a report target json-floor misses is missed by V8's serialiser alone.
 */
function floorRatios(results) {
  const rows = [];
  for (const [w, targets] of Object.entries(TARGETS)) {
    const res = results[w];
    if (!res) continue;
    const wall = (id) => res.tools.find((t) => t.id === id)?.medianWallSeconds ?? null;
    const floors = ['node-floor', 'node-floor-2t'].map((id) => ({ id, s: wall(id) })).filter((f) => f.s !== null);
    if (!floors.length) continue;
    floors.sort((a, b) => a.s - b.s);
    const floor = floors[0];
    for (const t of targets) {
      if (t.reportMs !== undefined) {
        const json = reportFloor(w);
        if (json) rows.push({ workload: w, target: t.what, floor: 'json-floor', floorMs: json.totalMs, json, reachable: json.totalMs <= t.reportMs });
        continue;
      }
      const other = t.tool ? wall(t.tool) : null;
      if (other === null) continue;
      const ratio = t.atMost !== undefined ? floor.s / other : other / floor.s;
      const ok = t.atMost !== undefined ? ratio <= t.atMost : ratio >= t.faster;
      rows.push({ workload: w, target: t.what, floor: floor.id, floorSeconds: floor.s, ratio, reachable: ok });
    }
  }
  if (!rows.length) return rows;
  console.log('\nthe same targets for their floors (bench/node-floor.mjs: read the file and step over its records, decode nothing; bench/json-floor.mjs: serialise the finished report):');
  console.log('| workload | target | floor (median wall s) | the floor\'s own ratio |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) {
    if (r.json) {
      console.log(`| ${r.workload} | ${r.target} | json-floor: JSON.stringify + UTF-8 encode of pantap's own ${(r.json.bytes / 1e6).toFixed(1)} MB report | ${r.floorMs.toFixed(0)} ms ${r.reachable ? 'within the target' : "misses it: V8's own serialiser takes longer than the target"} |`);
      continue;
    }
    console.log(`| ${r.workload} | ${r.target} | ${r.floor} ${r.floorSeconds.toFixed(2)} | ${r.ratio.toFixed(2)}x ${r.reachable ? 'within the target' : 'misses it before decoding anything'} |`);
  }
  return rows;
}

/** bench/json-floor.mjs on a workload: serialising pantap's finished report, fastest of 5. */
function reportFloor(w) {
  const r = spawnSync(process.execPath, [join(here, 'json-floor.mjs'), join(here, 'data', `${w}.pcap`)], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`bench: json-floor.mjs ${w} failed (exit ${r.status ?? r.signal}): ${r.stderr.trim()}`);
    return null;
  }
  return JSON.parse(r.stdout);
}
