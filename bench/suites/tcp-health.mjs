#!/usr/bin/env node
// Micro-benchmark of tcpSegment() (src/flow/tcp-health.ts), the per-packet TCP
// analysis every TCP segment goes through, against a base version of the same file.
//
//   node bench/suites/tcp-health.mjs [--quick] [--capture FILE] [--base REV] [--rounds N]
//                                    [--fuzz FLOWS] [--verify FILE...]
//
// The TCP segments of a capture (default: the 300k-packet slice of mixed-2M, 50k with
// --quick) are decoded once with the built decoder (dist/) and grouped by flow into typed
// arrays. Then, per round and per implementation, one TcpHealth (a one-block arena, see
// healthOf) per flow is made (not
// timed) and only the packet() calls over all flows are timed: flow by flow ("grouped")
// and in capture order, flows interleaved ("interleaved", as the pipeline feeds them).
// The implementations alternate within each round, every timed loop is its own function
// (no call site shared between the two classes), and the minimum over the rounds is kept:
// the machines this runs on are shared and noisy.
//
// "new" is the build (dist/flow/tcp-health.js: run npm run build first). "base" is
// src/flow/tcp-health.ts at REV, transpiled into .tmp/: by default HEAD when the working
// copy differs from it, else the commit before the last one that changed the file.
//
// Before timing, both implementations run over every flow and must agree on the analysis
// flags of every packet and on every report; a difference stops the run (exit 1).
// --fuzz FLOWS adds that many random flows (seeded: the same every run) made to reach the
// corners: sequence numbers around 2^31 and 2^32, retransmissions, overlaps, holes, zero
// windows, keep-alives, resets, reused ports, timestamps jumping back; there the reports
// are compared after every packet. --verify FILE... checks captures only (no timing).
//
// Results: bench/results/tcp-health.json (tcp-health.quick.json with --quick).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { dist, mulberry32, quick, resultsDir, root } from './common.mjs';
import { ensureSlice } from '../slice.mjs';

const args = process.argv.slice(2);
const opt = (f) => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
const ROUNDS = Number(opt('--rounds') ?? (quick ? 5 : 15));
const FUZZ = Number(opt('--fuzz') ?? (quick ? 2_000 : 20_000));
const verifyOnly = args.includes('--verify') ? args.slice(args.indexOf('--verify') + 1).filter((a) => !a.startsWith('--')) : null;

const { readCapture, BufferPool } = await dist('capture/reader.js');
const rec = await dist('capture/records.js');
const { decodeRecord } = await dist('decode/link.js');
const F = await dist('decode/fields.js');
const NEW = await dist('flow/tcp-health.js');

// --- the base implementation -------------------------------------------------------------
const FILE = 'src/flow/tcp-health.ts';
const git = (...a) => execFileSync('git', a, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
function defaultBase() {
  const work = readFileSync(join(root, FILE), 'utf8');
  if (work !== git('show', `HEAD:${FILE}`)) return 'HEAD';
  const last = git('log', '-n', '1', '--format=%H', '--', FILE).trim();
  return git('log', '-n', '1', '--format=%H', `${last}~1`, '--', FILE).trim();
}
const baseRev = opt('--base') ?? defaultBase();
const baseHash = git('rev-parse', '--short', baseRev).trim();
const BASE = await (async () => {
  const src = git('show', `${baseRev}:${FILE}`);
  const js = ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  const fields = pathToFileURL(join(root, 'dist/decode/fields.js')).href;
  const dir = join(root, '.tmp', 'bench-tcp-health');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `tcp-health-${baseHash}.mjs`);
  // Its imports from dist/ (decode/fields.js; flow/aligned.js since the arena): the file alone is transpiled.
  const aligned = pathToFileURL(join(root, 'dist/flow/aligned.js')).href;
  writeFileSync(out, js.replaceAll("'../decode/fields.js'", `'${fields}'`).replaceAll("'./aligned.js'", `'${aligned}'`));
  return import(pathToFileURL(out).href);
})();

// One flow's TCP health per implementation: a one-block arena behind its flat functions
// (as test/helpers/tcp-health.ts; src/ has no such class any more), or the TcpHealth class
// of a base from before the arena. Compiled once per implementation (new Function), so the
// two never share a call site or its feedback.
const HEALTH = `
  const { TcpArena, setTcpClock, tcpLastAnalysis, tcpOpen, tcpResult, tcpSegment } = M;
  return class TcpHealth {
    constructor(originator = 0) {
      const a = new TcpArena(1);
      this.i32 = a.i32;
      this.f64 = a.f64;
      tcpOpen(this.i32, this.f64, 0, originator === 1 ? 1 : 0);
    }
    packet(dir, seq, ack, flags, window, payloadLen, tsUs, opts, optOff, optLen) {
      setTcpClock(tsUs);
      tcpSegment(this.i32, this.f64, 0, dir, seq, ack, flags, window, payloadLen, opts, optOff, optLen);
    }
    get lastAnalysis() {
      return tcpLastAnalysis(this.i32, 0);
    }
    result() {
      return tcpResult(this.i32, this.f64, 0);
    }
  };`;
const healthOf = (M) => (M.tcpSegment !== undefined ? new Function('M', HEALTH)(M) : M.TcpHealth);
const BASE_HEALTH = healthOf(BASE);
const NEW_HEALTH = healthOf(NEW);

// --- TCP segments of a capture, grouped by flow -------------------------------------------
const { REC_WORDS, REC_OFFSET, REC_CAPLEN, REC_ORIGLEN, REC_TS_SEC, REC_TS_NSEC, REC_LINKTYPE } = rec;

/** Packet fields of `n` packets, one array each (and `flow`: the packet's flow). */
function packets(n) {
  return { dir: new Int32Array(n), seq: new Uint32Array(n), ack: new Uint32Array(n), flags: new Int32Array(n), win: new Int32Array(n), len: new Int32Array(n), ts: new Float64Array(n), opts: new Array(n).fill(null), flow: new Int32Array(n) };
}

/** Packet `p` (an object of those fields) into slot i of `a`. */
function put(a, i, p, flow) {
  a.dir[i] = p.dir;
  a.seq[i] = p.seq;
  a.ack[i] = p.ack;
  a.flags[i] = p.flags;
  a.win[i] = p.win;
  a.len[i] = p.len;
  a.ts[i] = p.ts;
  a.opts[i] = p.opts;
  a.flow[i] = flow;
}

/**
 * { path, records, n, flows, originator, capOrder, ...packets(n) }: the packets in flow
 * order (flow f holds [flows[f], flows[f + 1])), and the same in capture order (capOrder).
 */
async function load(path) {
  const pf = F.newPacketFields();
  const byKey = new Map();
  const pk = []; // per flow: packet records
  const capOrder = []; // [flow, index in flow]
  let records = 0;
  const pool = new BufferPool();
  await readCapture(path, {
    fileIndex: 0,
    seqBase: 0,
    pool,
    submit: (batch) => {
      const u8 = new Uint8Array(batch.data);
      const dv = new DataView(batch.data);
      const idx = new Uint32Array(batch.index, 0, batch.count * REC_WORDS);
      for (let r = 0; r < batch.count; r++, records++) {
        const o = r * REC_WORDS;
        if (decodeRecord(pf, u8, dv, idx[o + REC_OFFSET], idx[o + REC_CAPLEN], idx[o + REC_ORIGLEN], idx[o + REC_LINKTYPE]) !== F.R_OK) continue;
        // what the aggregator hands the conversations: TCP with a whole header, not quoted, not a later fragment
        if (pf[F.F_PROTO] !== 6 || pf[F.F_KIND] === F.KIND_L2 || pf[F.F_ICMPERR] !== 0 || pf[F.F_TCPHLEN] === 0 || pf[F.F_FRAG] === F.FRAG_LATER) continue;
        const a = `${pf[F.F_SRC]},${pf[F.F_SRC + 1]},${pf[F.F_SRC + 2]},${pf[F.F_SRC + 3]}:${pf[F.F_SPORT]}`;
        const b = `${pf[F.F_DST]},${pf[F.F_DST + 1]},${pf[F.F_DST + 2]},${pf[F.F_DST + 3]}:${pf[F.F_DPORT]}`;
        const key = a < b ? `${a}|${b}` : `${b}|${a}`;
        let fl = byKey.get(key);
        if (fl === undefined) {
          fl = { first: a, id: pk.length };
          byKey.set(key, fl);
          pk.push([]);
        }
        const hlen = pf[F.F_TCPHLEN];
        const l4 = pf[F.F_L4OFF];
        const off = idx[o + REC_OFFSET];
        capOrder.push(fl.id, pk[fl.id].length);
        pk[fl.id].push({
          dir: a === fl.first ? 0 : 1,
          seq: pf[F.F_SEQ],
          ack: pf[F.F_ACK],
          flags: pf[F.F_TCPFLAGS],
          win: pf[F.F_WIN],
          len: pf[F.F_PAYLEN],
          ts: idx[o + REC_TS_SEC] * 1e6 + Math.floor(idx[o + REC_TS_NSEC] / 1000),
          opts: hlen > 20 ? u8.slice(off + l4 + 20, off + l4 + hlen) : null,
        });
      }
      pool.release(batch);
    },
  });
  const n = capOrder.length / 2;
  const d = { path, records, n, flows: new Int32Array(pk.length + 1), originator: new Int32Array(pk.length), capOrder: packets(n), ...packets(n) };
  let i = 0;
  for (let f = 0; f < pk.length; f++) {
    d.flows[f] = i;
    const syn = pk[f].find((p) => (p.flags & (F.TCP_SYN | F.TCP_ACK)) === F.TCP_SYN);
    d.originator[f] = syn ? syn.dir : 0;
    for (const p of pk[f]) put(d, i++, p, f);
  }
  d.flows[pk.length] = i;
  for (let k = 0; k < n; k++) put(d.capOrder, k, pk[capOrder[2 * k]][capOrder[2 * k + 1]], capOrder[2 * k]);
  return d;
}

// --- random flows for the equivalence check -----------------------------------------------
/** `count` random flows in the layout of load() (without capOrder). */
function fuzzFlows(count, seed = 0x7c9) {
  const rnd = mulberry32(seed);
  const pick = (n) => rnd() % n;
  const chance = (pct) => rnd() % 1000 < pct * 10;
  const pk = [];
  const ISNS = [0, 1, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff, 0x7ffffff0, 0xfffff000];
  for (let f = 0; f < count; f++) {
    const ps = [];
    const next = [chance(60) ? ISNS[pick(ISNS.length)] : rnd(), chance(60) ? ISNS[pick(ISNS.length)] : rnd()];
    let t = chance(50) ? 1.7e15 + pick(1e9) : chance(50) ? pick(1000) : 0;
    const npk = 1 + pick(chance(20) ? 200 : 30);
    const wild = chance(30); // mostly random flags and numbers
    const noisy = chance(50);
    const handshake = chance(60);
    if (handshake) {
      ps.push({ dir: 0, seq: next[0], ack: chance(90) ? 0 : rnd(), flags: F.TCP_SYN, win: 65535, len: 0, ts: t, opts: chance(50) ? Uint8Array.of(2, 4, 5, 180, 1, 3, 3, 7) : null });
      next[0] = (next[0] + 1) >>> 0;
      t += 1 + pick(300);
      if (chance(80)) {
        ps.push({ dir: 1, seq: next[1], ack: next[0], flags: F.TCP_SYN | F.TCP_ACK, win: 65535, len: 0, ts: t, opts: chance(50) ? Uint8Array.of(2, 4, 5, 180) : null });
        next[1] = (next[1] + 1) >>> 0;
        t += 1 + pick(300);
        if (chance(90)) {
          ps.push({ dir: 0, seq: next[0], ack: next[1], flags: F.TCP_ACK, win: 65535, len: 0, ts: t, opts: null });
          t += 1 + pick(300);
        }
      }
    }
    const sent = [[], []]; // [seq, len] of earlier segments, to repeat
    for (let k = 0; k < npk; k++) {
      const dir = chance(50) ? 0 : 1;
      let seq = next[dir];
      let ack = next[1 - dir];
      let flags = F.TCP_ACK;
      let len = chance(45) ? 0 : chance(10) ? 1 : 1 + pick(chance(50) ? 100 : 1460);
      let win = chance(noisy ? 8 : 1) ? 0 : chance(5) ? pick(65536) : 65535;
      const dt = chance(2) ? -pick(5000) : chance(10) ? pick(100_000) : chance(20) ? 0 : 1 + pick(noisy ? 30_000 : 3000);
      t += dt;
      if (wild) {
        flags = pick(256);
        if (chance(30)) seq = rnd();
        if (chance(30)) ack = rnd();
        if (chance(30)) len = pick(3);
        if (chance(20)) seq = (seq + pick(200) - 100) >>> 0;
      } else if (noisy) {
        const r = pick(100);
        if (r < 10 && sent[dir].length) {
          [seq, len] = sent[dir][pick(sent[dir].length)]; // a retransmission
        } else if (r < 14) {
          seq = (seq + 1 + pick(3000)) >>> 0; // a hole
        } else if (r < 17) {
          seq = (seq - 1) >>> 0; // keep-alive shape
          len = chance(50) ? 0 : 1;
        } else if (r < 20) {
          ack = (ack - pick(3000)) >>> 0; // an old ACK
        } else if (r < 22) {
          ack = (ack + pick(3000)) >>> 0; // acknowledging the unseen
        } else if (r < 24) {
          flags |= F.TCP_FIN;
        } else if (r < 25) {
          flags = F.TCP_RST | (chance(50) ? F.TCP_ACK : 0);
        } else if (r < 26) {
          flags = F.TCP_SYN; // a SYN again, maybe a new ISN (ports reused)
          if (chance(50)) {
            seq = rnd();
            next[dir] = seq;
          }
          len = 0;
        } else if (r < 27) {
          flags = F.TCP_SYN | F.TCP_ACK;
          len = 0;
        } else if (r < 29) {
          flags = 0; // no ACK
        } else if (r < 31) {
          seq = (seq + pick(len + 1)) >>> 0; // an overlap
        } else if (r < 33) {
          // three duplicate ACKs then the missing segment
          ack = next[1 - dir];
          len = 0;
        }
      } else if (chance(3)) flags |= F.TCP_FIN;
      if (chance(5)) flags |= 0x08; // PSH
      if (chance(1)) flags |= 0xc0; // ECE/CWR
      const p = { dir, seq, ack, flags, win, len, ts: t, opts: (flags & F.TCP_SYN) !== 0 && chance(30) ? Uint8Array.of(3, 3, pick(15), 2, 4, pick(256), pick(256)) : null };
      ps.push(p);
      if (len > 0) sent[dir].push([seq, len]);
      const end = (seq + len + ((flags & F.TCP_SYN) !== 0 ? 1 : 0) + ((flags & F.TCP_FIN) !== 0 ? 1 : 0)) >>> 0;
      if (((end - next[dir]) | 0) > 0 && (flags & F.TCP_RST) === 0) next[dir] = end;
    }
    pk.push(ps);
  }
  const n = pk.reduce((a, p) => a + p.length, 0);
  const d = { path: `fuzz(${count})`, records: n, n, flows: new Int32Array(count + 1), originator: new Int32Array(count), ...packets(n) };
  let i = 0;
  for (let f = 0; f < count; f++) {
    d.flows[f] = i;
    d.originator[f] = f % 7 === 3 ? 1 : 0;
    for (const p of pk[f]) put(d, i++, p, f);
  }
  d.flows[count] = i;
  return d;
}

// --- equivalence ------------------------------------------------------------------------
/** Both implementations over every flow of `d`: the same flags per packet, the same reports. */
function verify(d, everyPacket) {
  const nf = d.flows.length - 1;
  for (let f = 0; f < nf; f++) {
    const a = new BASE_HEALTH(d.originator[f]);
    const b = new NEW_HEALTH(d.originator[f]);
    for (let i = d.flows[f]; i < d.flows[f + 1]; i++) {
      const o = d.opts[i];
      a.packet(d.dir[i], d.seq[i], d.ack[i], d.flags[i], d.win[i], d.len[i], d.ts[i], o, 0, o === null ? 0 : o.length);
      b.packet(d.dir[i], d.seq[i], d.ack[i], d.flags[i], d.win[i], d.len[i], d.ts[i], o, 0, o === null ? 0 : o.length);
      const last = i === d.flows[f + 1] - 1;
      if (a.lastAnalysis !== b.lastAnalysis || ((everyPacket || last) && JSON.stringify(a.result()) !== JSON.stringify(b.result()))) {
        console.error(`tcp-health: ${d.path}: flow ${f}, packet ${i - d.flows[f]}: base and new differ`);
        console.error(`  packet: dir ${d.dir[i]} seq ${d.seq[i]} ack ${d.ack[i]} flags 0x${d.flags[i].toString(16)} win ${d.win[i]} len ${d.len[i]} ts ${d.ts[i]}`);
        console.error(`  flags: base ${a.lastAnalysis} new ${b.lastAnalysis}`);
        console.error(`  base: ${JSON.stringify(a.result())}\n  new:  ${JSON.stringify(b.result())}`);
        process.exit(1);
      }
    }
  }
}

if (verifyOnly !== null) {
  let packets = 0;
  let checked = 0;
  for (const path of verifyOnly) {
    let d;
    try {
      d = await load(path);
    } catch (err) {
      console.log(`${path}: not read (${err.message})`);
      continue;
    }
    verify(d, true);
    packets += d.n;
    checked++;
    if (d.n > 0) console.log(`${path}: ${d.n} TCP packets in ${d.flows.length - 1} flows: base ${baseHash} and new agree`);
  }
  const fz = fuzzFlows(FUZZ);
  verify(fz, true);
  console.log(`${checked} captures, ${packets} TCP packets, and ${fz.n} packets of ${FUZZ} random flows: base ${baseHash} and new agree on every packet's flags and every report after every packet`);
  process.exit(0);
}

// --- timing -----------------------------------------------------------------------------
// Each timed loop is compiled on its own (new Function), so the two classes never share a
// call site or its feedback.
const GROUPED = `
  const { flows, dir, seq, ack, flags, win, len, ts, opts } = d;
  const nf = flows.length - 1;
  const t0 = process.hrtime.bigint();
  for (let f = 0; f < nf; f++) {
    const h = hs[f];
    const end = flows[f + 1];
    for (let i = flows[f]; i < end; i++) {
      const o = opts[i];
      h.packet(dir[i], seq[i], ack[i], flags[i], win[i], len[i], ts[i], o, 0, o === null ? 0 : o.length);
    }
  }
  const t1 = process.hrtime.bigint();
  let x = 0;
  for (let f = 0; f < nf; f++) x += hs[f].lastAnalysis;
  return [Number(t1 - t0), x];`;
const INTERLEAVED = `
  const { dir, seq, ack, flags, win, len, ts, opts, flow } = d.capOrder;
  const n = d.n;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const o = opts[i];
    hs[flow[i]].packet(dir[i], seq[i], ack[i], flags[i], win[i], len[i], ts[i], o, 0, o === null ? 0 : o.length);
  }
  const t1 = process.hrtime.bigint();
  let x = 0;
  for (let f = 0; f < hs.length; f++) x += hs[f].lastAnalysis;
  return [Number(t1 - t0), x];`;

const capture = opt('--capture') ?? ensureSlice({ packets: quick ? 50_000 : 300_000 }).path;
const data = await load(capture);
const fuzz = fuzzFlows(FUZZ);
verify(data, false);
verify(fuzz, true);
console.log(`tcp-health: ${capture}: ${data.records} records, ${data.n} TCP packets in ${data.flows.length - 1} flows`);
console.log(`base ${baseRev === 'HEAD' ? 'HEAD ' : ''}${baseHash} and new (dist/) agree on every packet's flags and every report (and on ${fuzz.n} packets of ${FUZZ} random flows)`);

const impls = [
  { name: `base ${baseHash}`, T: BASE_HEALTH },
  { name: 'new (dist/)', T: NEW_HEALTH },
];
for (const im of impls) {
  im.grouped = new Function('d', 'hs', GROUPED);
  im.interleaved = new Function('d', 'hs', INTERLEAVED);
  im.best = { grouped: Infinity, interleaved: Infinity };
  im.all = { grouped: [], interleaved: [] };
}
const nf = data.flows.length - 1;
const fresh = (T) => {
  const hs = new Array(nf);
  for (let f = 0; f < nf; f++) hs[f] = new T(data.originator[f]);
  return hs;
};
const checks = new Map();
for (let r = 0; r < ROUNDS; r++) {
  const seq = r % 2 === 0 ? impls : [...impls].reverse();
  for (const mode of ['grouped', 'interleaved']) {
    for (const im of seq) {
      const [ns, x] = im[mode](data, fresh(im.T));
      const nsPer = ns / data.n;
      im.all[mode].push(nsPer);
      if (nsPer < im.best[mode]) im.best[mode] = nsPer;
      const prev = checks.get(mode);
      if (prev === undefined) checks.set(mode, x);
      else if (prev !== x) throw new Error(`tcp-health: ${im.name} ${mode}: a different checksum`);
    }
  }
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`ns per packet, min (median) of ${ROUNDS} alternating rounds:`);
for (const mode of ['grouped', 'interleaved']) {
  const [b, n] = impls.map((im) => im.best[mode]);
  const line = impls.map((im) => `${im.name} ${im.best[mode].toFixed(1)} (${median(im.all[mode]).toFixed(1)})`).join('   ');
  console.log(`  ${mode.padEnd(12)} ${line}   speed-up ${(b / n).toFixed(2)}x`);
}
mkdirSync(resultsDir, { recursive: true });
const out = join(resultsDir, quick ? 'tcp-health.quick.json' : 'tcp-health.json');
writeFileSync(
  out,
  `${JSON.stringify(
    {
      capture,
      tcpPackets: data.n,
      flows: nf,
      rounds: ROUNDS,
      base: baseHash,
      node: process.version,
      nsPerPacket: Object.fromEntries(impls.map((im) => [im.name, { grouped: { min: im.best.grouped, median: median(im.all.grouped) }, interleaved: { min: im.best.interleaved, median: median(im.all.interleaved) } }])),
    },
    null,
    2,
  )}\n`,
);
console.log(`saved ${out}`);
