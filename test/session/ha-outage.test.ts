// HA cadence on a real capture with an induced outage (fixtures/ha-outage/make.sh: two
// namespaces, ping -i 1 and HA1-like hellos on 28769, nftables dropping everything on one
// peer for 5 s). The truth file holds what tshark reads from the capture.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { microsFromIso } from '../../src/report/format.js';
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
});
