#!/usr/bin/env node
// External comparison: times pantap and other readers of the same capture, whole process,
// in alternating rounds (round 1: every tool once, round 2: every tool once, ...), and
// reports the median wall time, the ratio to pantap, and the peak RSS.
//
//   node bench/compare.mjs WORKLOAD|FILE [options]
//
//   WORKLOAD            mixed-2M, small-4M, flood-1M (bench/data/WORKLOAD.pcap; make it with
//                       `node bench/workload.mjs WORKLOAD`) or a path to any capture
//   --rounds N          rounds for every tool (default 5)
//   --rounds-slow N     rounds for the slow tools (tshark; default 1)
//   --pantap [ID=]CMD   pantap command, {file} is replaced by the quoted capture path
//                       (default: node dist/cli/bin.js analyze {file} --format json;
//                       skipped when dist/cli/bin.js is missing and no --pantap is given).
//                       Repeat it to time several pantap variants (e.g. worker counts);
//                       ID names the row (default: pantap, pantap-2, ...). The first
//                       variant is the reference of the "ratio vs pantap" column; every
//                       further variant gets a ratio column of its own.
//   --only a,b          run only these tools (ids: node, cat, tcpdump, ndpiReader, tshark, node-floor, node-floor-2t,
//                       pcap-parser, pantap; "pantap" selects every pantap variant)
//   --skip a,b          run all but these tools
//   --data DIR          where workloads live (default bench/data)
//   --results DIR       where the JSON goes (default bench/results; file WORKLOAD.json)
//   --accept-exit 0,1   exit statuses that count as a successful run (default 0); other
//                       runs are reported and left out of the median
//   --no-write          do not write the JSON file
//
// Each run is `/usr/bin/time -v -o TMP CMD` with stdout to /dev/null; wall time is measured
// here (monotonic clock around the child), peak RSS comes from time's "Maximum resident set
// size". A tool that is not installed is skipped; a run that exits non-zero is reported.
// The first 2,000 characters of each run's stderr are kept in the JSON (pantap reports a
// full flow table there).
// Start-up and report: pantap runs with PANTAP_TIMINGS=1, which prints when the first and
// the last batch were aggregated (ms since its process started, with the process's start as
// epoch ms). Start-up = first batch − the moment this script spawned the run; report = the
// moment the run ended here − last batch. The `node` row (`node -e 0`, spawned the same way)
// is the bare Node start-up they are compared with.
// Before the first round the capture is read once (cat) so that every tool reads it from the
// page cache.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, writeFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { join, dirname, basename, resolve, relative } from 'node:path';
import { tmpdir, availableParallelism, cpus, release, totalmem, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function usage(code) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const start = text.findIndex((l) => l.startsWith('//   node bench/compare.mjs'));
  const end = text.findIndex((l, i) => i > start && l.startsWith('//   --no-write'));
  console.error(text.slice(start, end + 1).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(code);
}

function parseArgs(argv) {
  const o = { rounds: 5, roundsSlow: 1, pantap: [], only: null, skip: [], data: join(here, 'data'),
    results: join(here, 'results'), write: true, target: null, acceptExit: [0] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(64);
      return argv[++i];
    };
    if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--rounds-slow') o.roundsSlow = Number(val());
    else if (a === '--pantap') o.pantap.push(val());
    else if (a === '--only') o.only = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--skip') o.skip = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--data') o.data = val();
    else if (a === '--results') o.results = val();
    else if (a === '--no-write') o.write = false;
    else if (a === '--accept-exit') o.acceptExit = val().split(',').map(Number);
    else if (a === '-h' || a === '--help') usage(0);
    else if (a.startsWith('-')) usage(64);
    else if (o.target === null) o.target = a;
    else usage(64);
  }
  if (!o.target || !(o.rounds >= 1) || !(o.roundsSlow >= 1)) usage(64);
  return o;
}

const sh = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
const have = (bin) => sh(`command -v ${bin}`).status === 0;
const firstLine = (s) => (s || '').split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('Running as user')) || null;
const shellQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

function toolVersion(cmd) {
  const r = sh(`${cmd} 2>&1`);
  return firstLine(r.stdout);
}

function machine() {
  let cpuModel = cpus()[0]?.model ?? null;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = info.match(/^model name\s*:\s*(.+)$/m);
    const fam = info.match(/^cpu family\s*:\s*(\d+)$/m);
    const mod = info.match(/^model\s*:\s*(\d+)$/m);
    if (m) cpuModel = m[1].trim() + (fam && mod ? ` (family ${fam[1]}, model ${mod[1]})` : '');
  } catch { /* not Linux */ }
  const nproc = sh('nproc').stdout?.trim();
  return {
    nproc: nproc ? Number(nproc) : availableParallelism(),
    cpu: cpuModel,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function tools(file, opts) {
  const list = [];
  list.push({ id: 'node', label: 'node -e 0 (bare Node start-up and exit)', argv: ['sh', '-c', 'exec node -e 0'], bin: 'node',
    version: () => toolVersion('node --version') });
  list.push({ id: 'cat', label: 'cat FILE > /dev/null', argv: ['cat', file], bin: 'cat',
    version: null });
  list.push({ id: 'tcpdump', label: 'tcpdump -r FILE -w /dev/null', argv: ['tcpdump', '-r', file, '-w', '/dev/null'],
    bin: 'tcpdump', version: () => toolVersion('tcpdump --version') });
  list.push({ id: 'ndpiReader', label: 'ndpiReader -i FILE -q', argv: ['ndpiReader', '-i', file, '-q'],
    bin: 'ndpiReader', version: () => (toolVersion('ndpiReader -h') || '').replace(/^Welcome to /, '') || null });
  list.push({ id: 'tshark', label: 'tshark -r FILE -q -z conv,tcp -z conv,udp', argv: ['tshark', '-r', file, '-q', '-z', 'conv,tcp', '-z', 'conv,udp'],
    bin: 'tshark', slow: true, version: () => toolVersion('tshark --version') });
  let pcapParser = null;
  try {
    const req = createRequire(join(root, 'package.json'));
    pcapParser = JSON.parse(readFileSync(req.resolve('pcap-parser/package.json'), 'utf8')).version;
  } catch { /* not installed */ }
  list.push({ id: 'pcap-parser', label: 'pcap-parser event loop (bench/pcap-parser-loop.mjs)',
    argv: [process.execPath, join(here, 'pcap-parser-loop.mjs'), file], available: pcapParser !== null,
    version: pcapParser ? `pcap-parser ${pcapParser}` : null });
  // What no Node.js program can beat on this file: read it and step over its records.
  list.push({ id: 'node-floor', label: 'Node floor, one thread: readSync + record walk (bench/node-floor.mjs)',
    argv: [process.execPath, join(here, 'node-floor.mjs'), file], available: true, version: () => toolVersion('node --version') });
  list.push({ id: 'node-floor-2t', label: 'Node floor, two threads: a reader worker + record walk (bench/node-floor.mjs --threads 2)',
    argv: [process.execPath, join(here, 'node-floor.mjs'), file, '--threads', '2'], available: true, version: () => toolVersion('node --version') });
  // dist/cli/main.js only exports main(); bin.js is the executable entry point.
  const defaultPantap = 'node dist/cli/bin.js analyze {file} --format json';
  const variants = opts.pantap.length ? opts.pantap : [defaultPantap];
  const pantapAvailable = opts.pantap.length > 0 || existsSync(join(root, 'dist/cli/bin.js'));
  const pantapVersion = () => `pantap ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}`;
  variants.forEach((spec, i) => {
    const m = spec.match(/^([A-Za-z][\w.-]*)=(.*)$/s);
    const id = m ? m[1] : i === 0 ? 'pantap' : `pantap-${i + 1}`;
    const cmd = m ? m[2] : spec;
    list.push({ id, pantap: true, ref: i === 0, label: `${id}: ${cmd.replaceAll('{file}', 'FILE')}`,
      argv: ['sh', '-c', `exec ${cmd.replaceAll('{file}', shellQuote(file))}`], available: pantapAvailable,
      why: pantapAvailable ? null : 'dist/cli/bin.js missing (npm run build)', cwd: root, version: pantapVersion });
  });
  return list;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Epoch ms with sub-ms resolution, comparable with a child's performance.timeOrigin. */
const epochMs = () => performance.timeOrigin + performance.now();
const TIMINGS = /first-batch ([\d.]+|none), last-batch ([\d.]+|none), exit ([\d.]+); cpu at first-batch ([\d.]+|none), at last-batch ([\d.]+|none), at exit ([\d.]+); origin ([\d.]+)/;

function medianOf(xs) {
  const v = xs.filter((x) => typeof x === 'number');
  return v.length ? Math.round(median(v) * 10) / 10 : null;
}

function runOnce(tool, timeBin, tmp, acceptExit) {
  const out = join(tmp, 'time.txt');
  const argv = timeBin ? [timeBin, '-v', '-o', out, ...tool.argv] : tool.argv;
  const env = tool.pantap ? { ...process.env, PANTAP_TIMINGS: '1' } : process.env;
  const e0 = epochMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: tool.cwd ?? root, stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 << 20, encoding: 'utf8', env });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const e1 = epochMs();
  let startupMs = null, reportMs = null, firstBatchCpuMs = null;
  const tm = tool.pantap ? (r.stderr || '').match(TIMINGS) : null;
  if (tm && tm[1] !== 'none') {
    const origin = Number(tm[7]);
    startupMs = Math.round((origin + Number(tm[1]) - e0) * 10) / 10;
    reportMs = Math.round((e1 - (origin + Number(tm[2]))) * 10) / 10;
    firstBatchCpuMs = Number(tm[4]);
  }
  let rssKiB = null;
  if (timeBin && existsSync(out)) {
    const m = readFileSync(out, 'utf8').match(/Maximum resident set size \(kbytes\):\s*(\d+)/);
    if (m) rssKiB = Number(m[1]);
    rmSync(out, { force: true });
  }
  const status = r.status ?? (r.signal ? 128 : 1);
  const err = !acceptExit.includes(status) ? (firstLine(r.stderr) ?? r.error?.message ?? `exit ${status}`) : null;
  const stderr = (r.stderr || '').slice(0, 2000) || null;
  return { wall, rssKiB, exit: status, ok: err === null, error: err, stderr, startupMs, reportMs, firstBatchCpuMs };
}

const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));

function main() {
  const opts = parseArgs(process.argv.slice(2));
  let file = opts.target;
  let workload = basename(file).replace(/\.(pcapng|pcap)(\.gz)?$/, '');
  if (!existsSync(file)) {
    file = join(opts.data, `${opts.target}.pcap`);
    workload = opts.target;
    if (!existsSync(file)) {
      console.error(`compare.mjs: ${file} not found; make it with: node bench/workload.mjs ${opts.target}`);
      process.exit(66);
    }
  }
  file = resolve(file);
  const size = statSync(file).size;
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  if (!timeBin) console.error('compare.mjs: /usr/bin/time missing (apt-get install time): no peak RSS');

  let list = tools(file, opts);
  const picked = (t, ids) => ids.includes(t.id) || (t.pantap && ids.includes('pantap'));
  if (opts.only) list = list.filter((t) => picked(t, opts.only));
  list = list.filter((t) => !picked(t, opts.skip));
  const skipped = [];
  list = list.filter((t) => {
    const ok = t.available ?? have(t.bin);
    if (!ok) skipped.push({ id: t.id, why: t.why ?? `${t.bin ?? t.id} not installed` });
    return ok;
  });
  for (const t of list) t.versionText = typeof t.version === 'function' ? t.version() : t.version;

  const mach = machine();
  console.log(`# compare: ${workload} (${relative(root, file) || file}, ${(size / 1e6).toFixed(1)} MB)`);
  console.log(`machine: ${mach.nproc} cores (nproc), ${mach.cpu}, ${mach.memoryGiB} GiB, Linux ${mach.kernel}, node ${mach.node}; load average ${mach.loadavgAtStart.join(' ')}`);
  console.log(`rounds: ${opts.rounds} (slow tools: ${opts.roundsSlow}), alternating; median wall time of whole processes`);
  for (const s of skipped) console.log(`skipped ${s.id}: ${s.why}`);

  // Warm the page cache.
  spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] });

  const tmp = mkdtempSync(join(tmpdir(), 'pantap-compare-'));
  const runs = new Map(list.map((t) => [t.id, []]));
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const t of list) {
        if (t.slow && round > opts.roundsSlow) continue;
        process.stderr.write(`round ${round}/${opts.rounds} ${t.id} ... `);
        const r = runOnce(t, timeBin, tmp, opts.acceptExit);
        runs.get(t.id).push(r);
        process.stderr.write(`${fmt(r.wall)} s, ${r.rssKiB ? fmt(r.rssKiB / 1024, 1) + ' MiB' : 'RSS n/a'}${r.error ? ` (exit ${r.exit}: ${r.error})` : ''}\n`);
        if (t.pantap && round === 1 && r.stderr) process.stderr.write(`  ${t.id} stderr: ${firstLine(r.stderr)}\n`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const rows = list.map((t) => {
    const rs = runs.get(t.id);
    const ok = rs.filter((r) => r.ok);
    const rss = rs.map((r) => r.rssKiB).filter((x) => x !== null);
    return {
      id: t.id, pantap: t.pantap === true, command: t.label, version: t.versionText ?? null, runs: rs.map((r) => ({ ...r, wall: Math.round(r.wall * 1e4) / 1e4 })),
      medianWallSeconds: ok.length ? Math.round(median(ok.map((r) => r.wall)) * 1e4) / 1e4 : null,
      minWallSeconds: ok.length ? Math.round(Math.min(...ok.map((r) => r.wall)) * 1e4) / 1e4 : null,
      maxWallSeconds: ok.length ? Math.round(Math.max(...ok.map((r) => r.wall)) * 1e4) / 1e4 : null,
      peakRssMiB: rss.length ? Math.round((Math.max(...rss) / 1024) * 10) / 10 : null,
      // pantap only (PANTAP_TIMINGS): medians over the successful runs, ms.
      medianStartupMs: medianOf(ok.map((r) => r.startupMs)),
      medianReportMs: medianOf(ok.map((r) => r.reportMs)),
      medianFirstBatchCpuMs: medianOf(ok.map((r) => r.firstBatchCpuMs)),
      failedRuns: rs.length - ok.length,
      firstError: rs.find((r) => r.error)?.error ?? null,
    };
  });
  mach.loadavgAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  // Ratio = tool time / pantap time (> 1: pantap is faster), against every pantap variant;
  // ratioVsPantap is against the first (reference) variant.
  const pantapRows = rows.filter((r) => r.pantap && r.medianWallSeconds !== null);
  const refId = list.find((t) => t.ref)?.id;
  const pantap = rows.find((r) => r.id === refId)?.medianWallSeconds ?? null;
  const ratio = (x, y) => (x !== null && y ? Math.round((x / y) * 100) / 100 : null);
  for (const r of rows) {
    r.ratioVsPantap = ratio(r.medianWallSeconds, pantap);
    r.ratios = Object.fromEntries(pantapRows.map((p) => [p.id, ratio(r.medianWallSeconds, p.medianWallSeconds)]));
  }
  const extra = pantapRows.filter((p) => p.id !== refId);

  console.log('');
  console.log(`| tool | median wall s | ratio vs pantap |${extra.map((p) => ` ratio vs ${p.id} |`).join('')} peak RSS MiB | runs | min–max s |`);
  console.log(`| --- | ---: | ---: |${extra.map(() => ' ---: |').join('')} ---: | ---: | ---: |`);
  for (const r of rows) {
    const fail = r.failedRuns ? ` (${r.failedRuns} failed: ${r.firstError})` : '';
    const cols = extra.map((p) => ` ${r.ratios[p.id] === null ? 'n/a' : fmt(r.ratios[p.id])} |`).join('');
    console.log(`| ${r.command} | ${fmt(r.medianWallSeconds)} | ${r.ratioVsPantap === null ? 'n/a' : fmt(r.ratioVsPantap)} |${cols} ${fmt(r.peakRssMiB, 1)} | ${r.runs.length}${fail} | ${fmt(r.minWallSeconds)}–${fmt(r.maxWallSeconds)} |`);
  }
  if (!pantap) console.log('\n(ratio vs pantap: n/a, pantap was not run or did not succeed)');
  const nodeRow = rows.find((r) => r.id === 'node');
  for (const r of rows.filter((x) => x.pantap && x.medianStartupMs !== null)) {
    const beyond = nodeRow?.medianWallSeconds ? ` (${fmt(r.medianStartupMs - nodeRow.medianWallSeconds * 1000, 1)} ms beyond node -e 0's ${fmt(nodeRow.medianWallSeconds * 1000, 1)} ms)` : '';
    console.log(`${r.id}: start-up (spawn to first batch) ${fmt(r.medianStartupMs, 1)} ms${beyond}, CPU by then ${fmt(r.medianFirstBatchCpuMs, 1)} ms; report (last batch to exit) ${fmt(r.medianReportMs, 1)} ms`);
  }
  console.log(`load average at the end: ${mach.loadavgAtEnd.join(' ')}`);
  for (const t of list) if (t.versionText) console.log(`${t.id}: ${t.versionText}`);

  const result = {
    workload, file: relative(root, file) || file, bytes: size, date: new Date().toISOString(),
    machine: mach, rounds: opts.rounds, roundsSlow: opts.roundsSlow, measure: 'median wall time of whole-process runs, alternating rounds, warm page cache; peak RSS = max over runs of /usr/bin/time -v maximum resident set size',
    tools: rows, skipped,
  };
  if (opts.write) {
    mkdirSync(opts.results, { recursive: true });
    const out = join(opts.results, `${workload}.json`);
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(`\nwrote ${relative(process.cwd(), out) || out}`);
  }
}

main();
