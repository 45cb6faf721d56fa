// The health list: one line per channel seen, a catalog entry × client → server pair, the
// bad news first. A pair keeps only counts and latest times (flows, failed, warned, flows per
// reason, the last success and the last failure), so that folding flows in batches (live
// capture's expiry groups) or merging two summaries' counts gives exactly what one pass gives.
import type { ChannelStatus, ReasonCode } from '../classify/vocabulary.js';
import { channelStatus, REASON_VERDICT, REASON_RANK, REASONS } from '../classify/vocabulary.js';
import { cmp, isoMicros } from './format.js';
import type { HealthLine, HealthOmitted } from './model.js';

/** What a pair of an entry has seen so far; times are microseconds since the epoch. */
export interface PairHealth {
  flows: number;
  failed: number;
  degraded: number;
  /** Latest end of a flow whose verdict is not failed (ok or warning); -Infinity: none. */
  lastSuccess: number;
  /** Latest end of a failed flow; -Infinity: none. */
  lastFailure: number;
  /** Flows per reason, indexed as REASONS (failed and warning flows); null until one has a reason. */
  reasons: Uint32Array | null;
}


export function emptyPairHealth(): PairHealth {
  return { flows: 0, failed: 0, degraded: 0, lastSuccess: -Infinity, lastFailure: -Infinity, reasons: null };
}

/** Folds one flow in (its verdict, reason and last packet time). */
export function addToPairHealth(h: PairHealth, verdict: 'ok' | 'warning' | 'failed', reason: ReasonCode | null, lastTs: number): void {
  h.flows++;
  if (verdict === 'failed') {
    h.failed++;
    if (lastTs > h.lastFailure) h.lastFailure = lastTs;
  } else {
    if (verdict === 'warning') h.degraded++;
    if (lastTs > h.lastSuccess) h.lastSuccess = lastTs;
  }
  if (verdict !== 'ok' && reason !== null) (h.reasons ??= new Uint32Array(REASONS.length))[REASON_RANK.get(reason)!]++;
}

/** Adds b's counts into a: the same as having folded b's flows into a. */
export function mergePairHealth(a: PairHealth, b: PairHealth): void {
  a.flows += b.flows;
  a.failed += b.failed;
  a.degraded += b.degraded;
  a.lastSuccess = Math.max(a.lastSuccess, b.lastSuccess);
  a.lastFailure = Math.max(a.lastFailure, b.lastFailure);
  if (b.reasons !== null) {
    const r = (a.reasons ??= new Uint32Array(REASONS.length));
    for (let i = 0; i < r.length; i++) r[i] += b.reasons[i];
  }
}

/**
 * A pair's reason: the most frequent reason of its failed flows, else the most frequent
 * reason of its flows with warnings, else null. Ties go to the reason listed first in REASONS
 * (the priority order of classification).
 */
export function healthReason(reasons: ArrayLike<number> | null): ReasonCode | null {
  if (reasons === null) return null;
  for (const verdict of ['failed', 'warning'] as const) {
    let best = -1;
    for (let i = 0; i < REASONS.length; i++) {
      if (REASON_VERDICT[REASONS[i]] !== verdict || reasons[i] === 0) continue;
      if (best < 0 || reasons[i] > reasons[best]) best = i;
    }
    if (best >= 0) return REASONS[best];
  }
  return null;
}

/** The bad news first: failing, partial, degraded, up. */
export const HEALTH_STATUS_ORDER: readonly Exclude<ChannelStatus, 'not-seen'>[] = ['failing', 'partial', 'degraded', 'up'];
const STATUS_RANK = new Map<string, number>(HEALTH_STATUS_ORDER.map((s, i) => [s, i]));

/**
 * Channels listed in the health list and the timeline at most (--max-channels): a SYN flood or
 * a scan makes every probe its own channel. The worst are kept; the rest are counted per status.
 */
export const DEFAULT_MAX_CHANNELS = 10_000;

/** A pair's rank in the health list's order of statuses (failing 0 … up 3). */
export function statusRank(flows: number, failed: number, degraded: number): number {
  return failed === 0 ? (degraded > 0 ? 2 : 3) : failed === flows ? 0 : 1;
}

/** What --max-channels left out, per status, from the ranks (statusRank) of the channels left out; undefined when none. */
export function healthOmitted(byRank: readonly number[]): HealthOmitted | undefined {
  const [failing, partial, degraded, up] = byRank;
  const channels = failing + partial + degraded + up;
  return channels === 0 ? undefined : { channels, failing, partial, degraded, up };
}

/** The health list's order over channels of a store that keeps their status rank and entry rank. */
export function healthOrder(a: { rank: number; entryRank: number; entry: string; client: string; server: string }, b: { rank: number; entryRank: number; entry: string; client: string; server: string }): number {
  return a.rank - b.rank || a.entryRank - b.entryRank || cmp(a.entry, b.entry) || cmp(a.client, b.client) || cmp(a.server, b.server);
}

/** A health line from a pair's counts. */
export function healthLine(entry: string, client: string, server: string, h: PairHealth): HealthLine {
  return healthLineOf(entry, client, server, h.flows, h.failed, h.degraded, h.lastSuccess, h.lastFailure, healthReason(h.reasons));
}

/** A health line from a pair's counts and times taken one by one, and its reason (healthReason): for a store of columns, without a PairHealth. */
export function healthLineOf(entry: string, client: string, server: string, flows: number, failed: number, degraded: number, lastSuccess: number, lastFailure: number, reason: ReasonCode | null): HealthLine {
  return {
    entry,
    client,
    server,
    status: channelStatus(flows, failed, degraded) as HealthLine['status'],
    reason,
    flows,
    failed,
    degraded,
    lastSuccess: lastSuccess === -Infinity ? null : isoMicros(lastSuccess),
    lastFailure: lastFailure === -Infinity ? null : isoMicros(lastFailure),
  };
}

/**
 * The health list's order: status (failing, partial, degraded, up), then the catalog's order
 * of entries (`entryRank`: entry id → index), then client and server (code-unit order).
 */
export function sortHealth(lines: HealthLine[], entryRank: ReadonlyMap<string, number>): HealthLine[] {
  const rank = (id: string) => entryRank.get(id) ?? Number.MAX_SAFE_INTEGER;
  return lines.sort(
    (a, b) =>
      STATUS_RANK.get(a.status)! - STATUS_RANK.get(b.status)! ||
      rank(a.entry) - rank(b.entry) ||
      cmp(a.entry, b.entry) ||
      cmp(a.client, b.client) ||
      cmp(a.server, b.server),
  );
}
