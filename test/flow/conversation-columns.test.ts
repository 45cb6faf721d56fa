// The columns that carry conversation facts from a worker decode to exactly the facts that
// went in: real conversations of the verdict lab captures (TLS, resets, PMTU evidence,
// retransmissions), taken from an aggregator, round-trip field for field.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import type { RecordBatch } from '../../src/capture/records.js';
import { decodeColumn, encodeColumns } from '../../src/flow/conversation-columns.js';
import type { ConversationFacts, FlowFacts } from '../../src/flow/conversation.js';
import { BatchAggregator, takeConversations } from '../../src/pipeline/aggregate.js';
import { REPO } from '../helpers/shared.js';

/** Every conversation of a capture, aggregated inline and taken by key. */
async function conversationsOf(name: string, dir = 'fixtures/verdicts'): Promise<(FlowFacts | null)[]> {
  const agg = new BatchAggregator(10_000);
  const pool = new BufferPool();
  await readCapture(resolve(REPO, dir, name), { fileIndex: 0, seqBase: 0, pool, submit: (b: RecordBatch) => (agg.add(b), pool.release(b)) });
  const snap = agg.table.snapshot();
  return takeConversations(agg.conversations, snap.keys);
}

/** Plain data with typed arrays as plain arrays, for a deep comparison. */
const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)));

describe('conversation columns', () => {
  it.each(['v01_tls_certs.pcap', 'v02_tcp_faults.pcap', 'v03_pmtu_blackhole.pcap', 'v04_udp_noreply.pcap'])('%s: every flow decodes to the facts that were encoded', async (name) => {
    const facts = await conversationsOf(name);
    expect(facts.filter((f) => f !== null).length).toBeGreaterThan(3);
    expect(facts.some((f) => f?.kind === 'tcp' && f.pmtu !== null) || name !== 'v03_pmtu_blackhole.pcap').toBe(true);
    const cols = encodeColumns(facts);
    // what a worker transfers: the columns survive a structured clone
    const moved = structuredClone(cols);
    for (let i = 0; i < facts.length; i++) expect(plain(decodeColumn(moved, i)), `flow ${i}`).toEqual(plain(facts[i]));
  });

  it('carries the silences of long-lived sessions (HA1 28769, 28770 of the HA outage capture)', async () => {
    const facts = await conversationsOf('h01_ha_outage.pcap', 'fixtures/ha-outage');
    const long = facts.filter((f): f is ConversationFacts => f?.kind === 'tcp' && f.silences != null);
    expect(long).toHaveLength(2);
    // the 28769 session: the server's 7.6 s silence is its longest
    expect(Math.max(...long.map((f) => Math.max(...f.silences!.gaps.filter((_, i) => i % 2 === 1))))).toBe(7641050);
    const cols = structuredClone(encodeColumns(facts));
    for (let i = 0; i < facts.length; i++) expect(plain(decodeColumn(cols, i)), `flow ${i}`).toEqual(plain(facts[i]));
  });

  it('keeps nulls apart from zeros (rtt, MSS, ICMP MTU)', () => {
    const side = { packets: 1, payloadBytes: 0, dataSegments: 0, maxSegment: 0, retransmissions: 0, dataRetransmissions: 0, fastRetransmissions: 0, spuriousRetransmissions: 0, outOfOrder: 0, duplicateAcks: 0, zeroWindows: 0, zeroWindowProbes: 0, keepAlives: 0, lostSegments: 0, ackedUnseen: 0, mss: null, windowScale: 0 };
    const f: ConversationFacts = {
      kind: 'tcp',
      originator: 1,
      health: { originator: side, responder: { ...side, mss: 0, windowScale: null }, rttMs: { synToSynAck: 0, synAckToAck: null }, initialRttMs: null, history: 'S', historyDropped: 0, connState: 'S0' },
      streams: [null, null],
      pmtu: { side: 1, frameBytes: 1514, segmentBytes: 1448, retransmits: 0, progressed: false, icmpMtu: null, adaptedAfterIcmp: false, peerAnswered: true },
      maxSends: [1, 1],
    };
    const g: ConversationFacts = { ...f, health: { ...f.health, rttMs: null }, pmtu: { ...f.pmtu!, icmpMtu: 0 } };
    const cols = encodeColumns([f, null, g]);
    expect(decodeColumn(cols, 0)).toEqual(f);
    expect(decodeColumn(cols, 1)).toBeNull();
    expect(decodeColumn(cols, 2)).toEqual(g);
  });
});
