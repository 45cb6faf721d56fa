// The timeline (issue 11): per channel (catalog entry × client → server, the channels of
// the health list), flows active, started, failed and with warnings per interval, the
// intervals aligned to the epoch and taken from a fixed ladder so that timelines of
// different runs merge by re-bucketing to the coarser width (rebucket()). Long-lived
// sessions add their gaps (classify/silences.ts).
//
// Counted at classification from each flow's first and last packet times: a flow is
// active in every interval from its first packet's to its last packet's (it may have been
// quiet in some of them: the counts say a flow was open, not that it sent), started in its
// first packet's and, when failed or warned, counted in its last packet's. A channel keeps
// four counts per second in which a flow started or ended, so any ladder width is derived
// exactly at the end, when the capture's duration is known.
import type { SessionGap } from '../classify/silences.js';
import { mergeGaps } from '../classify/silences.js';
import { isoMicros, microsFromIso } from './format.js';
import { markAsWritten } from './json-parts.js';
import type { TimelineBucket, TimelineChannel, TimelineGap } from './model.js';

/** The widths an interval can have, in seconds (each divides the next). */
export const INTERVAL_LADDER: readonly number[] = [1, 10, 60, 600, 3600];
export { INTERVAL_NAMES } from './intervals.js';
/** The default width gives at most this many intervals over the capture (1 h beyond 120 h). */
export const MAX_DEFAULT_BUCKETS = 120;
/**
 * Intervals listed per channel at most: the latest (a hostile or broken capture can span
 * decades; at 1 h this is 416 days). The channel says how many earlier ones were left out.
 */
export const MAX_CHANNEL_BUCKETS = 10_000;
/** Intervals listed over all channels at most (many channels of one such capture). */
export const MAX_TIMELINE_BUCKETS = 200_000;
/** Gaps kept per channel: the longest. */
export const MAX_CHANNEL_GAPS = 64;

/** Start (µs since the epoch) of the interval of `widthS` seconds holding tsUs: floor, so times before 1970 too. */
export function bucketStartUs(tsUs: number, widthS: number): number {
  return Math.floor(tsUs / (widthS * 1e6)) * widthS * 1e6;
}

/** Epoch-aligned intervals of widthS from the one holding firstUs to the one holding lastUs. */
export function bucketCount(firstUs: number, lastUs: number, widthS: number): number {
  return (bucketStartUs(lastUs, widthS) - bucketStartUs(firstUs, widthS)) / (widthS * 1e6) + 1;
}

/**
 * The default width: the smallest of the ladder that covers the capture (first to last
 * packet, µs) in at most MAX_DEFAULT_BUCKETS epoch-aligned intervals; 1 h when none does;
 * 1 s without packets.
 */
export function defaultInterval(firstUs: number, lastUs: number): number {
  if (!Number.isFinite(firstUs) || !Number.isFinite(lastUs)) return INTERVAL_LADDER[0];
  for (const w of INTERVAL_LADDER) if (bucketCount(firstUs, lastUs, w) <= MAX_DEFAULT_BUCKETS) return w;
  return INTERVAL_LADDER[INTERVAL_LADDER.length - 1];
}

const STARTED = 0;
const ENDED = 1;
const FAILED = 2;
const WARNED = 3;

/** One channel's timeline so far: counts per second with an event, and its gaps. */
export class ChannelTimeline {
  /** Second since the epoch → [started, ended, failed, warnings]. */
  readonly seconds = new Map<number, number[]>();
  gaps: SessionGap[] = [];

  private at(us: number): number[] {
    const s = Math.floor(us / 1e6);
    let c = this.seconds.get(s);
    if (c === undefined) this.seconds.set(s, (c = [0, 0, 0, 0]));
    return c;
  }

  /** One flow: its first and last packet times (µs) and verdict. */
  add(firstUs: number, lastUs: number, verdict: 'ok' | 'warning' | 'failed'): void {
    this.at(firstUs)[STARTED]++;
    const end = this.at(lastUs);
    end[ENDED]++;
    if (verdict === 'failed') end[FAILED]++;
    else if (verdict === 'warning') end[WARNED]++;
  }

  /** Gaps of a long-lived session of the channel (overlapping ones merge; the longest MAX_CHANNEL_GAPS kept). */
  addGaps(gaps: readonly SessionGap[]): void {
    if (gaps.length === 0) return;
    let all = mergeGaps([...this.gaps, ...gaps]);
    if (all.length > MAX_CHANNEL_GAPS) {
      all = all
        .sort((a, b) => b.endUs - b.startUs - (a.endUs - a.startUs) || a.startUs - b.startUs)
        .slice(0, MAX_CHANNEL_GAPS)
        .sort((a, b) => a.startUs - b.startUs);
    }
    this.gaps = all;
  }

  /**
   * The intervals of widthS seconds with anything in them, by start: the latest
   * MAX_CHANNEL_BUCKETS, and how many earlier intervals with something in them were left out.
   */
  buckets(widthS: number, max = MAX_CHANNEL_BUCKETS): { buckets: TimelineBucket[]; clipped: number } {
    const w = widthS * 1e6;
    // Per interval start: started, failed, warnings, and the change of flows active.
    const per = new Map<number, [number, number, number, number]>();
    const get = (k: number) => {
      let c = per.get(k);
      if (c === undefined) per.set(k, (c = [0, 0, 0, 0]));
      return c;
    };
    for (const [s, c] of this.seconds) {
      const k = bucketStartUs(s * 1e6, widthS);
      const b = get(k);
      b[0] += c[STARTED];
      b[1] += c[FAILED];
      b[2] += c[WARNED];
      b[3] += c[STARTED];
      if (c[ENDED] > 0) get(k + w)[3] -= c[ENDED];
    }
    const keys = [...per.keys()].sort((a, b) => a - b);
    const out: TimelineBucket[] = [];
    // Only intervals from `from` on are listed (at most MAX_CHANNEL_BUCKETS); the earlier
    // ones with something in them are counted, without visiting each (bounded work).
    // (The last key may only carry the end of flows whose last interval is the one before.)
    let last = keys.length === 0 ? 0 : keys[keys.length - 1];
    if (keys.length > 0) {
      const [s0, f0, w0] = per.get(last)!;
      if (s0 + f0 + w0 === 0) last -= w;
    }
    const from = max <= 0 ? Infinity : last - (max - 1) * w;
    let clipped = 0;
    let active = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const [started, failed, warnings, delta] = per.get(k)!;
      active += delta;
      if (active > 0 || started > 0 || failed > 0 || warnings > 0) {
        if (k >= from) out.push({ start: isoMicros(k), flows: active, started, failed, warnings });
        else clipped++;
      }
      // Flows open across intervals without an event: each of them, up to the next key.
      if (active > 0 && i + 1 < keys.length) {
        const next = keys[i + 1];
        const hiddenEnd = Math.min(next, from);
        if (hiddenEnd > k + w) clipped += Math.round((hiddenEnd - (k + w)) / w);
        for (let t = Math.max(k + w, from); t < next; t += w) out.push({ start: isoMicros(t), flows: active, started: 0, failed: 0, warnings: 0 });
      }
    }
    return { buckets: out, clipped };
  }

  /** The gaps as the summary lists them. */
  gapList(): TimelineGap[] {
    return this.gaps.map(timelineGap);
  }
}

/**
 * ChannelTimeline.buckets() of a channel of one flow (first and last packet times, µs,
 * first ≤ last), without its maps: nearly every channel of mixed-2M (8,583 of 8,586) is one
 * flow. Its intervals are those of the first and the last packet and the ones between.
 */
export function oneFlowBuckets(firstUs: number, lastUs: number, verdict: 'ok' | 'warning' | 'failed', widthS: number, max = MAX_CHANNEL_BUCKETS): { buckets: TimelineBucket[]; clipped: number } {
  const w = widthS * 1e6;
  const k0 = bucketStartUs(Math.floor(firstUs / 1e6) * 1e6, widthS);
  const k1 = bucketStartUs(Math.floor(lastUs / 1e6) * 1e6, widthS);
  const failed = verdict === 'failed' ? 1 : 0;
  const warnings = verdict === 'warning' ? 1 : 0;
  // As buckets(): the latest `max` intervals, from the last one with an event (the last packet's).
  const from = max <= 0 ? Infinity : k1 - (max - 1) * w;
  const out: TimelineBucket[] = [];
  let clipped = 0;
  if (k0 === k1) {
    if (k0 >= from) out.push({ start: isoMicros(k0), flows: 1, started: 1, failed, warnings });
    else clipped++;
    return { buckets: out, clipped };
  }
  if (k0 >= from) out.push({ start: isoMicros(k0), flows: 1, started: 1, failed: 0, warnings: 0 });
  else clipped++;
  const hiddenEnd = Math.min(k1, from);
  if (hiddenEnd > k0 + w) clipped += Math.round((hiddenEnd - (k0 + w)) / w);
  for (let t = Math.max(k0 + w, from); t < k1; t += w) out.push({ start: isoMicros(t), flows: 1, started: 0, failed: 0, warnings: 0 });
  if (k1 >= from) out.push({ start: isoMicros(k1), flows: 1, started: 0, failed, warnings });
  else clipped++;
  return { buckets: out, clipped };
}

/**
 * A run's timeline channel, marked as made in the JSON's key order (json-parts.ts, asWritten):
 * entry, client, server, buckets, gaps, clipped (no lowerBound), as are its buckets' and
 * gaps' (the literals here).
 */
export function timelineChannel(entry: string, client: string, server: string, buckets: TimelineBucket[], gaps: TimelineGap[], clipped: number): TimelineChannel {
  return markAsWritten({ entry, client, server, buckets, gaps, clipped });
}

export function timelineGap(g: SessionGap): TimelineGap {
  return { start: isoMicros(g.startUs), end: isoMicros(g.endUs), seconds: (g.endUs - g.startUs) / 1e6 };
}

/**
 * A channel's buckets of fromS seconds as buckets of toS seconds (a multiple of fromS, as
 * the ladder's widths are): started, failed and warnings add up; flows active in a coarse
 * interval are those active in its first fine interval plus those that started in its
 * later ones (a flow active anywhere in it either was open at its start or started inside
 * it, never both), so the result is what counting at toS gives, not an overcount of flows
 * spanning several fine intervals.
 */
export function rebucket(buckets: readonly TimelineBucket[], fromS: number, toS: number): TimelineBucket[] {
  if (toS < fromS || toS % fromS !== 0) throw new RangeError(`cannot re-bucket ${fromS} s intervals to ${toS} s`);
  const out: TimelineBucket[] = [];
  let cur: TimelineBucket | null = null;
  let curUs = NaN;
  for (const b of [...buckets].sort((x, y) => microsFromIso(x.start) - microsFromIso(y.start))) {
    const us = microsFromIso(b.start);
    const k = bucketStartUs(us, toS);
    if (cur === null || k !== curUs) {
      cur = { start: isoMicros(k), flows: 0, started: 0, failed: 0, warnings: 0 };
      curUs = k;
      out.push(cur);
    }
    cur.flows += us === k ? b.flows : b.started;
    cur.started += b.started;
    cur.failed += b.failed;
    cur.warnings += b.warnings;
  }
  return out;
}

/** A whole timeline at a coarser width of the ladder (the channels' gaps are kept as they are). */
export function rebucketChannels(channels: readonly TimelineChannel[], fromS: number, toS: number): TimelineChannel[] {
  return channels.map((c) => ({ ...c, buckets: rebucket(c.buckets, fromS, toS), gaps: c.gaps.map((g) => ({ ...g })) }));
}
