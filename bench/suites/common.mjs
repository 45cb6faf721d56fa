// Shared plumbing of the benny suites: paths, the --quick switch, the slice file, imports of
// the BUILT modules (dist/), and helpers for asynchronous cases and result lines.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import b from 'benny';
import { ensureSlice } from '../slice.mjs';

export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const root = resolve(benchDir, '..');
export const resultsDir = join(benchDir, 'results');

/** --quick: a 50k-packet slice and shorter cases (smoke run); otherwise 200k packets. */
export const quick = process.argv.includes('--quick');
export const SLICE_PACKETS = quick ? 50_000 : 200_000;
/** benny/benchmark.js case options: seconds per case, samples. */
export const caseOptions = quick ? { maxTime: 1.5, minSamples: 3 } : { maxTime: 5, minSamples: 5 };

/** The mixed-2M slice (made from bench/data/mixed-2M.pcap, generated when missing). */
export function slice() {
  return ensureSlice({ packets: SLICE_PACKETS });
}

/** Imports a module of the build (dist/...); tells how to build when it is missing. */
export async function dist(rel) {
  const path = join(root, 'dist', rel);
  if (!existsSync(path)) {
    console.error(`bench: ${path} missing: run npm run build first`);
    process.exit(66);
  }
  return import(pathToFileURL(path).href);
}

/**
 * An asynchronous benny case whose runs never overlap. benny 3.7.1 calls an async test
 * function twice before measuring (to find out its type) and does not await the first call;
 * chaining every call on the previous one makes those two calls plain warm-up runs that
 * finish before the first timed run starts.
 */
export function serial(fn) {
  let last = Promise.resolve();
  return () => {
    last = last.then(fn);
    return last;
  };
}

/** benny's live cycle output on a terminal; one plain line per finished case otherwise. */
export function cycle() {
  if (process.stdout.isTTY) return b.cycle();
  return b.cycle((result) => {
    console.log(`  ${result.name}: ${fmtOps(result.ops)} ops/s ±${result.margin.toFixed(2)}% (${result.samples} samples)`);
    return undefined;
  });
}

export function fmtOps(x) {
  return x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(4);
}

/** benny config: case options, and ops/s kept to 2 decimals (benny rounds to integers by default). */
export const config = () => b.configure({ cases: caseOptions, minDisplayPrecision: 2 });

/** Unrounded seconds per op of a case: mean and median of benchmark.js's samples. */
export function secondsPerOp(summary, name) {
  const r = summary.results.find((x) => x.name === name);
  return { mean: r.details.mean, median: r.details.median };
}

/** Per-case lines: ms per op and, when `units` says how many items an op handles, M items/s. */
export function describe(summary, units = {}) {
  const lines = [];
  for (const r of summary.results) {
    const s = r.details.mean;
    const n = units[r.name];
    const rate = n ? `, ${(n / s / 1e6).toFixed(2)} M items/s (${((s * 1e9) / n).toFixed(1)} ns/item)` : '';
    lines.push(`  ${r.name}: mean ${(s * 1e3).toFixed(2)} ms/op (median ${(r.details.median * 1e3).toFixed(2)}) ±${r.margin.toFixed(2)}%, ${r.samples} samples${rate}`);
  }
  return lines.join('\n');
}

export const saveOptions = (file) => ({ file: quick ? `${file}.quick` : file, folder: resultsDir, format: 'json', details: true });

/** The seeded PRNG of the suites (mulberry32): uint32 values, the same sequence every run. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
