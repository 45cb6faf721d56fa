// The summary's channels as columns: found again by (entry, client, server) through growth,
// counts, reasons and failures exact, one-flow channels without a timeline.
import { describe, expect, it } from 'vitest';
import type { ClassifiedFlow } from '../../src/classify/classify.js';
import { REASONS } from '../../src/classify/vocabulary.js';
import { ChannelStore } from '../../src/report/channels.js';
import { healthLine } from '../../src/report/health.js';
import { oneFlowBuckets } from '../../src/report/timeline.js';

const T0 = 1_790_000_000_000_000;

function flow(clientId: number, serverId: number, more: Partial<ClassifiedFlow> = {}): ClassifiedFlow {
  return {
    client: `10.0.${clientId >> 8}.${clientId & 255}`,
    server: `192.0.2.${serverId}`,
    clientId,
    serverId,
    clientPackets: 1,
    serverPackets: 0,
    clientBytes: 60,
    serverBytes: 0,
    firstTs: T0 + clientId,
    lastTs: T0 + clientId + 5,
    verdict: 'ok',
    reason: null,
    state: 'established',
    gaps: null,
    ...more,
  } as ClassifiedFlow;
}

describe('ChannelStore', () => {
  it('finds 5,000 channels of two entries again after growing, in order of first flow', () => {
    const ch = new ChannelStore();
    for (let i = 0; i < 5000; i++) expect(ch.find(i % 2, flow(i, 7))).toBe(i);
    expect(ch.size).toBe(5000);
    for (let i = 0; i < 5000; i++) expect(ch.find(i % 2, flow(i, 7))).toBe(i);
    expect(ch.lookup(0, 4998, 7)).toBe(4998);
    expect(ch.lookup(1, 4998, 7)).toBe(-1);
    expect(ch.lookup(0, 1, 8)).toBe(-1);
    expect(ch.clientOf(4999)).toBe('10.0.19.135');
    expect(ch.serverOf(4999)).toBe('192.0.2.7');
    const [even, odd] = ch.byEntry(3).slice(0, 2);
    expect(even.length).toBe(2500);
    expect(odd[0]).toBe(1);
    expect(odd[2499]).toBe(4999);
    expect(ch.byEntry(3)[2].length).toBe(0);
  });

  it('reserves room once: 5,000 channels found in columns that never grow again', () => {
    const ch = new ChannelStore();
    ch.reserve(5000);
    const entry = ch.entry;
    expect(entry.length).toBe(8192);
    for (let i = 0; i < 5000; i++) expect(ch.find(i % 2, flow(i, 7))).toBe(i);
    expect(ch.entry).toBe(entry);
    for (let i = 0; i < 5000; i++) expect(ch.lookup(i % 2, i, 7)).toBe(i);
    // Less than there is room for already: nothing changes.
    ch.reserve(100);
    expect(ch.entry).toBe(entry);
  });

  it('counts volume, verdicts, reasons and failures per channel', () => {
    const ch = new ChannelStore();
    const c = ch.find(0, flow(1, 2));
    ch.add(c, flow(1, 2, { verdict: 'failed', reason: 'no-reply', state: 'unanswered', lastTs: T0 + 100 }), false);
    expect(ch.addFailure(c, 'no-reply', 'unanswered')).toBe(true);
    ch.add(c, flow(1, 2, { verdict: 'failed', reason: 'no-reply', state: 'unanswered', lastTs: T0 + 50 }), false);
    expect(ch.addFailure(c, 'no-reply', 'unanswered')).toBe(false);
    ch.add(c, flow(1, 2, { verdict: 'failed', reason: 'rejected', state: 'rejected', lastTs: T0 + 70 }), false);
    expect(ch.addFailure(c, 'rejected', 'rejected')).toBe(true);
    expect(ch.addFailure(c, 'rejected', 'rejected')).toBe(false);
    ch.add(c, flow(1, 2, { serverPackets: 3, serverBytes: 1000, lastTs: T0 + 90 }), false);
    expect([ch.flows[c], ch.failed[c], ch.degraded[c], ch.packets[c], ch.bytes[c]]).toEqual([4, 3, 0, 7, 1240]);
    expect(ch.health(c)).toMatchObject({ flows: 4, failed: 3, degraded: 0, lastSuccess: T0 + 90, lastFailure: T0 + 100 });
    const r = ch.reasons(c)!;
    expect(r[REASONS.indexOf('no-reply')]).toBe(2);
    expect(r[REASONS.indexOf('rejected')]).toBe(1);
    expect(r.reduce((a, b) => a + b, 0)).toBe(3);
    expect(ch.failureList(c)).toEqual([
      { client: '10.0.0.1', server: '192.0.2.2', reason: 'no-reply', state: 'unanswered', flows: 2 },
      { client: '10.0.0.1', server: '192.0.2.2', reason: 'rejected', state: 'rejected', flows: 2 },
    ]);
    expect(ch.firstFailure(c)).toEqual({ client: '10.0.0.1', server: '192.0.2.2', reason: 'no-reply', state: 'unanswered', flows: 2 });
    expect([ch.firstFailureFlows(c), ch.firstFailureReason(c), ch.firstFailureState(c)]).toEqual([2, REASONS.indexOf('no-reply'), 'unanswered']);
    expect(ch.laterFailures(c)).toEqual([{ client: '10.0.0.1', server: '192.0.2.2', reason: 'rejected', state: 'rejected', flows: 2 }]);
    // Four flows: a timeline of seconds was made at the second.
    expect(ch.timelineParts(c, 1, 10).buckets.length).toBeGreaterThan(0);
  });

  it('gives a channel of one flow the one-flow buckets, and a new one no reasons or failures', () => {
    const ch = new ChannelStore();
    const c = ch.find(3, flow(9, 9));
    const f = flow(9, 9, { verdict: 'warning', reason: REASONS[0], firstTs: T0, lastTs: T0 + 2_500_000 });
    ch.add(c, f, false);
    expect(ch.timelineParts(c, 1, 10)).toEqual({ ...oneFlowBuckets(T0, T0 + 2_500_000, 'warning', 1, 10), gaps: [] });
    expect(ch.reasons(c)![0]).toBe(1);
    const d = ch.find(3, flow(9, 10));
    expect(ch.reasons(d)).toBeNull();
    expect(ch.failureList(d)).toEqual([]);
    expect(ch.hasFailures(d)).toBe(false);
    expect(ch.health(d)).toEqual({ flows: 0, failed: 0, degraded: 0, lastSuccess: -Infinity, lastFailure: -Infinity, reasons: null });
  });

  it('writes a health line from its columns as healthLine does from its counts: no reason, one reason, several', () => {
    const ch = new ChannelStore();
    const none = ch.find(0, flow(1, 2));
    ch.add(none, flow(1, 2), false);
    const one = ch.find(0, flow(1, 3));
    ch.add(one, flow(1, 3, { verdict: 'warning', reason: 'retransmissions', lastTs: T0 + 40 }), false);
    ch.add(one, flow(1, 3, { verdict: 'warning', reason: 'retransmissions', lastTs: T0 + 30 }), false);
    const many = ch.find(1, flow(2, 3));
    ch.add(many, flow(2, 3, { verdict: 'failed', reason: 'no-reply', state: 'unanswered', lastTs: T0 + 100 }), false);
    ch.add(many, flow(2, 3, { verdict: 'failed', reason: 'rejected', state: 'rejected', lastTs: T0 + 70 }), false);
    ch.add(many, flow(2, 3, { verdict: 'failed', reason: 'rejected', state: 'rejected', lastTs: T0 + 60 }), false);
    ch.add(many, flow(2, 3, { lastTs: T0 + 90 }), false);
    for (const c of [none, one, many]) expect(ch.healthLine(c, 'e.x')).toEqual(healthLine('e.x', ch.clientOf(c), ch.serverOf(c), ch.health(c)));
    expect([ch.healthLine(none, 'e.x').reason, ch.healthLine(one, 'e.x').reason, ch.healthLine(many, 'e.x').reason]).toEqual([null, 'retransmissions', 'rejected']);
    expect(ch.healthLine(one, 'e.x')).toMatchObject({ status: 'degraded', flows: 2, failed: 0 });
    expect(ch.healthLine(many, 'e.x')).toMatchObject({ status: 'partial', flows: 4, failed: 3, lastSuccess: '2026-09-21T14:13:20.000090Z', lastFailure: '2026-09-21T14:13:20.000100Z' });
  });
});
