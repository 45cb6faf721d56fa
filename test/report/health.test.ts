// The health list: a pair's reason (failed before warnings, most flows, ties by REASONS
// order), its order (status, catalog order, client, server), and merging counts.
import { describe, expect, it } from 'vitest';
import { REASONS, type ReasonCode } from '../../src/classify/vocabulary.js';
import { addToPairHealth, emptyPairHealth, healthLine, healthReason, mergePairHealth, sortHealth, type PairHealth } from '../../src/report/health.js';
import { isoMicros } from '../../src/report/format.js';
import type { HealthLine } from '../../src/report/model.js';

type Fold = ['ok' | 'warning' | 'failed', ReasonCode | null, number];

function fold(list: Fold[], h: PairHealth = emptyPairHealth()): PairHealth {
  for (const [verdict, reason, ts] of list) addToPairHealth(h, verdict, reason, ts);
  return h;
}

const T = Date.UTC(2026, 10, 25, 16, 15, 0) * 1000;

describe('health reason', () => {
  it('is null without failed or warning flows', () => {
    expect(healthReason(null)).toBeNull();
    expect(healthLine('e', 'a', 'b', fold([['ok', null, T]])).reason).toBeNull();
  });

  it('is the most frequent reason of the failed flows, even when warnings outnumber them', () => {
    const h = fold([
      ['failed', 'unanswered', T],
      ['failed', 'rejected', T + 1],
      ['failed', 'unanswered', T + 2],
      ['warning', 'retransmissions', T + 3],
      ['warning', 'retransmissions', T + 4],
      ['warning', 'retransmissions', T + 5],
    ]);
    expect(healthReason(h.reasons)).toBe('unanswered');
  });

  it('breaks ties by the REASONS order (rejected before unanswered, tls-alert before both)', () => {
    expect(healthReason(fold([['failed', 'unanswered', T], ['failed', 'rejected', T]]).reasons)).toBe('rejected');
    expect(healthReason(fold([['failed', 'rejected', T], ['failed', 'tls-alert', T]]).reasons)).toBe('tls-alert');
    expect(REASONS.indexOf('rejected')).toBeLessThan(REASONS.indexOf('unanswered'));
  });

  it('falls back to the most frequent warning reason (ties by REASONS order)', () => {
    const h = fold([['ok', null, T], ['warning', 'zero-window', T], ['warning', 'retransmissions', T], ['warning', 'zero-window', T]]);
    expect(healthReason(h.reasons)).toBe('zero-window');
    expect(healthReason(fold([['warning', 'zero-window', T], ['warning', 'retransmissions', T]]).reasons)).toBe('retransmissions');
  });
});

describe('health line', () => {
  it('counts flows and keeps the latest success (ok or warning) and the latest failure', () => {
    const h = fold([
      ['ok', null, T + 5_000_000],
      ['failed', 'unanswered', T + 9_000_000],
      ['warning', 'retransmissions', T + 7_000_000],
      ['failed', 'rejected', T + 1_000_000],
    ]);
    expect(healthLine('panorama.device-mgmt.3978', '10.99.1.1', '10.99.1.5', h)).toEqual({
      entry: 'panorama.device-mgmt.3978',
      client: '10.99.1.1',
      server: '10.99.1.5',
      status: 'partial',
      reason: 'rejected',
      flows: 4,
      failed: 2,
      degraded: 1,
      lastSuccess: '2026-11-25T16:15:07.000000Z',
      lastFailure: '2026-11-25T16:15:09.000000Z',
    });
    expect(healthLine('x', 'a', 'b', fold([['failed', 'unanswered', T]]))).toMatchObject({ status: 'failing', lastSuccess: null, lastFailure: isoMicros(T) });
    expect(healthLine('x', 'a', 'b', fold([['warning', 'zero-window', T]]))).toMatchObject({ status: 'degraded', reason: 'zero-window', lastFailure: null });
  });

  it('merges exactly: two halves merged equal one pass, in either order', () => {
    const all: Fold[] = [
      ['ok', null, T + 3],
      ['failed', 'unanswered', T + 8],
      ['warning', 'retransmissions', T + 1],
      ['failed', 'unanswered', T + 2],
      ['failed', 'rejected', T + 9],
      ['ok', null, T + 4],
    ];
    const one = fold(all);
    for (const cut of [0, 1, 3, 6]) {
      const a = fold(all.slice(0, cut));
      const b = fold(all.slice(cut));
      const ab = fold([]);
      mergePairHealth(ab, a);
      mergePairHealth(ab, b);
      const ba = fold([]);
      mergePairHealth(ba, b);
      mergePairHealth(ba, a);
      expect(healthLine('e', 'c', 's', ab)).toEqual(healthLine('e', 'c', 's', one));
      expect(healthLine('e', 'c', 's', ba)).toEqual(healthLine('e', 'c', 's', one));
    }
  });
});

describe('health order', () => {
  const line = (entry: string, client: string, status: HealthLine['status']): HealthLine => ({
    entry, client, server: '10.0.0.9', status, reason: null, flows: 1, failed: 0, degraded: 0, lastSuccess: null, lastFailure: null,
  });

  it('failing, partial, degraded, up; then catalog order, then client', () => {
    const rank = new Map([['management.ssh.22', 0], ['ha.ha1-clear.28769', 1], ['panorama.device-mgmt.3978', 2]]);
    const lines = [
      line('management.ssh.22', '10.0.0.1', 'up'),
      line('panorama.device-mgmt.3978', '10.0.0.2', 'failing'),
      line('panorama.device-mgmt.3978', '10.0.0.10', 'partial'),
      line('ha.ha1-clear.28769', '10.0.0.3', 'degraded'),
      line('management.ssh.22', '10.0.0.4', 'failing'),
      line('panorama.device-mgmt.3978', '10.0.0.1', 'failing'),
    ];
    expect(sortHealth(lines, rank).map((h) => `${h.status} ${h.entry} ${h.client}`)).toEqual([
      'failing management.ssh.22 10.0.0.4',
      'failing panorama.device-mgmt.3978 10.0.0.1',
      'failing panorama.device-mgmt.3978 10.0.0.2',
      'partial panorama.device-mgmt.3978 10.0.0.10',
      'degraded ha.ha1-clear.28769 10.0.0.3',
      'up management.ssh.22 10.0.0.1',
    ]);
  });
});
