#!/usr/bin/env node
// Slices of the benchmark workloads for the benny suites: the pcap global header and the
// first N records of a classic pcap file (bench/workload.mjs writes little-endian,
// microsecond pcap), so a benchmark cycle stays short while the traffic mix stays that of
// the full workload. Deterministic: the same source gives the same bytes.
//
//   node bench/slice.mjs [SRC] [PACKETS] [OUT]
//     defaults: bench/data/mixed-2M.pcap 200000 bench/data/mixed-200k.pcap
//
// The source workload is generated first (node bench/workload.mjs NAME) when it is missing.
// An existing OUT of the right size is kept.
import { openSync, readSync, writeSync, closeSync, existsSync, statSync, renameSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CHUNK = 8 << 20;

function ensureSource(src) {
  if (existsSync(src)) return;
  const name = basename(src).replace(/\.pcap$/, '');
  const r = spawnSync(process.execPath, [join(here, 'workload.mjs'), name, '--out', dirname(src)], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(src)) throw new Error(`slice.mjs: cannot make ${src} (node bench/workload.mjs ${name})`);
}

/** Byte length of the global header plus the first `packets` records of a pcap file. */
function sliceLength(src, packets) {
  const fd = openSync(src, 'r');
  try {
    const hdr = Buffer.alloc(24);
    if (readSync(fd, hdr, 0, 24, 0) !== 24) throw new Error(`${src}: shorter than a pcap header`);
    const magic = hdr.readUInt32LE(0);
    if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${src}: not a little-endian classic pcap file`);
    const size = statSync(src).size;
    const rec = Buffer.alloc(16);
    let pos = 24;
    let n = 0;
    while (n < packets && pos + 16 <= size) {
      readSync(fd, rec, 0, 16, pos);
      const caplen = rec.readUInt32LE(8);
      if (pos + 16 + caplen > size) break;
      pos += 16 + caplen;
      n++;
    }
    return { bytes: pos, packets: n };
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes (or keeps) OUT = the first `packets` records of SRC. Returns { path, bytes, packets }.
 */
export function ensureSlice({
  src = join(here, 'data', 'mixed-2M.pcap'),
  packets = 200_000,
  out = join(here, 'data', `mixed-${packets % 1000 === 0 ? `${packets / 1000}k` : packets}.pcap`),
} = {}) {
  src = resolve(src);
  out = resolve(out);
  ensureSource(src);
  const want = sliceLength(src, packets);
  if (existsSync(out) && statSync(out).size === want.bytes) return { path: out, ...want };
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const inFd = openSync(src, 'r');
  const outFd = openSync(tmp, 'w');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let done = 0;
    while (done < want.bytes) {
      const n = readSync(inFd, buf, 0, Math.min(CHUNK, want.bytes - done), done);
      if (n === 0) throw new Error(`${src}: ended early`);
      let w = 0;
      while (w < n) w += writeSync(outFd, buf, w, n - w);
      done += n;
    }
  } finally {
    closeSync(inFd);
    closeSync(outFd);
  }
  renameSync(tmp, out);
  return { path: out, ...want };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [src, packets, out] = process.argv.slice(2);
  const r = ensureSlice({
    ...(src ? { src } : {}),
    ...(packets ? { packets: Number(packets) } : {}),
    ...(out ? { out } : {}),
  });
  console.log(`${r.path}: ${r.packets} packets, ${r.bytes} bytes`);
}
