// HA cadence on a real capture with an induced outage (fixtures/ha-outage/make.sh: two
// namespaces, ping -i 1 and HA1-like hellos on 28769, nftables dropping everything on one
// peer for 5 s). The truth file holds what tshark reads from the capture.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { microsFromIso } from '../../src/report/format.js';
import { rebucketChannels } from '../../src/report/timeline.js';
import { REPO } from '../helpers/shared.js';

const DIR = resolve(REPO, 'fixtures/ha-outage');
const PCAP = resolve(DIR, 'h01_ha_outage.pcap');
const truth = JSON.parse(readFileSync(resolve(DIR, 'h01_ha_outage.truth.json'), 'utf8'));

describe.each([0, 2])('HA outage capture (%i workers)', (workers) => {
  it('reports the ICMP heartbeat first, its gap between answered echoes and the unanswered requests', async () => {
    const { summary } = await analyzeCaptures([PCAP], { workers });
    const [icmp, tcp] = summary.ha.heartbeats;
    expect(summary.ha.heartbeats).toHaveLength(2);
    expect(icmp).toMatchObject({ peers: truth.peers, transport: 'icmp', entry: 'ha.heartbeat-icmp.1', flows: 1, unanswered: truth.icmp.unanswered, heartbeats: truth.icmp.replies, capHit: false });
    expect(icmp.gaps).toHaveLength(1);
    expect(icmp.gaps[0].start).toBe(truth.icmp.gap.start);
    expect(icmp.gaps[0].end).toBe(truth.icmp.gap.end);
    expect(icmp.gaps[0].seconds).toBeCloseTo(truth.icmp.gap.seconds, 3);
    // ping -i 1: about a second between answered echoes; the gap is the longest interval
    expect(icmp.intervalMs!.median).toBeGreaterThan(990);
    expect(icmp.intervalMs!.median).toBeLessThan(1100);
    expect(icmp.intervalMs!.max).toBeCloseTo(truth.icmp.gap.seconds * 1000, 0);
    expect(icmp.gaps[0].missed).toBe(Math.round((truth.icmp.gap.seconds * 1000) / icmp.intervalMs!.median) - 1);
    // the outage lies inside the gap
    expect(microsFromIso(icmp.gaps[0].start)).toBeLessThan(microsFromIso(truth.outage.start));
    expect(microsFromIso(icmp.gaps[0].end)).toBeGreaterThan(microsFromIso(truth.outage.end));

    expect(tcp).toMatchObject({ peers: truth.peers, transport: 'tcp', entry: 'ha.ha1-clear.28769', flows: 1, unanswered: 0, heartbeats: truth.ha1Hellos.segments });
    expect(tcp.gaps).toHaveLength(1);
    expect(tcp.gaps[0].start).toBe(truth.ha1Hellos.longestSilence.start);
    // the two peers' silences overlap: the gap ends with the later of their first hellos after it
    expect(microsFromIso(tcp.gaps[0].end) - microsFromIso(truth.ha1Hellos.longestSilence.end)).toBeGreaterThanOrEqual(0);
    expect(microsFromIso(tcp.gaps[0].end) - microsFromIso(truth.ha1Hellos.longestSilence.end)).toBeLessThan(5000);
  });

  it('gives both heartbeat flows a heartbeat-gap warning', async () => {
    const { flows } = await analyzeCaptures([PCAP], { workers });
    const hb = flows.filter((f) => f.heartbeat).sort((a, b) => a.transport.localeCompare(b.transport));
    expect(hb.map((f) => [f.transport, f.verdict, f.reason])).toEqual([
      ['icmp', 'warning', 'heartbeat-gap'],
      ['tcp', 'warning', 'heartbeat-gap'],
    ]);
    expect(hb[0].detail).toBe(`heartbeat silent for ${truth.icmp.gap.seconds.toFixed(1)} s (about 5 missed at a 1.02 s median interval)`);
  });

  it('gives the 28769 channel its gap and 1 s buckets that match tshark', async () => {
    const { summary } = await analyzeCaptures([PCAP], { workers });
    const t = summary.timeline;
    // 20.2 s of capture: 21 one-second intervals, the smallest width within 120
    expect(t.intervalSeconds).toBe(1);
    const byEntry = new Map(t.channels.map((c) => [c.entry, c]));
    expect(t.channels.map((c) => c.entry)).toEqual(['ha.ha1-clear.28769', 'ha.ha1-backup.28770', 'ha.heartbeat-icmp.1']);
    const ha1 = byEntry.get('ha.ha1-clear.28769')!;
    expect([ha1.client, ha1.server]).toEqual(truth.peers);
    expect(ha1.gaps).toHaveLength(1);
    // the same silence as the HA cadence: from the server's last hello before the outage...
    expect(ha1.gaps[0].start).toBe(truth.ha1Hellos.longestSilence.start);
    // ...to the later of the two peers' first hellos after it (the client's, 15 µs after the server's)
    const endDelta = microsFromIso(ha1.gaps[0].end) - microsFromIso(truth.ha1Hellos.longestSilence.end);
    expect(endDelta).toBe(15);
    expect(ha1.gaps[0].seconds).toBeCloseTo(truth.ha1Hellos.longestSilence.seconds + endDelta / 1e6, 6);
    // buckets: one flow open from its first packet's second to its last's, started in the first,
    // a warning (heartbeat-gap) in the last
    const cases: [string, string, number][] = [
      ['ha.ha1-clear.28769', 'tcp/28769', 1],
      ['ha.ha1-backup.28770', 'tcp/28770', 0],
      ['ha.heartbeat-icmp.1', 'icmp', 1],
    ];
    for (const [entry, key, warnings] of cases) {
      const want = truth.timeline.flows[key];
      const buckets = byEntry.get(entry)!.buckets;
      expect(buckets.map((b) => b.start)).toEqual(want.buckets1s.map((s: string) => s.replace(/\.\d+Z$/, '.000000Z')));
      expect(buckets.every((b) => b.flows === 1)).toBe(true);
      expect(buckets.map((b) => b.started)).toEqual(want.buckets1s.map((_: string, i: number) => (i === 0 ? 1 : 0)));
      expect(buckets.map((b) => b.warnings)).toEqual(want.buckets1s.map((_: string, i: number) => (i === want.buckets1s.length - 1 ? warnings : 0)));
      expect(buckets.reduce((a, b) => a + b.failed, 0)).toBe(0);
    }
    // the heartbeat over ICMP is not a long-lived session: buckets only
    expect(byEntry.get('ha.heartbeat-icmp.1')!.gaps).toEqual([]);
  });

  it('re-buckets to 1 min as --interval 1m counts', async () => {
    const fine = (await analyzeCaptures([PCAP], { workers })).summary.timeline;
    const coarse = (await analyzeCaptures([PCAP], { workers, interval: 60 })).summary.timeline;
    expect(coarse.intervalSeconds).toBe(60);
    // 20:45:40 → 20:46:00 spans two minutes
    expect(coarse.channels[0].buckets).toEqual([
      { start: '2026-11-26T20:45:00.000000Z', flows: 1, started: 1, failed: 0, warnings: 0 },
      { start: '2026-11-26T20:46:00.000000Z', flows: 1, started: 0, failed: 0, warnings: 1 },
    ]);
    expect(rebucketChannels(fine.channels, 1, 60)).toEqual(coarse.channels);
  });
});

it('gives the same timeline for 0 and 2 workers', async () => {
  const [a, b] = await Promise.all([analyzeCaptures([PCAP], { workers: 0 }), analyzeCaptures([PCAP], { workers: 2 })]);
  expect(JSON.stringify(a.summary.timeline)).toBe(JSON.stringify(b.summary.timeline));
  expect(a.summary.timeline.channels[0].gaps).toHaveLength(1);
});
