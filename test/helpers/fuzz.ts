// What the payload-decoder fuzz tests (test/inspect/fuzz*.test.ts) share: the env knobs, the
// byte mutators, and the run loop with its timing, heap sampling, "inputs reaching" counters,
// summary line and final assertions. Each test keeps its corpus, its protocol-specific
// mutators, its per-decoder properties and its thresholds.
import { expect } from 'vitest';
import type { FlowPayload, SegmentMark, StreamPrefix } from '../../src/inspect/stream.js';
import { cat } from '../inspect/tls-build.js';
import { mulberry32 } from './random.js';

export type Rand = () => number;
export const int = (r: Rand, n: number): number => Math.floor(r() * n);
export const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

// ---- knobs ----------------------------------------------------------------------------

export interface FuzzKnobs {
  seed: number;
  count: number;
  /** One iteration replayed alone, or null for the whole run. */
  only: number | null;
  /** The variables' names, printed with a failure so that it can be replayed. */
  seedVar: string;
  onlyVar: string;
}

/** Reads a run's seed, count and single iteration from the environment; each test names its own variables. */
export function fuzzKnobs(vars: { seed: string; count: string; only: string }, defaults: { seed: number; count: number }): FuzzKnobs {
  const only = process.env[vars.only];
  return {
    seed: Number(process.env[vars.seed] ?? defaults.seed) >>> 0,
    count: Number(process.env[vars.count] ?? defaults.count),
    only: only === undefined ? null : Number(only),
    seedVar: vars.seed,
    onlyVar: vars.only,
  };
}

/** How many inputs the run makes (for the test's title). */
export const fuzzInputs = (k: FuzzKnobs): number => (k.only === null ? k.count : 1);

// ---- byte mutators ----------------------------------------------------------------------

/**
 * One mutation of a byte string, free to change `b` in place (it is the mutator's own copy).
 * null: it does not apply to this input (an empty one, mostly), and the table's last
 * mutator, which must always apply, runs instead, so that every draw changes something.
 */
export type Mutator = (r: Rand, b: Uint8Array, other: Uint8Array) => Uint8Array | null;

/** Up to `most` bits flipped. */
export const flipBits =
  (most: number): Mutator =>
  (r, b) => {
    if (b.length === 0) return null;
    for (let f = 1 + int(r, most); f > 0; f--) b[int(r, b.length)] ^= 1 << int(r, 8);
    return b;
  };

/** One byte set to one of `values` (the protocol's interesting octets) or to a random one. */
export const setByte =
  (values: readonly number[]): Mutator =>
  (r, b) => {
    if (b.length === 0) return null;
    const at = int(r, b.length);
    b[at] = pick(r, [...values, int(r, 256)]);
    return b;
  };

export const truncate: Mutator = (r, b) => b.subarray(0, int(r, b.length + 1));

/** A prefix of this input, the rest from another. */
export const splice: Mutator = (r, b, other) => cat(b.subarray(0, int(r, b.length + 1)), other.subarray(int(r, other.length + 1)));

/** A chunk repeated up to 200 times: many records, many messages. */
export const repeatChunk: Mutator = (r, b) => {
  if (b.length === 0) return null;
  const s = int(r, b.length);
  const chunk = b.subarray(s, s + 1 + int(r, 64));
  const parts = [b.subarray(0, s)];
  for (let n = 1 + int(r, 200); n > 0; n--) parts.push(chunk);
  parts.push(b.subarray(s));
  return cat(...parts);
};

export const deleteChunk: Mutator = (r, b) => {
  if (b.length === 0) return null;
  const s = int(r, b.length);
  return cat(b.subarray(0, s), b.subarray(s + 1 + int(r, 32)));
};

export const insertJunk: Mutator = (r, b) => {
  const s = int(r, b.length + 1);
  return cat(b.subarray(0, s), Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)), b.subarray(s));
};

/** A length or count field of the protocol's, at `at`, `width` bytes wide. */
export interface Field {
  at: number;
  width: number;
  le: boolean;
}

/** Writes `v` (≥ -1, below 2^32) into a field, as far as the bytes reach. */
export function setField(b: Uint8Array, f: Field, v: number): void {
  for (let i = 0; i < f.width; i++) {
    const shift = 8 * (f.le ? i : f.width - 1 - i);
    if (f.at + i < b.length) b[f.at + i] = Math.floor(v / 2 ** shift) & 0xff;
  }
}

/** 1 to `rounds` mutations, each drawn from `ops` (listed twice: drawn twice as often); the result cut to `max` bytes. */
export function mutateBytes(r: Rand, b: Uint8Array, other: Uint8Array, ops: readonly Mutator[], o: { rounds: number; max: number }): Uint8Array {
  let out: Uint8Array = Uint8Array.from(b);
  const last = ops[ops.length - 1];
  for (let k = 1 + int(r, o.rounds); k > 0; k--) {
    const next = ops[int(r, ops.length)](r, out, other) ?? last(r, out, other);
    if (next === null) throw new Error('the last mutator must always apply');
    out = next;
  }
  return out.length > o.max ? out.subarray(0, o.max) : out;
}

// ---- two-sided inputs ---------------------------------------------------------------------

/** The client side, the server side or both (a third each) changed by `side`; `touch` false leaves a side's bytes alone. */
export function eitherSide<S>(r: Rand, base: { client: S; server: S }, other: { client: S; server: S }, side: (p: S, o: S, touch: boolean) => S): { client: S; server: S } {
  const which = int(r, 3);
  return { client: side(base.client, other.client, which !== 1), server: side(base.server, other.server, which !== 0) };
}

/** A flow's streams mutated in place of their marks: the bytes by `bytes`, the marks by `marks`, `truncated` redrawn. */
export function mutateStreams(
  r: Rand,
  base: FlowPayload,
  other: FlowPayload,
  bytes: (r: Rand, b: Uint8Array, other: Uint8Array) => Uint8Array,
  marks: (r: Rand, p: StreamPrefix, bytes: Uint8Array) => SegmentMark[],
): FlowPayload {
  return eitherSide(r, base, other, (p, o, touch) => {
    if (!touch) return { ...p, truncated: r() < 0.2 };
    const b = bytes(r, p.bytes, r() < 0.5 ? o.bytes : p.bytes);
    return { bytes: b, marks: marks(r, p, b), truncated: r() < 0.3 };
  });
}

// ---- the run ------------------------------------------------------------------------------

/** Hex of the first 4 KiB (enough to see the damage; the iteration number replays the whole). */
export const hex = (b: Uint8Array): string => Buffer.from(b.subarray(0, 4096)).toString('hex') + (b.length > 4096 ? `... (${b.length} bytes)` : '');

export interface FuzzRun<T, K extends string> {
  /** The summary line's prefix. */
  name: string;
  /** Mixed with the iteration number into the iteration's own seed. */
  mix: number;
  /** The input of iteration `i`, drawn from its own stream. */
  input: (r: Rand, i: number) => T;
  /** Its size in bytes, for the summary. */
  bytes: (input: T) => number;
  /** Runs the decoders on one input (throwing where a property fails) and returns how many calls it made; `reach` counts what it got far into. */
  exercise: (input: T, r: Rand, reach: (what: K) => void) => number;
  /** The input, printed with a failure. */
  dump: (input: T) => string;
  /** The counters' names, in the summary's order. */
  reached: readonly K[];
  /** Every input makes at least this many decoder calls. */
  callsPerInput: number;
  /** In a full run of 10,000 inputs or more, every counter is above count / reachDivisor. */
  reachDivisor: number;
}

/** The run loop: one replayable stream per input, timing and heap sampling, a summary line, then the assertions. */
export function runFuzz<T, K extends string>(k: FuzzKnobs, run: FuzzRun<T, K>): void {
  const reached = Object.fromEntries(run.reached.map((w) => [w, 0])) as Record<K, number>;
  const reach = (w: K) => {
    reached[w]++;
  };
  const started = performance.now();
  const heapStart = process.memoryUsage().heapUsed;
  let heapMax = heapStart;
  let slowest = 0;
  let slowestAt = -1;
  let calls = 0;
  let bytes = 0;
  const first = k.only ?? 0;
  const last = k.only === null ? k.count : k.only + 1;
  for (let i = first; i < last; i++) {
    // a stream of its own per input, so that one iteration replays alone
    const r = mulberry32((k.seed ^ Math.imul(i + 1, run.mix)) >>> 0);
    const input = run.input(r, i);
    bytes += run.bytes(input);
    const t0 = performance.now();
    try {
      calls += run.exercise(input, r, reach);
    } catch (e) {
      throw new Error(`iteration ${i} (${k.seedVar}=${k.seed} ${k.onlyVar}=${i}): ${(e as Error).stack}\n${run.dump(input)}`);
    }
    const dt = performance.now() - t0;
    if (dt > slowest) {
      slowest = dt;
      slowestAt = i;
    }
    if ((i & 1023) === 0) heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${run.name}: seed=${k.seed} inputs=${last - first} decoder calls=${calls} bytes=${(bytes / 1e6).toFixed(1)} MB ` +
      `time=${seconds.toFixed(1)} s slowest input=${slowest.toFixed(1)} ms (#${slowestAt}) ` +
      `heap start=${(heapStart / 1e6).toFixed(0)} MB max=${(heapMax / 1e6).toFixed(0)} MB\n  inputs reaching: ${JSON.stringify(reached)}`,
  );
  expect(calls).toBeGreaterThanOrEqual((last - first) * run.callsPerInput);
  if (k.only === null && k.count >= 10_000) {
    // the mutations keep enough structure to reach deep into the decoders
    for (const [what, n] of Object.entries<number>(reached)) expect(n, what).toBeGreaterThan(k.count / run.reachDivisor);
  }
  // no input may take long: the work is linear in the (capped) bytes
  expect(slowest).toBeLessThan(1000);
  // nothing is kept between inputs: the heap stays near where it started
  expect(heapMax - heapStart).toBeLessThan(256e6);
}
