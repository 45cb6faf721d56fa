// Asks V8 for a mark-compact once the report phase has let go of the feed's structures.
//
// V8 collects its old generation when it has grown by a factor (up to 4) of what was live
// after the last mark-compact. The feed ends with such a collection, its per-flow state
// (streams, kept payload, the TCP arena) all alive; classification then drops that state flow
// by flow while the flows it lists and the summary's channels are promoted, and on mixed-2M
// the old generation grew from 32 to 90 MB of which a third was alive, with no collection
// before the JSON was being written (bench/README.md, "Issue 13: peak RSS of mixed-2M").
//
// V8 also starts incremental marking when memory held outside its heap (ArrayBuffers) has grown
// by 64 MiB since the last mark-compact. An ArrayBuffer of more than that, never written, is
// address space only (calloc'd pages are not touched) and is dropped at once: V8 then marks
// concurrently, on another thread (≈ 50 ms of CPU a collection on mixed-2M, none of it on the
// main thread's: wall time only when the other core is busy), and the pause to finish is short —
// where a forced `gc()` (--expose-gc) stops the main thread for the whole collection.

import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** Beyond V8's 64 MiB step of external memory, with room for memory freed since the last mark-compact. */
const NUDGE_BYTES = 256 << 20;

/** Flows a session must hold before finish() asks for collections: small runs (tests, the fuzz corpus) never do. */
export const COLLECT_FLOWS = 8192;

/**
 * Fractions of the flows classified at which finish() asks for a collection. Classification
 * first touches the young generation's pages the feed left untouched, and promotes what the
 * summary keeps of each flow, while the flows it has judged leave their per-flow state and
 * kept payload as garbage; early collections bound that first rise, the later ones give the
 * payload back chunk by chunk (stream.ts, ByteSlab). mixed-2M, `-F json` (3 runs each): one
 * at half 196–200 MiB, at 0.1, 0.25 and 0.5 177–183, seven at eighths 182–185
 * (bench/README.md, "peak RSS of mixed-2M, third pass").
 */
const COLLECT_AT: readonly number[] = [0.1, 0.25, 0.5];

/**
 * Payload kept per table, at least, at the rate of the flows classified so far, for the
 * collections during classification. Where flows kept little (flood-1M's SYNs: nothing), what
 * is alive then (the channels) is most of the heap: marking 330 MB of it cost 0.5 s of CPU
 * there and freed little.
 */
const COLLECT_KEPT_BYTES = 16 << 20;

/** How many points of COLLECT_AT `classified` of `count` flows have passed. */
export function collectPointsPassed(classified: number, count: number): number {
  let k = 0;
  while (k < COLLECT_AT.length && classified >= COLLECT_AT[k] * count) k++;
  return k;
}

/** Whether `classified` of `count` flows that kept `keptBytes` of payload kept enough for a collection (COLLECT_KEPT_BYTES). */
export function keptEnoughToCollect(keptBytes: number, classified: number, count: number): boolean {
  return keptBytes * count >= COLLECT_KEPT_BYTES * classified;
}

/**
 * When finish() asks for collections while it classifies a table of `count` flows (at least
 * COLLECT_FLOWS): at the COLLECT_AT points where the flows judged so far kept enough payload
 * (keptEnoughToCollect), and every COLLECT_EVERY_FLOWS flows whatever they kept — one at most
 * per chunk, since the two meet at round numbers (a point of a table of 200,000 flows is a
 * multiple of COLLECT_EVERY_FLOWS) and a second nudge while V8 marks starts nothing (it only
 * advances the marking on the main thread).
 */
export class CollectionSchedule {
  private classified = 0;
  private points = 0;
  private sinceLast = 0;

  constructor(private readonly count: number) {}

  /** `flows` more flows classified; `keptBytes`: the payload all flows kept. Whether to startCollection() now. */
  classifiedMore(flows: number, keptBytes: number): boolean {
    this.classified += flows;
    let collect = false;
    if ((this.sinceLast += flows) >= COLLECT_EVERY_FLOWS) {
      this.sinceLast = 0;
      collect = true;
    }
    const passed = collectPointsPassed(this.classified, this.count);
    if (passed !== this.points) {
      this.points = passed;
      if (keptEnoughToCollect(keptBytes, this.classified, this.count)) collect = true;
    }
    return collect;
  }
}

/** What V8 may take for its young generation, beside the old one, within `heap_size_limit`. */
const YOUNG_GENERATION_BOUND = 64 << 20;

/**
 * Whether a nudge leaves V8 on its concurrent path. Past a hard limit of external memory,
 * half the old generation's maximum (V8 11's `Heap::external_memory_hard_limit()`), V8
 * collects everything at once with the main thread stopped instead; under a small
 * `--max-old-space-size` a nudge would then cost what it is meant to avoid. The old
 * generation's maximum is taken at its lowest (the heap limit less the young generation's
 * bound), and the external memory since the last mark-compact at its highest (all of it).
 */
export function nudgeStaysConcurrent(externalBytes: number, heapSizeLimit: number): boolean {
  return externalBytes + NUDGE_BYTES <= (heapSizeLimit - YOUNG_GENERATION_BOUND) / 2;
}

/**
 * Flows classified between two collections in a large table. A flow's classification leaves
 * garbage behind (its facts and classified flow, ≈ 2.5 KB; a part of it promoted before its
 * chunk is folded in), which V8 collects only once its old generation has about doubled: on
 * flood-1M the heap climbed from ≈ 70 to ≈ 200 MiB between two of its mark-compacts, and the
 * top of that climb was the run's peak (bench/README.md, "flood-1M, third pass").
 */
const COLLECT_EVERY_FLOWS = 100_000;

/** Starts a concurrent mark-compact (see above); does nothing when it would not be concurrent or the address space cannot be had. */
export function startCollection(): void {
  const heap = getHeapStatistics();
  if (!nudgeStaysConcurrent(heap.external_memory, heap.heap_size_limit)) return;
  try {
    new ArrayBuffer(NUDGE_BYTES);
  } catch {
    // No room for the address space (a strict overcommit policy): V8 collects when it will.
  }
}

/**
 * Turns V8's allocation-site pretenuring off for the rest of the process (the report phase of
 * a large table; the CLI exits after it). V8 decides per object or array literal, at a
 * scavenge, whether that literal's objects are allocated in the old generation from then on,
 * for good, when nearly all it made since the last scavenge survived. Classification's first
 * scavenge comes a few hundred flows in, while the chunk being judged holds every flow made so
 * far: each literal a judged flow keeps (the flow, its TCP facts and their sides) is then
 * pretenured, and every later flow's, dead a chunk later, piles up in the old generation
 * until a mark-compact — ≈ 350 MiB of garbage on flood-1M (bench/README.md, "flood-1M, third
 * pass"). The feed allocates no objects per packet, so nothing else depends on it.
 *
 * Only for a process that ends with the report (SessionOptions.exitsAfterReport: the CLI):
 * the flag is process-wide and stays set, which a library caller's process must not inherit.
 * Node documents flags changed after start-up as possibly doing nothing; this one is read by
 * V8 at each scavenge's pretenuring decision, and if it did nothing only memory would be as before.
 */
export function stopPretenuring(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
