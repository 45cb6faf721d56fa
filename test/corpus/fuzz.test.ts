// Seeded mutation fuzzing of the whole read → decode → aggregate → merge path. Inputs are
// corpus files (plus a few built here) with bit flips, bytes set to 00/ff/random,
// truncations, duplicated and removed ranges, splices, and header fields (caplen, block
// lengths, interface ids, link types, if_tsresol...) set to extreme values; some are
// gzipped, some gzipped and then damaged. Each goes through runAnalysis (workers 0) as
// stdin ('-'), chunked at random. Nothing but a CaptureError may escape, and the counts
// must stay consistent. FUZZ_SEED / FUZZ_COUNT override the seed and the number of inputs
// (default 100,000: 193 s alone at load 2; 2-3 ms of CPU an input, nearly all of it a
// session's fixed cost); FUZZ_KEEP=1 keeps the saved failing inputs.
//
// Bounded by work, not by the machine's load: the bounds are on CPU time (an input under
// 2 s, the whole run under 10 ms an input), which other processes do not stretch; the wall
// clock only catches a hang, at 30 ms an input (at load 9, three busy loops beside the
// other helpers, the run took 15.8 ms of wall time an input for 3.05 ms of CPU). Fewer
// inputs would be weaker: 51 code blocks (of the TLS, SNMP, Kerberos, BER, LDAP, DCE/RPC,
// syslog and RADIUS decoders, TCP health's state machine...) are first reached after the
// 30,000th input (V8 block coverage, bench/README.md, branch `ci6`).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { MAX_CAPLEN } from '../../src/capture/records.js';
import { R_MALFORMED } from '../../src/decode/fields.js';
import { CaptureError } from '../../src/errors.js';
import { runAnalysis, type RunResult } from '../helpers/run.js';
import {
  cat,
  customBlock,
  epb,
  eth,
  ext6Fragment,
  EXT_FRAGMENT,
  icmpError,
  idb,
  ipv4,
  ipv6,
  isb,
  nrb,
  opb,
  pcap,
  shb,
  spb,
  tcp,
  tempDir,
  tsoffset,
  tsresol,
  udp,
} from '../helpers/build.js';
import { CORPUS, corpusFiles, corpusPresent, corpusTitle } from './shared.js';
import { REPO } from '../helpers/shared.js';

const VERDICTS = resolve(REPO, 'fixtures/verdicts');
import { mulberry32 } from '../helpers/random.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const COUNT = Number(process.env.FUZZ_COUNT ?? 100_000);
/** Wall time one input may take before it counts as a hang (its CPU is bounded at 2 s; a loaded machine stretched 80 ms of CPU to 1.8 s). */
const HANG_MS = 60_000;

const tmp = tempDir('pantap-fuzz-');
// failing inputs are saved here; FUZZ_KEEP=1 keeps them after the run, to reproduce
afterAll(() => {
  if (!process.env.FUZZ_KEEP) tmp.remove();
});

interface Seed {
  name: string;
  bytes: Buffer;
  /** Structural fields worth setting to extreme values. */
  fields: { off: number; size: 2 | 4; le: boolean }[];
}

/** Offsets of header fields: pcap file/record headers, pcapng block headers and trailers. */
function fieldsOf(b: Buffer): Seed['fields'] {
  const out: Seed['fields'] = [];
  if (b.length < 24) return out;
  const m = b.readUInt32BE(0);
  const pcapLE = [0xd4c3b2a1, 0x4d3cb2a1, 0x34cdb2a1].includes(m);
  const pcapBE = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34].includes(m);
  if (pcapLE || pcapBE) {
    const le = pcapLE;
    const recHdr = m === 0x34cdb2a1 || m === 0xa1b2cd34 ? 24 : 16;
    out.push({ off: 4, size: 2, le }, { off: 16, size: 4, le }, { off: 20, size: 4, le });
    let pos = 24;
    for (let n = 0; n < 2000 && pos + recHdr <= b.length; n++) {
      out.push({ off: pos, size: 4, le }, { off: pos + 4, size: 4, le }, { off: pos + 8, size: 4, le }, { off: pos + 12, size: 4, le });
      const caplen = le ? b.readUInt32LE(pos + 8) : b.readUInt32BE(pos + 8);
      pos += recHdr + caplen;
    }
  } else if (m === 0x0a0d0d0a) {
    let pos = 0;
    let le = true;
    for (let n = 0; n < 2000 && pos + 12 <= b.length; n++) {
      if (b.readUInt32BE(pos) === 0x0a0d0d0a && pos + 12 <= b.length) le = b.readUInt32LE(pos + 8) === 0x1a2b3c4d;
      const type = le ? b.readUInt32LE(pos) : b.readUInt32BE(pos);
      const len = le ? b.readUInt32LE(pos + 4) : b.readUInt32BE(pos + 4);
      out.push({ off: pos, size: 4, le }, { off: pos + 4, size: 4, le });
      if (len < 12 || len % 4 !== 0 || pos + len > b.length) break;
      out.push({ off: pos + len - 4, size: 4, le });
      if (type === 0x0a0d0d0a) out.push({ off: pos + 8, size: 4, le }, { off: pos + 12, size: 2, le });
      if (type === 1) for (let o = 8; o + 4 <= len - 4; o += 4) out.push({ off: pos + o, size: o % 4 === 0 && o >= 16 ? 2 : 4, le });
      if (type === 6 || type === 2) out.push({ off: pos + 8, size: 4, le }, { off: pos + 20, size: 4, le }, { off: pos + 24, size: 4, le });
      if (type === 3) out.push({ off: pos + 8, size: 4, le });
      pos += len;
    }
  }
  return out.filter((f) => f.off + f.size <= b.length);
}

/** A few inputs built here, so that the fuzz also starts from pcapng and fragment cases. */
function builtSeeds(): Buffer[] {
  const frames = [
    eth({ ethertype: 0x0800, payload: ipv4({ proto: 6, payload: tcp({ sport: 5000, dport: 443, flags: 2 }) }) }),
    eth({ tags: [[0x88a8, 1], [0x8100, 2]], ethertype: 0x86dd, payload: ipv6({ next: 17, payload: udp({ sport: 1, dport: 514 }) }) }),
    eth({ ethertype: 0x0800, payload: ipv4({ proto: 17, mf: true, id: 9, payload: udp({ sport: 7, dport: 29281, length: 3000, payload: Buffer.alloc(100) }) }) }),
    eth({ ethertype: 0x0800, payload: ipv4({ proto: 17, fragOffset: 14, id: 9, payload: Buffer.alloc(100) }) }),
    eth({ ethertype: 0x86dd, payload: ipv6({ next: EXT_FRAGMENT, payload: cat(ext6Fragment(17, { offset: 20, id: 4 }), Buffer.alloc(30)) }) }),
    eth({ ethertype: 0x0800, payload: ipv4({ proto: 1, payload: icmpError(ipv4({ proto: 17, payload: udp({ sport: 9, dport: 53 }) })) }) }),
    eth({ ethertype: 0x7261, payload: Buffer.alloc(46) }),
  ];
  const ng = cat(
    shb(),
    idb({ linktype: 1, opts: [tsresol(9), tsoffset(5n)] }),
    idb({ linktype: 1, snaplen: 64, opts: [tsresol(20, true)] }),
    nrb(),
    ...frames.map((f, i) => epb({ ifId: i % 2, ts: BigInt(i) * 1_000_000_007n, data: f })),
    spb({ data: frames[0] }),
    opb({ ifId: 1, data: frames[1] }),
    isb(),
    customBlock({ data: Buffer.alloc(300) }),
    shb({ le: false }),
    idb({ le: false, linktype: 1 }),
    ...frames.map((f) => epb({ le: false, data: f })),
  );
  return [ng, pcap(frames.map((data, i) => ({ sec: i, frac: i, data })), { linktype: 1 }), pcap(frames.map((data, i) => ({ sec: i, frac: i, data })), { nsec: true, le: false, linktype: 1 })];
}

const EXTREMES = [0, 1, 2, 3, 4, 11, 12, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff, MAX_CAPLEN, MAX_CAPLEN + 1, 1 << 20];

function mutate(seed: Seed, all: Seed[], rnd: () => number): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  let b: Buffer = Buffer.from(seed.bytes);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    if (b.length === 0) break;
    // positions are biased toward the headers at the start
    const pos = () => (rnd() < 0.25 ? int(Math.min(b.length, 96)) : int(b.length));
    switch (int(9)) {
      case 0: {
        const n = 1 + int(8);
        for (let i = 0; i < n; i++) {
          const p = pos();
          b[p] ^= 1 << int(8);
        }
        break;
      }
      case 1: {
        const n = 1 + int(4);
        for (let i = 0; i < n; i++) b[pos()] = [0x00, 0xff, int(256)][int(3)];
        break;
      }
      case 2:
        b = b.subarray(0, int(b.length + 1));
        break;
      case 3: {
        const a = int(b.length);
        const len = 1 + int(Math.min(200, b.length - a));
        const at = int(b.length + 1);
        b = cat(b.subarray(0, at), b.subarray(a, a + len), b.subarray(at));
        break;
      }
      case 4: {
        const a = int(b.length);
        const len = 1 + int(Math.min(200, b.length - a));
        b = cat(b.subarray(0, a), b.subarray(a + len));
        break;
      }
      case 5:
      case 6: {
        // a header field set to an extreme value (or nudged by a few bytes)
        const fl = seed.fields.filter((f) => f.off + f.size <= b.length);
        if (fl.length === 0) break;
        const f = fl[int(fl.length)];
        const cur = f.size === 4 ? (f.le ? b.readUInt32LE(f.off) : b.readUInt32BE(f.off)) : f.le ? b.readUInt16LE(f.off) : b.readUInt16BE(f.off);
        const v = rnd() < 0.7 ? EXTREMES[int(EXTREMES.length)] : cur + [-8, -4, -1, 1, 4, 8][int(6)];
        const le = rnd() < 0.9 ? f.le : !f.le;
        if (f.size === 4) {
          if (le) b.writeUInt32LE(v >>> 0, f.off);
          else b.writeUInt32BE(v >>> 0, f.off);
        } else if (le) b.writeUInt16LE(v & 0xffff, f.off);
        else b.writeUInt16BE(v & 0xffff, f.off);
        break;
      }
      case 7: {
        // splice: this file's head with another file's tail
        const o = all[int(all.length)].bytes;
        b = cat(b.subarray(0, int(b.length + 1)), o.subarray(int(o.length + 1)));
        break;
      }
      case 8: {
        // an if_tsresol or other IDB option byte, or a link type, set to something odd
        const fl = seed.fields.filter((f) => f.off + 2 <= b.length);
        if (fl.length === 0) break;
        const f = fl[int(fl.length)];
        b[f.off + int(2)] = [0x80, 0xff, 0x7f, 0x3f, 0x94, 0x09, 0x00][int(7)];
        break;
      }
    }
  }
  return b;
}

function chunks(b: Buffer, rnd: () => number): Buffer[] {
  const n = Math.floor(rnd() * 4);
  const cuts = Array.from({ length: n }, () => Math.floor(rnd() * (b.length + 1))).sort((x, y) => x - y);
  const out: Buffer[] = [];
  let last = 0;
  for (const c of cuts) {
    if (c > last) out.push(b.subarray(last, c));
    last = c;
  }
  if (last < b.length) out.push(b.subarray(last));
  return out;
}

/** The consistency rules every run must satisfy; returns the first broken one, or null. */
function check(r: RunResult, inputLen: number, gz: boolean): string | null {
  const st = r.stats;
  const records = r.files.reduce((a, f) => a + f.records, 0);
  if (r.files.length + r.failed.length !== 1) return `files ${r.files.length} + failed ${r.failed.length} != 1`;
  if (st.packets !== records) return `stats.packets ${st.packets} != records ${records}`;
  if (st.malformed > st.packets) return `malformed ${st.malformed} > packets ${st.packets}`;
  if (st.malformed !== st.reasons.reduce((a, c) => a + c, 0)) return 'malformed != sum of reasons';
  if (st.reasons.slice(0, R_MALFORMED).some((v) => v !== 0)) return 'a reason below R_MALFORMED was counted';
  const t = r.table;
  let flowPkts = 0;
  for (let s = 0; s < t.slots; s++) if (t.used(s)) flowPkts += t.packets(s, 0) + t.packets(s, 1);
  if (flowPkts > st.packets) return `flow packets ${flowPkts} > packets ${st.packets}`;
  const unsupported = st.unsupported.reduce((a, [, n]) => a + n, 0);
  const accounted = flowPkts + t.overflowPackets + st.malformed + unsupported + st.otherFamily + r.fragments.orphans + r.fragments.dropped;
  if (accounted !== st.packets) return `packets ${st.packets} != flows ${flowPkts} + overflow ${t.overflowPackets} + malformed ${st.malformed} + unsupported ${unsupported} + other ${st.otherFamily} + orphans ${r.fragments.orphans} + dropped ${r.fragments.dropped}`;
  if (st.linktypes.reduce((a, [, n]) => a + n, 0) !== st.packets) return 'linktype counts do not add up';
  for (const f of r.files) {
    if (f.records < 0 || f.bytesRead < 0) return 'negative count';
    if (!gz && f.bytesRead > inputLen) return `bytesRead ${f.bytesRead} > input ${inputLen}`;
    if (f.truncatedAt !== null && !gz && (f.truncatedAt < 0 || f.truncatedAt >= inputLen)) return `truncatedAt ${f.truncatedAt} outside the input (${inputLen})`;
    if (f.truncatedAt !== null && f.error !== null) return 'both truncated and an error';
  }
  for (const e of r.failed) if (!(e instanceof CaptureError)) return 'failed entry is not a CaptureError';
  return null;
}

/** What a run found, in a form that can be compared across runs (flows sorted by key). */
function summary(r: RunResult): unknown {
  const t = r.table;
  const flows: string[] = [];
  for (let s = 0; s < t.slots; s++) {
    if (t.used(s)) flows.push(t.factsString(s));
  }
  return {
    files: r.files.map((f) => ({ ...f, bytesRead: f.error === null ? f.bytesRead : null })),
    failed: r.failed.map((e) => e.message),
    stats: r.stats,
    fragments: r.fragments,
    overflow: [t.overflowFlows, t.overflowPackets],
    flows: flows.sort(),
  };
}

// A record or header that does not fit the smaller read buffer (and is all there) cannot be
// framed with it, whether it comes first (a thrown error) or later (report.error).
const bufferTooSmall = (r: RunResult) => r.files.some((f) => f.error?.includes('-byte read buffer')) || r.failed.some((e) => e.message.includes('-byte read buffer'));

describe.skipIf(!corpusPresent)(corpusTitle('corpus: mutation fuzz', 'fuzz'), () => {
  it(
    `${COUNT} mutated inputs through runAnalysis (seed ${SEED})`,
    async () => {
      const seeds: Seed[] = [
        ...corpusFiles().map((f) => {
          const bytes = readFileSync(join(CORPUS, f));
          return { name: f, bytes, fields: fieldsOf(bytes) };
        }),
        ...builtSeeds().map((bytes, i) => ({ name: `built-${i}`, bytes, fields: fieldsOf(bytes) })),
        // TLS with certificates, SSH, HTTP, resets, PMTU evidence: the verdict lab captures
        // feed the payload decoders and the TCP health with mutated streams.
        ...readdirSync(VERDICTS)
          .filter((f) => f.endsWith('.pcap'))
          .map((f) => {
            const bytes = readFileSync(join(VERDICTS, f));
            return { name: f, bytes, fields: fieldsOf(bytes) };
          }),
      ];
      const rnd = mulberry32(SEED);
      const outcome = { captureError: 0, reportError: 0, truncated: 0, clean: 0, escapedCaptureError: 0, gzip: 0 };
      const failedMessages = new Map<string, number>();
      let packets = 0;
      let differential = 0;
      let slowest = 0;
      let slowestWall = 0;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      // The input under way, named if the test fails on something that is not this loop's
      // own report (a hang that reaches the timeout, a rejection from elsewhere).
      let current: { i: number; seed: string; input: Buffer } | null = null;
      onTestFailed(() => {
        if (current === null) return;
        const path = tmp.file(`failed-${SEED}-${current.i}.bin`, current.input);
        console.error(`[fuzz] failed at input ${current.i} (seed ${SEED}, from ${current.seed}, saved as ${path}; again: FUZZ_SEED=${SEED} FUZZ_COUNT=${current.i + 1} FUZZ_KEEP=1)`);
      });
      for (let i = 0; i < COUNT; i++) {
        const seed = seeds[Math.floor(rnd() * seeds.length)];
        let input: Buffer = mutate(seed, seeds, rnd);
        const g = rnd();
        let gz = false;
        let gzDamaged = false;
        if (g < 0.04) {
          input = gzipSync(input);
          gz = true;
        } else if (g < 0.05) {
          const z = gzipSync(input);
          for (let k = 0; k < 3; k++) z[10 + Math.floor(rnd() * Math.max(1, z.length - 10))] ^= 0xff;
          input = rnd() < 0.5 ? z : z.subarray(0, Math.floor(rnd() * z.length));
          gz = true;
          gzDamaged = true;
        }
        if (gz) outcome.gzip++;
        current = { i, seed: seed.name, input };
        const opts = {
          workers: 0,
          maxFlows: rnd() < 0.2 ? 1 + Math.floor(rnd() * 8) : 100_000,
          batchBytes: [4096, 65536, 1 << 20][Math.floor(rnd() * 3)],
          batchRecords: [1, 16, 4096][Math.floor(rnd() * 3)],
          stdin: Readable.from(chunks(input, rnd)),
        };
        // The per-input bound is on CPU time (this fork runs only this file): wall time also
        // counts the other processes of a loaded machine.
        const t1 = performance.now();
        const c1 = process.cpuUsage();
        let r: RunResult;
        try {
          // A hang is named within a minute (as a crash input), not at the whole run's timeout.
          let timer: NodeJS.Timeout | undefined;
          const hang = new Promise<never>((_, no) => {
            timer = setTimeout(() => no(new Error(`no result after ${HANG_MS / 1000} s of wall time`)), HANG_MS);
          });
          r = await Promise.race([runAnalysis(['-'], opts), hang]).finally(() => clearTimeout(timer));
        } catch (err) {
          if (err instanceof CaptureError) {
            outcome.escapedCaptureError++;
            continue;
          }
          const path = tmp.file(`crash-${SEED}-${i}.bin`, input);
          current = null; // this loop names the input itself
          throw new Error(`input ${i} (seed ${SEED}, from ${seed.name}, saved as ${path}) threw ${String(err)}\n${(err as Error).stack ?? ''}`);
        }
        const c2 = process.cpuUsage(c1);
        const ms = (c2.user + c2.system) / 1000;
        if (ms > slowest) slowest = ms;
        slowestWall = Math.max(slowestWall, performance.now() - t1);
        const broken = check(r, input.length, gz);
        if (broken !== null) {
          const path = tmp.file(`inconsistent-${SEED}-${i}.bin`, input);
          current = null;
          expect.fail(`input ${i} (seed ${SEED}, from ${seed.name}, saved as ${path}): ${broken}`);
        }
        if (ms >= 2000) {
          current = null;
          const path = tmp.file(`slow-${SEED}-${i}.bin`, input);
          expect.fail(`input ${i} (seed ${SEED}, from ${seed.name}, saved as ${path}) took ${ms.toFixed(0)} ms of CPU`);
        }
        // Every 8th input again with other buffer sizes: the result must not depend on where
        // the read buffers happened to end (unless a record did not fit one at all). Damaged
        // gzip is left out: how much zlib inflates before failing depends on its input chunks.
        if (i % 8 === 0 && !gzDamaged) {
          const small = await runAnalysis(['-'], {
            workers: 0,
            maxFlows: opts.maxFlows,
            batchBytes: 512 + Math.floor(rnd() * 8192),
            batchRecords: 1 + Math.floor(rnd() * 64),
            stdin: Readable.from(chunks(input, rnd)),
          });
          const big = opts.batchBytes === 1 << 20 ? r : await runAnalysis(['-'], { workers: 0, maxFlows: opts.maxFlows, batchBytes: 1 << 20, batchRecords: 4096, stdin: Readable.from([input]) });
          if (!bufferTooSmall(small) && !bufferTooSmall(big)) {
            differential++;
            const a = summary(small);
            const b = summary(big);
            try {
              expect(a).toEqual(b);
            } catch (err) {
              const path = tmp.file(`differs-${SEED}-${i}.bin`, input);
              current = null;
              throw new Error(`input ${i} (seed ${SEED}, from ${seed.name}, saved as ${path}): result depends on the buffer size\n${(err as Error).message}`);
            }
          }
        }
        packets += r.stats.packets;
        if (r.failed.length > 0) {
          outcome.captureError++;
          const key = r.failed[0].message.replace(/^stdin: /, '').replace(/\(starts with [0-9a-f ]+\)/, '(starts with …)').replace(/ \(.*\)$/, '').replace(/\(found 0x[0-9a-f]+\)/, '(found …)').replace(/0x[0-9a-f]+/g, '0xN').replace(/\d+/g, 'N');
          failedMessages.set(key, (failedMessages.get(key) ?? 0) + 1);
        } else if (r.files[0].error !== null) outcome.reportError++;
        else if (r.files[0].truncatedAt !== null) outcome.truncated++;
        else outcome.clean++;
      }
      const secs = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuSecs = (cpu.user + cpu.system) / 1e6;
      console.log(
        `[fuzz] seed ${SEED}: ${COUNT} inputs (${outcome.gzip} gzipped) from ${seeds.length} seeds in ${secs.toFixed(1)} s (${cpuSecs.toFixed(1)} s CPU, ${((1000 * secs) / COUNT).toFixed(2)} and ${((1000 * cpuSecs) / COUNT).toFixed(2)} ms an input), ${packets} packets; ` +
          `CaptureError ${outcome.captureError} (+${outcome.escapedCaptureError} thrown), report.error ${outcome.reportError}, truncated ${outcome.truncated}, clean ${outcome.clean}; ${differential} compared across buffer sizes; slowest input ${slowest.toFixed(0)} ms CPU (${slowestWall.toFixed(0)} ms wall)\n` +
          `  CaptureErrors: ${[...failedMessages.entries()]
            .sort((a, b) => b[1] - a[1])
            .map(([m, n]) => `${n}× ${m}`)
            .join('; ')}`,
      );
      current = null;
      // The whole run's CPU: 1.9-3.8 ms an input measured, alone to load 9 (CPU time too grows
      // with the load, less than wall time); twice as slow an analysis fails here.
      expect(cpuSecs, `${COUNT} inputs took ${cpuSecs.toFixed(1)} s of CPU`).toBeLessThan(COUNT * 0.006);
      expect(outcome.captureError + outcome.escapedCaptureError + outcome.reportError + outcome.truncated + outcome.clean).toBe(COUNT);
      // the fuzz reached every outcome
      expect(outcome.captureError).toBeGreaterThan(0);
      expect(outcome.reportError).toBeGreaterThan(0);
      expect(outcome.truncated).toBeGreaterThan(0);
      expect(outcome.clean).toBeGreaterThan(0);
    },
    // Only a hang ends it by the clock: 30 ms an input, twice what a run at load 9 took.
    Math.max(180_000, COUNT * 30),
  );
});
