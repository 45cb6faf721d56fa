#!/usr/bin/env node
// Live-capture throughput: replays a prefix of the mixed-2M workload with tcpreplay at
// increasing packet rates into a veth pair whose two ends live in two network namespaces
// this script creates, captures on the far end with `pantap live -F json`, and reports,
// per series (backend plus optional pantap arguments) and rate, what pantap received
// against what was sent.
//
//   node bench/live-replay.mjs [--backends "native,cap,native:--snaplen 1518"]
//                              [--rates 10000,25000,...,400000|max] [--packets 300000]
//                              [--min-seconds 4] [--grace 1] [--max-seconds 900]
//                              [--keep-going] [--no-write] [--results FILE]
//
// Needs root (network namespaces, packet sockets), tcpreplay, ip and ss (iproute2) and
// /usr/bin/time (Debian package `time`). `node bench/run.mjs --live` runs it too.
//
// Network containment: namespaces ptr-a-<pid> (sender) and ptr-b-<pid> (capture) joined by
// the veth pair ptra<pid> / ptrb<pid>. No addresses, IPv6 off, forwarding off: nothing
// answers or forwards the replayed frames, they only exist on that one link. tcpreplay runs
// inside ptr-a via `ip netns exec` with -i ptra<pid>; pantap captures ptrb<pid> inside
// ptr-b. Both namespaces are deleted at the end, on errors and on Ctrl-C / SIGTERM.
//
// Method (see bench/README.md, "Live capture"):
// - Input: the first --packets records of bench/data/mixed-2M.pcap (bench/slice.mjs makes
//   bench/data/mixed-<N>k.pcap once). tcpreplay preloads it and replays it --loop times so
//   that a step lasts at least --min-seconds at the target rate (a short burst would be
//   absorbed by the kernel ring and say little about a sustained rate). --min-seconds 0
//   replays the prefix exactly once.
// - pantap runs from a snapshot of dist/ (bench/data/.dist-live) taken at the start, so a
//   concurrent rebuild cannot change it mid-sweep; a step whose pantap fails to start or
//   prints no summary is retried once after npm run build.
// - Per step: start `pantap live -i ptrb<pid> -F json --backend B [ARGS] -c SENT
//   --duration CAP` under /usr/bin/time -v, wait until its packet socket is open (and read
//   the ring layout with ss -0 -e), run `tcpreplay -i ptra<pid> --pps=RATE --preload-pcap
//   --loop=L`, then give pantap --grace seconds to reach its count; if it has not, SIGINT
//   ends it (the summary is still printed). Recorded: tcpreplay's achieved rate ("Rated:
//   ... pps") and packets, pantap's input.packets and capture.{received,dropped,ifDropped},
//   the veth counters of both ends, pantap's CPU during the replay (main thread, whole
//   process, busiest threads, from /proc), peak RSS and CPU of pantap and tcpreplay (time
//   -v), load average.
// - Zero-drop step: pantap's packet count equals the packets tcpreplay sent, and the kernel
//   reports no drops (dropped = ifDropped = 0; cap reports none). Rates are raised until
//   the first step with drops (--keep-going runs them all).
// - Output: a markdown table per series on stdout, JSON in bench/results/live-replay.json.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const opt = (f, d) => (args.includes(f) ? args[args.indexOf(f) + 1] : d);

// A series is a backend plus optional extra pantap arguments: 'native', 'cap',
// 'native:--snaplen 1518'. The third default series shows what the default snaplen costs
// (see the README: with immediate mode libpcap sizes ring slots by the snaplen).
const SERIES = opt('--backends', 'native,cap,native:--snaplen 1518')
  .split(',')
  .filter(Boolean)
  .map((spec) => {
    const [backend, extra = ''] = spec.split(/:(.*)/s);
    return { name: spec.replace(':', ' '), backend, extra: extra.split(/\s+/).filter(Boolean) };
  });
const RATES = opt('--rates', '10000,25000,50000,100000,150000,200000,300000,400000')
  .split(',')
  .filter(Boolean)
  .map((r) => (r === 'max' ? 'max' : Number(r)));
const PACKETS = Number(opt('--packets', '300000'));
const MIN_SECONDS = Number(opt('--min-seconds', '4'));
const GRACE_MS = Number(opt('--grace', '1')) * 1000;
const MAX_SECONDS = Number(opt('--max-seconds', '900'));
const WRITE = !flag('--no-write');
const KEEP_GOING = flag('--keep-going');
const RESULTS = resolve(opt('--results', join(here, 'results', 'live-replay.json')));

for (const { backend } of SERIES) if (backend !== 'native' && backend !== 'cap') usage(`unknown backend '${backend}'`);
for (const r of RATES) if (r !== 'max' && !(r > 0)) usage(`bad rate '${r}'`);
if (!(PACKETS > 0) || !(MIN_SECONDS >= 0) || !(GRACE_MS >= 0) || !(MAX_SECONDS > 0)) usage('bad numeric option');

function usage(msg) {
  console.error(`live-replay: ${msg}`);
  console.error('usage: node bench/live-replay.mjs [--backends "native,cap,native:--snaplen 1518"] [--rates 10000,25000,...|max] [--packets N] [--min-seconds S] [--grace S] [--max-seconds S] [--keep-going] [--no-write] [--results FILE]');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------
// Preconditions.
if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  console.error('live-replay: needs root (network namespaces and packet sockets)');
  process.exit(77);
}
for (const [cmd, arg] of [
  ['ip', '-V'],
  ['tcpreplay', '--version'],
  ['/usr/bin/time', '--version'],
]) {
  const r = spawnSync(cmd, [arg], { encoding: 'utf8' });
  if (r.error) {
    console.error(`live-replay: ${cmd} is missing (${r.error.message})`);
    process.exit(77);
  }
}
if (!existsSync(join(root, 'dist/cli/bin.js'))) {
  console.error('live-replay: dist/ missing: run npm run build first');
  process.exit(66);
}

const t0 = Date.now();
const overDeadline = () => Date.now() - t0 > MAX_SECONDS * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Input: the prefix of mixed-2M (bench/slice.mjs generates mixed-2M first if needed).
const prefixName = PACKETS % 1000 === 0 ? `mixed-${PACKETS / 1000}k.pcap` : `mixed-${PACKETS}.pcap`;
const prefix = join(here, 'data', prefixName);
{
  const r = spawnSync(process.execPath, [join(here, 'slice.mjs'), join(here, 'data', 'mixed-2M.pcap'), String(PACKETS), prefix], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !existsSync(prefix)) {
    console.error('live-replay: could not make the replay prefix');
    process.exit(1);
  }
}

// pantap runs from a snapshot of dist/ so that a rebuild by someone else during the sweep
// cannot swap files under a running step (bench/data/ is gitignored; node still resolves
// node_modules from the repository root).
const snapDir = join(here, 'data', '.dist-live');
function snapshotDist() {
  rmSync(snapDir, { recursive: true, force: true });
  cpSync(join(root, 'dist'), snapDir, { recursive: true });
}
snapshotDist();
const BIN = join(snapDir, 'cli', 'bin.js');

// ---------------------------------------------------------------------------------------
// Namespaces and the veth pair.
const pid = process.pid;
const NS_A = `ptr-a-${pid}`;
const NS_B = `ptr-b-${pid}`;
const IF_A = `ptra${pid}`;
const IF_B = `ptrb${pid}`;
const children = new Set(); // ChildProcess objects this script started
const tmp = mkdtempSync(join(tmpdir(), 'pantap-live-replay-'));

function ip(argv, tolerate = false) {
  const r = spawnSync('ip', argv, { encoding: 'utf8', timeout: 10_000 });
  if (!tolerate && (r.error || r.status !== 0)) throw new Error(`ip ${argv.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
  return r;
}

let tornDown = false;
function teardown() {
  if (tornDown) return;
  tornDown = true;
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      try {
        process.kill(-c.pid, 'SIGKILL'); // its own process group (spawned detached)
      } catch {
        /* already gone */
      }
    }
  }
  children.clear();
  ip(['netns', 'del', NS_A], true);
  ip(['netns', 'del', NS_B], true);
  ip(['link', 'del', IF_A], true); // only left in the root namespace if setup failed half-way
  rmSync(tmp, { recursive: true, force: true });
  rmSync(snapDir, { recursive: true, force: true });
}
process.once('exit', teardown);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    console.error(`\nlive-replay: ${sig}: removing ${NS_A} and ${NS_B}`);
    teardown();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  console.error(`live-replay: ${err.stack ?? err}`);
  teardown();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  console.error(`live-replay: ${err?.stack ?? err}`);
  teardown();
  process.exit(1);
});

function setupNetns() {
  ip(['netns', 'add', NS_A]);
  ip(['netns', 'add', NS_B]);
  ip(['link', 'add', IF_A, 'type', 'veth', 'peer', 'name', IF_B]);
  ip(['link', 'set', IF_A, 'netns', NS_A]);
  ip(['link', 'set', IF_B, 'netns', NS_B]);
  for (const ns of [NS_A, NS_B]) {
    // A quiet link: no IPv6 (no router/neighbour solicitations), no forwarding. No
    // addresses are configured, so nothing in either namespace answers the replay.
    const r = spawnSync(
      'ip',
      ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv4.ip_forward=0'],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`sysctl in ${ns} failed: ${r.stderr?.trim() ?? r.error?.message}`);
  }
  ip(['-n', NS_A, 'link', 'set', IF_A, 'up']);
  ip(['-n', NS_B, 'link', 'set', IF_B, 'up']);
}

/**
 * Starts `cmd args` inside `ns` in its own process group (so SIGINT reaches pantap under
 * time, which ignores it). stdout and stderr go to files, not pipes: tcpreplay sets
 * O_NONBLOCK on its inherited descriptors, and GNU time's report then fails half-way
 * on a pipe (exit 1).
 */
let spawnSeq = 0;
function spawnTimed(ns, argv) {
  const base = join(tmp, `${++spawnSeq}`);
  const cmd = '/usr/bin/time';
  argv = ['-v', '-o', `${base}.time`, ...argv];
  const outFd = openSync(`${base}.out`, 'w');
  const errFd = openSync(`${base}.err`, 'w');
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...argv], { cwd: root, stdio: ['ignore', outFd, errFd], detached: true });
  closeSync(outFd);
  closeSync(errFd);
  children.add(child);
  let spawnError = '';
  const exited = new Promise((res) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      res({ code, signal });
    });
    child.on('error', (e) => {
      children.delete(child);
      spawnError = String(e);
      res({ code: null, signal: null });
    });
  });
  const signalGroup = (sig) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* gone */
    }
  };
  const read = (f) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  return { child, exited, signalGroup, stdout: () => read(`${base}.out`), stderr: () => read(`${base}.err`) + spawnError, time: () => read(`${base}.time`) };
}

async function waitForCapture(ns, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    // /proc/net is per namespace: a row after the header is an open AF_PACKET socket.
    const r = spawnSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/packet'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim().split('\n').length > 1) return true;
    await sleep(25);
  }
  return false;
}

function linkStats(ns, dev) {
  const r = ip(['-n', ns, '-s', '-j', 'link', 'show', 'dev', dev]);
  const s = JSON.parse(r.stdout)[0].stats64;
  return { rxPackets: s.rx.packets, rxDropped: s.rx.dropped, txPackets: s.tx.packets, txDropped: s.tx.dropped };
}

/** Sum of the "dropped" column of /proc/net/softnet_stat (per-CPU input backlog overflows; host-wide). */
function backlogDrops() {
  try {
    return readFileSync('/proc/net/softnet_stat', 'utf8')
      .trim()
      .split('\n')
      .reduce((a, l) => a + parseInt(l.split(/\s+/)[1], 16), 0);
  } catch {
    return null;
  }
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** pid of the command GNU time runs (its only child), or null. */
function timedChildPid(timePid) {
  try {
    const c = readFileSync(`/proc/${timePid}/task/${timePid}/children`, 'utf8').trim().split(/\s+/)[0];
    return c ? Number(c) : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of a whole process, of its main thread, and per thread. */
function cpuSeconds(pid) {
  const parse = (f) => {
    const st = readFileSync(f, 'utf8');
    const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return { comm: st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')), cpu: (Number(rest[11]) + Number(rest[12])) / CLK_TCK }; // utime, stime (fields 14, 15)
  };
  try {
    const threads = {};
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const t = parse(`/proc/${pid}/task/${tid}/stat`);
        threads[tid] = t;
      } catch {
        /* thread ended */
      }
    }
    return { process: parse(`/proc/${pid}/stat`).cpu, main: threads[pid]?.cpu ?? 0, threads };
  } catch {
    return null;
  }
}

/** Busiest threads between two samples, as "name tid: N %". */
function busiestThreads(a, b, wall) {
  return Object.entries(b.threads)
    .map(([tid, t]) => ({ tid: Number(tid), name: t.comm, percent: Math.round(((t.cpu - (a.threads[tid]?.cpu ?? 0)) / wall) * 100) }))
    .filter((t) => t.percent > 0)
    .sort((x, y) => y.percent - x.percent)
    .slice(0, 4);
}

/**
 * The capture socket's ring as the kernel reports it (ss -0 -e): TPACKET version and
 * frame size / count. libpcap uses TPACKET_V2 in immediate mode, where every frame slot is
 * sized for the snaplen, so the slot count, not the byte size, bounds the buffering.
 */
function ringConfig(ns) {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-0', '-a', '-e'], { encoding: 'utf8' });
  const m = (r.stdout ?? '').match(/ver:(\d+)[\s\S]*?ring_rx\(blk_size:(\d+),blk_nr:(\d+),frm_size:(\d+),frm_nr:(\d+)/);
  if (!m) return null;
  return { tpacketVersion: Number(m[1]) + 1, blockSize: Number(m[2]), blocks: Number(m[3]), frameSize: Number(m[4]), frames: Number(m[5]) };
}

/** Fields of GNU time -v output. */
function parseTime(stderr) {
  const num = (re) => {
    const m = stderr.match(re);
    return m ? Number(m[1]) : null;
  };
  const kb = num(/Maximum resident set size \(kbytes\): (\d+)/);
  return {
    peakRssMiB: kb === null ? null : Math.round((kb / 1024) * 10) / 10,
    userSeconds: num(/User time \(seconds\): ([\d.]+)/),
    systemSeconds: num(/System time \(seconds\): ([\d.]+)/),
    cpuPercent: num(/Percent of CPU this job got: (\d+)%/),
    wallSeconds: (() => {
      const m = stderr.match(/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/);
      return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
    })(),
  };
}

function parseTcpreplay(out) {
  const n = (re) => {
    const m = out.match(re);
    return m ? Number(m[1]) : null;
  };
  return {
    actualPackets: n(/Actual: (\d+) packets/),
    seconds: n(/Actual: \d+ packets \(\d+ bytes\) sent in ([\d.]+) seconds/),
    ratedPps: n(/Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/),
    ratedMbps: n(/Rated: [\d.]+ Bps, ([\d.]+) Mbps/),
    successful: n(/Successful packets:\s+(\d+)/),
    failed: n(/Failed packets:\s+(\d+)/),
    retriedEnobufs: n(/Retried packets \(ENOBUFS\):\s+(\d+)/),
    retriedEagain: n(/Retried packets \(EAGAIN\):\s+(\d+)/),
  };
}

// ---------------------------------------------------------------------------------------
// One step: one backend at one rate.
async function step(series, rate) {
  const { backend, extra } = series;
  const loops = rate === 'max' || MIN_SECONDS === 0 ? 1 : Math.max(1, Math.ceil((rate * MIN_SECONDS) / PACKETS));
  const expected = PACKETS * loops;
  const expectSeconds = rate === 'max' ? expected / 200_000 : expected / rate;
  const capSeconds = Math.ceil(expectSeconds * 2 + 20);
  const load = loadavg().map((x) => Math.round(x * 100) / 100);

  const a0 = linkStats(NS_A, IF_A);
  const b0 = linkStats(NS_B, IF_B);
  const bl0 = backlogDrops();

  const pantapArgs = [process.execPath, BIN, 'live', '-i', IF_B, '-F', 'json', '--backend', backend, '-c', String(expected), '--duration', String(capSeconds), ...extra];
  const pantap = spawnTimed(NS_B, pantapArgs);
  const opened = await Promise.race([waitForCapture(NS_B, 15_000), pantap.exited.then(() => false)]);
  if (!opened) {
    pantap.signalGroup('SIGKILL');
    await pantap.exited;
    return { series: series.name, backend, rate, pantapFailed: true, error: `pantap did not open a capture: ${pantap.stderr().trim().split('\n').slice(0, 5).join(' | ')}` };
  }
  await sleep(300); // let the first read start; the ring buffer holds anything earlier
  const ring = ringConfig(NS_B);

  const replayArgs = ['tcpreplay', '-i', IF_A, ...(rate === 'max' ? ['--topspeed'] : [`--pps=${rate}`]), '--preload-pcap', `--loop=${loops}`, prefix];
  const nodePid = timedChildPid(pantap.child.pid);
  const cpu0 = nodePid === null ? null : cpuSeconds(nodePid);
  const replayStart = Date.now();
  const replay = spawnTimed(NS_A, replayArgs);
  const killReplay = setTimeout(() => replay.signalGroup('SIGKILL'), (expectSeconds * 3 + 30) * 1000);
  const rr = await replay.exited;
  clearTimeout(killReplay);
  const replayEnd = Date.now();
  const cpu1 = nodePid === null ? null : cpuSeconds(nodePid);
  const replayWall = (replayEnd - replayStart) / 1000;
  const duringReplay =
    cpu0 && cpu1 ? { mainThreadPercent: Math.round(((cpu1.main - cpu0.main) / replayWall) * 100), processPercent: Math.round(((cpu1.process - cpu0.process) / replayWall) * 100), threads: busiestThreads(cpu0, cpu1, replayWall) } : null;

  // pantap stops by itself at -c; otherwise SIGINT after the grace period.
  let stoppedBy = 'count';
  const graceOver = await Promise.race([pantap.exited.then(() => false), sleep(GRACE_MS).then(() => true)]);
  if (graceOver) {
    stoppedBy = 'SIGINT';
    pantap.signalGroup('SIGINT');
    const killed = await Promise.race([pantap.exited.then(() => false), sleep(30_000).then(() => true)]);
    if (killed) {
      stoppedBy = 'SIGKILL';
      pantap.signalGroup('SIGKILL');
    }
  }
  const pr = await pantap.exited;
  const pantapExitMs = Date.now() - replayEnd;

  const a1 = linkStats(NS_A, IF_A);
  const b1 = linkStats(NS_B, IF_B);
  const bl1 = backlogDrops();

  const tr = parseTcpreplay(replay.stdout() + replay.stderr());
  const tTime = parseTime(replay.time());
  const pTime = parseTime(pantap.time());
  let summary = null;
  try {
    summary = JSON.parse(pantap.stdout());
  } catch {
    /* reported below */
  }
  const res = {
    series: series.name,
    backend,
    pantapArgs: extra,
    rate,
    ring,
    loops,
    loadavg: load,
    tcpreplay: { exit: rr.code ?? rr.signal, ...tr, cpuPercent: tTime.cpuPercent, userSeconds: tTime.userSeconds, systemSeconds: tTime.systemSeconds },
    sent: tr.successful ?? tr.actualPackets,
    link: {
      senderTxPackets: a1.txPackets - a0.txPackets,
      senderTxDropped: a1.txDropped - a0.txDropped,
      receiverRxPackets: b1.rxPackets - b0.rxPackets,
      receiverRxDropped: b1.rxDropped - b0.rxDropped,
      hostBacklogDropped: bl0 === null || bl1 === null ? null : bl1 - bl0,
    },
    pantap: {
      exit: pr.code ?? pr.signal,
      stoppedBy,
      exitAfterReplayMs: pantapExitMs,
      cpuDuringReplay: duringReplay,
      packets: summary?.input?.packets ?? null,
      received: summary?.capture?.received ?? null,
      dropped: summary?.capture?.dropped ?? null,
      ifDropped: summary?.capture?.ifDropped ?? null,
      ...pTime,
    },
  };
  if (summary === null) {
    res.pantapFailed = true;
    res.error = `pantap printed no JSON summary (exit ${pr.code ?? pr.signal}): ${pantap.stderr().trim().split('\n').slice(0, 5).join(' | ')}`;
    return res;
  }
  if (rr.code !== 0 || res.sent === null) {
    res.error = `tcpreplay failed (exit ${rr.code ?? rr.signal}): ${(replay.stdout() + replay.stderr()).trim().split("\n").filter((l) => !/^\t|File Cache/.test(l)).slice(0, 3).join(" | ")}`;
    return res;
  }
  const kernelDrops = (res.pantap.dropped ?? 0) + (res.pantap.ifDropped ?? 0);
  res.missing = res.sent - res.pantap.packets;
  res.zeroDrop = res.pantap.packets === res.sent && kernelDrops === 0;
  return res;
}

async function stepWithRetry(series, rate) {
  let r = await step(series, rate);
  if (r.pantapFailed) {
    // pantap crashing (not a capture result): most likely someone rebuilt dist/ half-way
    // before the snapshot. Rebuild, re-snapshot, retry once.
    console.error(`  ${r.error}\n  rebuilding (npm run build) and retrying once`);
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (b.status === 0) {
      snapshotDist();
      await sleep(1000);
      r = await step(series, rate);
      r.retried = true;
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------
// Run.
const fmt = (n) => (n === null || n === undefined ? '–' : typeof n === 'number' ? n.toLocaleString('en-US') : String(n));

const cpuCell = (s) => (s.pantap.cpuDuringReplay ? `${s.pantap.cpuDuringReplay.mainThreadPercent} / ${s.pantap.cpuDuringReplay.processPercent}` : '–');

function table(steps) {
  const lines = [
    '| target pps | tcpreplay achieved pps | sent | pantap packets | kernel dropped / ifDropped | veth rx (receiver) | pantap CPU % during replay (main thread / process) | tcpreplay CPU % | pantap peak RSS MiB | pantap stopped by | load avg 1 min | zero-drop |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |',
  ];
  for (const s of steps) {
    if (s.error && s.zeroDrop === undefined) {
      lines.push(`| ${fmt(s.rate)} | error: ${s.error.replace(/\|/g, '/')} |||||||||||`);
      continue;
    }
    const kd = s.pantap.dropped === null ? 'n/a (cap)' : `${fmt(s.pantap.dropped)} / ${fmt(s.pantap.ifDropped)}`;
    lines.push(
      `| ${s.rate === 'max' ? 'max (--topspeed)' : fmt(s.rate)} | ${fmt(Math.round(s.tcpreplay.ratedPps))} | ${fmt(s.sent)} | ${fmt(s.pantap.packets)} | ${kd} | ${fmt(s.link.receiverRxPackets)} | ${cpuCell(s)} | ${fmt(s.tcpreplay.cpuPercent)} | ${fmt(s.pantap.peakRssMiB)} | ${s.pantap.stoppedBy} | ${s.loadavg[0]} | ${s.zeroDrop ? 'yes' : `**no** (${fmt(s.missing)} missing)`} |`,
    );
  }
  return lines.join('\n');
}

const machine = {
  nproc: cpus().length,
  cpu: cpus()[0]?.model ?? null,
  memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  kernel: spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(),
  node: process.version,
  tcpreplay: (() => {
    const r = spawnSync('tcpreplay', ['--version'], { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0].trim(); // it prints its version on stderr
  })(),
  netdevMaxBacklog: Number(readFileSync('/proc/sys/net/core/netdev_max_backlog', 'utf8')),
};

const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim() || null;
const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).stdout.trim() !== '';
const started = new Date().toISOString();
const loadStart = loadavg().map((x) => Math.round(x * 100) / 100);
console.log(`live-replay: ${prefixName} (${fmt(statSync(prefix).size)} B), series ${SERIES.map((x) => x.name).join(', ')}; rates ${RATES.join(', ')}`);
console.log(`  namespaces ${NS_A} (${IF_A}, tcpreplay) -> ${NS_B} (${IF_B}, pantap live); load average ${loadStart.join(' ')}`);

setupNetns();
const results = {};
let timedOut = false;
for (const series of SERIES) {
  const steps = [];
  console.log(`\n=== ${series.name} ===`);
  for (const rate of RATES) {
    if (overDeadline()) {
      timedOut = true;
      console.log(`  --max-seconds ${MAX_SECONDS} reached: stopping`);
      break;
    }
    const s = await stepWithRetry(series, rate);
    steps.push(s);
    if (s.zeroDrop === undefined) console.log(`  ${fmt(rate)} pps: ERROR ${s.error}`);
    else
      console.log(
        `  ${fmt(rate)} pps (x${s.loops}): tcpreplay ${fmt(Math.round(s.tcpreplay.ratedPps))} pps, sent ${fmt(s.sent)}, pantap ${fmt(s.pantap.packets)}` +
          `${s.pantap.dropped !== null ? `, kernel dropped ${fmt(s.pantap.dropped)}/${fmt(s.pantap.ifDropped)}` : ''}, veth rx ${fmt(s.link.receiverRxPackets)}` +
          `, pantap CPU ${cpuCell(s)} % (main/process), ${fmt(s.pantap.peakRssMiB)} MiB (${s.pantap.stoppedBy}), tcpreplay ${fmt(s.tcpreplay.cpuPercent)}% CPU, load ${s.loadavg[0]}` +
          ` -> ${s.zeroDrop ? 'zero-drop' : 'DROPS'}`,
      );
    if (s.zeroDrop === false && !KEEP_GOING) break;
    if (s.zeroDrop === undefined) break;
    await sleep(1500);
  }
  const ok = steps.filter((s) => s.zeroDrop);
  const firstDrop = steps.find((s) => s.zeroDrop === false);
  results[series.name] = {
    backend: series.backend,
    pantapArgs: series.extra,
    ring: steps.find((x) => x.ring)?.ring ?? null,
    maxZeroDropRate: ok.length ? ok[ok.length - 1].rate : null,
    maxZeroDropAchievedPps: ok.length ? Math.round(ok[ok.length - 1].tcpreplay.ratedPps) : null,
    firstDropRate: firstDrop ? firstDrop.rate : null,
    steps,
  };
  if (timedOut) break;
}
teardown();

const loadEnd = loadavg().map((x) => Math.round(x * 100) / 100);
console.log('');
for (const [b, r] of Object.entries(results)) {
  const ring = r.ring ? ` (capture ring: TPACKET_V${r.ring.tpacketVersion}, ${fmt(r.ring.frames)} frames of ${fmt(r.ring.frameSize)} B)` : '';
  console.log(`### ${b}${ring}\n\n${table(r.steps)}\n`);
}
for (const [b, r] of Object.entries(results)) {
  console.log(
    `${b}: highest zero-drop rate ${r.maxZeroDropRate === null ? 'none' : `${fmt(r.maxZeroDropRate)} pps (tcpreplay achieved ${fmt(r.maxZeroDropAchievedPps)})`}; ` +
      `drops start at ${r.firstDropRate === null ? 'no tested rate' : `${fmt(r.firstDropRate)} pps`}`,
  );
}
for (const [name, r] of Object.entries(results)) {
  if (r.backend !== 'native') continue;
  const met = r.maxZeroDropRate === 'max' ? r.maxZeroDropAchievedPps >= 200_000 : r.maxZeroDropRate !== null && r.maxZeroDropRate >= 200_000;
  console.log(`target ${name}: zero-drop at >= 200,000 pps: ${met ? 'met' : 'NOT met'}`);
}
console.log(`load average: start ${loadStart.join(' ')}, end ${loadEnd.join(' ')}`);

if (WRITE) {
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(
    RESULTS,
    JSON.stringify(
      {
        schema: 'pantap.bench.live-replay.v1',
        started,
        finished: new Date().toISOString(),
        git: { head: git, srcDirty: dirty },
        machine,
        loadavg: { start: loadStart, end: loadEnd },
        options: { input: `bench/data/${prefixName}`, packets: PACKETS, minSeconds: MIN_SECONDS, graceSeconds: GRACE_MS / 1000, rates: RATES, series: SERIES.map((x) => x.name), keepGoing: KEEP_GOING },
        timedOut,
        series: results,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${RESULTS.slice(root.length + 1)}`);
}
