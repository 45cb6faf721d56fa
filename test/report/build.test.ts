// The summary builder on a real capture: listing limits, top-N pairs and failures.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import { REPO } from '../helpers/shared.js';

const A06 = resolve(REPO, 'fixtures/pan-lab/a06_failures.pcap');

describe('buildSummary', () => {
  it('lists every unexpected/failed flow by default, and only the largest ones under --max-listed', async () => {
    const full = await analyze([A06], { workers: 0 });
    expect(full.flows).toHaveLength(6);
    expect(full.flowsOmitted).toBe(0);
    const cut = await analyze([A06], { workers: 0, maxListed: 2 });
    expect(cut.flows).toEqual(full.flows.slice(0, 2));
    expect(cut.flowsOmitted).toBe(4);
    expect(cut.flows[0].bytes).toBeGreaterThanOrEqual(cut.flows[1].bytes);
    // --flows lists all, whatever the limit
    const all = await analyze([A06], { workers: 0, maxListed: 1, allFlows: true });
    expect(all.flowsOmitted).toBe(0);
    expect(all.flows.length).toBeGreaterThan(6);
  });

  it('keeps the top pairs and failures per entry and counts the rest', async () => {
    const s = await analyze([A06], { workers: 0, topPairs: 1 });
    const e = s.entries.find((x) => x.id === 'panorama.device-mgmt.3978')!;
    expect(e.pairCount).toBe(2);
    expect(e.pairs).toEqual([{ client: '10.99.1.1', server: '10.99.1.99', flows: 1, packets: 7, bytes: 518, failed: 1, status: 'failing', degraded: 0 }]);
    expect(e.failureCount).toBe(2);
    expect(e.failures).toEqual([{ client: '10.99.1.1', server: '10.99.1.5', reason: 'rejected', state: 'rejected', flows: 1 }]);
    expect([e.status, e.degraded]).toEqual(['failing', 0]);
  });

  it('a UDP flow answered only by ICMP errors is rejected, failed with reason icmp-error, in flows[] and in entries[].failures', async () => {
    const s = await analyze([A06], { workers: 0 });
    const flow = s.flows.find((f) => f.transport === 'udp' && f.serverPort === 161)!;
    expect([flow.client, flow.server, flow.state, flow.icmpErrors, flow.verdict, flow.reason]).toEqual(['10.99.1.20', '10.99.1.2', 'rejected', 2, 'failed', 'icmp-error']);
    const e = s.entries.find((x) => x.id === 'management.snmp.161')!;
    expect([e.failed, e.failureCount]).toEqual([1, 1]);
    expect(e.failures).toEqual([{ client: '10.99.1.20', server: '10.99.1.2', reason: 'icmp-error', state: 'rejected', flows: 1 }]);
  });
});
