// The columns that carry conversations from a worker (their TCP blocks as they are, streams,
// logs) give exactly the facts a store builds from its own blocks: real conversations of
// the verdict lab captures (TLS, resets, PMTU evidence, retransmissions), aggregated twice,
// taken once as facts and once as columns, field for field.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import type { RecordBatch } from '../../src/capture/records.js';
import { columnBuffers, type ConversationColumns } from '../../src/flow/conversation-columns.js';
import { factsOfColumns, type ConversationFacts, type FlowFacts } from '../../src/flow/conversation.js';
import { KEY_WORDS } from '../../src/flow/table.js';
import { BatchAggregator } from '../../src/pipeline/aggregate.js';
import { takeConversations } from './take-conversations.js';
import { REPO } from '../helpers/shared.js';

async function aggregated(name: string, dir: string): Promise<BatchAggregator> {
  const agg = new BatchAggregator(10_000);
  const pool = new BufferPool();
  await readCapture(resolve(REPO, dir, name), { fileIndex: 0, seqBase: 0, pool, submit: (b: RecordBatch) => (agg.add(b), pool.release(b)) });
  return agg;
}

/**
 * Every flow of a capture, with a key no store has in front: its facts taken by key, and
 * the same flows of a second aggregation taken as columns, moved as a worker moves them.
 */
async function conversationsOf(name: string, dir = 'fixtures/verdicts'): Promise<{ facts: (FlowFacts | null)[]; columns: ConversationColumns }> {
  const agg = await aggregated(name, dir);
  const keys = agg.table.snapshot().keys;
  const all = new Uint32Array(keys.length + KEY_WORDS);
  all.set(keys, KEY_WORDS);
  all.fill(0xdead, 0, KEY_WORDS);
  const facts = takeConversations(agg.conversations, all);
  const columns = (await aggregated(name, dir)).conversations.takeColumns(all);
  return { facts, columns: structuredClone(columns, { transfer: columnBuffers(columns) }) };
}

/** Plain data with typed arrays as plain arrays, for a deep comparison. */
const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)));

describe('conversation columns', () => {
  it.each(['v01_tls_certs.pcap', 'v02_tcp_faults.pcap', 'v03_pmtu_blackhole.pcap', 'v04_udp_noreply.pcap'])('%s: every flow decodes to the facts that were encoded', async (name) => {
    const { facts, columns } = await conversationsOf(name);
    expect(facts[0]).toBeNull();
    expect(facts.filter((f) => f !== null).length).toBeGreaterThan(3);
    expect(facts.some((f) => f?.kind === 'tcp' && f.pmtu !== null) || name !== 'v03_pmtu_blackhole.pcap').toBe(true);
    const back = factsOfColumns(columns);
    for (let i = 0; i < facts.length; i++) expect(plain(back(i)), `flow ${i}`).toEqual(plain(facts[i]));
  });

  it('carries the silences of long-lived sessions (HA1 28769, 28770 of the HA outage capture)', async () => {
    const { facts, columns } = await conversationsOf('h01_ha_outage.pcap', 'fixtures/ha-outage');
    const long = facts.filter((f): f is ConversationFacts => f?.kind === 'tcp' && f.silences != null);
    expect(long).toHaveLength(2);
    // the 28769 session: the server's 7.6 s silence is its longest
    expect(Math.max(...long.map((f) => Math.max(...f.silences!.gaps.filter((_, i) => i % 2 === 1))))).toBe(7641050);
    const back = factsOfColumns(columns);
    for (let i = 0; i < facts.length; i++) expect(plain(back(i)), `flow ${i}`).toEqual(plain(facts[i]));
  });
});
