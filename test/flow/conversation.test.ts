// The conversation store as an aggregator feeds it from real batches: payload is taken from
// the captured bytes of each record only. A segment the snaplen cut keeps what was captured
// and the stream stops at the hole; the bytes of the next record in the batch are not
// mistaken for the rest of it (which would also make results depend on batching).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import type { RecordBatch } from '../../src/capture/records.js';
import { factsOfColumns } from '../../src/flow/conversation.js';
import { BatchAggregator } from '../../src/pipeline/aggregate.js';
import { KEY_WORDS } from '../../src/flow/table.js';
import { takeConversations } from './take-conversations.js';
import { ACK, eth, ipv4, pcap, PROTO_TCP, PSH, SYN, tcp, tempDir } from '../helpers/build.js';
import { TcpScript } from '../helpers/tcp-script.js';

const tmp = tempDir('pantap-conversation-');
afterAll(() => tmp.remove());

const C = '10.99.1.1';
const S = '10.99.1.5';

async function conversationOf(script: TcpScript) {
  const path = script.write(join(tmp.dir, `c${Math.random().toString(36).slice(2)}.pcap`));
  const agg = new BatchAggregator(100);
  const pool = new BufferPool();
  let batches = 0;
  await readCapture(path, { fileIndex: 0, seqBase: 0, pool, submit: (b: RecordBatch) => (batches++, agg.add(b), pool.release(b)) });
  expect(batches).toBe(1); // the cut record and the next one share a batch
  const [facts] = takeConversations(agg.conversations, agg.table.snapshot().keys);
  if (facts?.kind !== 'tcp') throw new Error('no TCP conversation');
  return facts;
}

describe('conversation payload', () => {
  it('a segment cut by the snaplen keeps only its captured bytes, whatever follows it in the batch', async () => {
    const greeting = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n';
    const headers = 14 + 20 + 20;
    const facts = await conversationOf(
      new TcpScript(C, S, 40000, 22)
        .handshake()
        // 10 of the 41 greeting bytes captured
        .frame('s', 501, 101, ACK | PSH, greeting, headers + 10)
        .frame('s', 501 + greeting.length, 101, ACK | PSH, 'more'),
    );
    const server = facts.streams[1]!;
    expect(Buffer.from(server.bytes).toString('latin1')).toBe(greeting.slice(0, 10));
    expect(server.truncated).toBe(true);
    expect(server.gaps).toBe(1);
  });

  it('a segment whose payload the snaplen cut entirely keeps nothing', async () => {
    const headers = 14 + 20 + 20;
    const facts = await conversationOf(
      new TcpScript(C, S, 40000, 22)
        .frame('c', 100, 0, SYN)
        .frame('s', 500, 101, SYN | ACK)
        .frame('c', 101, 501, ACK | PSH, Buffer.alloc(3000, 0x41), headers)
        .frame('c', 3101, 501, ACK | PSH, 'x'),
    );
    const client = facts.streams[0]!;
    expect(client.bytes.length).toBe(0);
    expect(client.truncated).toBe(true);
  });
});

  it('a side that sends a SYN but no payload has no stream; one that sends payload later keeps as if its direction began at the SYN', async () => {
    // Random bytes (no long protocol): the flow keeps 1,024 bytes per direction, but the
    // directions began at their SYNs, before the flow's first payload, so they were made
    // with maxBytes: the first segment stays whole (1,400 bytes), as it always did.
    const data = Buffer.alloc(1400, 0xda);
    const facts = await conversationOf(
      new TcpScript(C, S, 40000, 8080)
        .handshake()
        .frame('c', 101, 501, ACK | PSH, data)
        .frame('s', 501, 1501, ACK | PSH, data.subarray(0, 300))
        .frame('c', 1501, 801, ACK | PSH, 'more'),
    );
    const [client, server] = facts.streams;
    expect(client!.bytes.length).toBe(1400);
    expect(client!.marks).toEqual([{ offset: 0, record: 3 }]);
    expect(client!).toMatchObject({ midstream: false, truncated: true, ignoredBytes: 4, cutBytes: 0 });
    expect(server!.bytes.length).toBe(300);
    expect(server!).toMatchObject({ midstream: false, truncated: false, ignoredBytes: 0 });

    const scan = await conversationOf(new TcpScript(C, S, 40001, 8080).frame('c', 100, 0, SYN).frame('s', 500, 101, SYN | ACK).frame('c', 101, 501, ACK));
    expect(scan.streams).toEqual([null, null]);
  });

describe('conversation ids', () => {
  async function feed(agg: BatchAggregator, script: TcpScript): Promise<void> {
    const path = script.write(join(tmp.dir, `c${Math.random().toString(36).slice(2)}.pcap`));
    const pool = new BufferPool();
    await readCapture(path, { fileIndex: 0, seqBase: 0, pool, submit: (b: RecordBatch) => (agg.add(b), pool.release(b)) });
  }
  const take = (agg: BatchAggregator) => takeConversations(agg.conversations, agg.table.snapshot().keys).filter((f) => f !== null);

  it('an id reused after its flow was taken starts from nothing (TCP health, payload, PMTU bookkeeping)', async () => {
    const bulk = Buffer.alloc(3000, 0x17);
    // the server's first segment again after three duplicate ACKs: a (fast) retransmission
    const first = new TcpScript(C, S, 40000, 443).handshake().s(bulk);
    for (let i = 0; i < 3; i++) first.frame('c', 101, 501, ACK);
    first.frame('s', 501, 101, ACK | PSH, bulk.subarray(0, 1448)).fin();
    const second = () => new TcpScript(C, S, 40001, 22).handshake().c(Buffer.from('SSH-2.0-a\r\n')).s(Buffer.from('SSH-2.0-b\r\n'));
    const agg = new BatchAggregator(100);
    await feed(agg, first);
    const [a] = take(agg);
    if (a?.kind !== 'tcp') throw new Error('no TCP conversation');
    expect([a.maxSends, a.health.responder.fastRetransmissions, a.health.history, a.streams[1]!.bytes.length]).toEqual([[1, 2], 1, 'ShAdtFf', 1448]);
    expect(a.pmtu).toMatchObject({ side: 1, frameBytes: 1502, retransmits: 1, progressed: true, peerAnswered: true });
    // the same aggregator: the second flow gets the first one's id
    await feed(agg, second());
    const reused = take(agg);
    const fresh = new BatchAggregator(100);
    await feed(fresh, second());
    const want = take(fresh);
    expect(reused).toEqual(want);
    expect(want).toHaveLength(1);
    expect(want[0]).toMatchObject({ kind: 'tcp', pmtu: null, maxSends: [1, 1], health: { history: 'ShADd', connState: 'S1' } });
  });
});

describe('held first packets', () => {
  async function feed(agg: BatchAggregator, script: TcpScript): Promise<void> {
    const path = script.write(join(tmp.dir, `h${Math.random().toString(36).slice(2)}.pcap`));
    const pool = new BufferPool();
    await readCapture(path, { fileIndex: 0, seqBase: 0, pool, submit: (b: RecordBatch) => (agg.add(b), pool.release(b)) });
  }

  it('a flow of one SYN has the facts of its SYN, peeked at or taken, and no block', async () => {
    const agg = new BatchAggregator(100);
    await feed(agg, new TcpScript(C, S, 40000, 443).frame('c', 100, 0, SYN));
    const keys = agg.table.snapshot().keys;
    const peeked = agg.conversations.peekKey(keys);
    expect(agg.conversations.peekKey(keys)).toEqual(peeked);
    const [taken] = takeConversations(agg.conversations, keys);
    expect(taken).toEqual(peeked);
    if (taken?.kind !== 'tcp') throw new Error('no TCP conversation');
    expect(taken.originator).toBe(0);
    expect(taken.health).toMatchObject({ history: 'S', connState: 'S0' });
    // No side sent payload: neither has a stream direction (a SYN alone makes none).
    expect(taken.streams).toEqual([null, null]);
    expect(takeConversations(agg.conversations, keys)).toEqual([null]);
  });

  it('held flows handed over as columns (a worker) have the facts takeKey gives, a peek before changing nothing', async () => {
    // One SYN each: an ordinary port, a long-lived session's (a silence log at the replay), and one with options (MSS 1380, window scale 7).
    const withOptions = eth({ ethertype: 0x0800, payload: ipv4({ src: C, dst: S, proto: PROTO_TCP, df: true, payload: tcp({ sport: 40012, dport: 22, seq: 100, flags: SYN, options: [2, 4, 0x05, 0x64, 1, 3, 3, 7] }) }) });
    const fed = async () => {
      const agg = new BatchAggregator(100);
      await feed(agg, new TcpScript(C, S, 40010, 443).frame('c', 100, 0, SYN));
      await feed(agg, new TcpScript(C, S, 40011, 3978).frame('c', 700, 0, SYN));
      await feed(agg, new TcpScript(C, S, 40012, 22).raw(withOptions));
      return agg;
    };
    const byKey = await fed();
    const keys = byKey.table.snapshot().keys;
    const want = takeConversations(byKey.conversations, keys);
    expect(want.map((f) => f?.kind)).toEqual(['tcp', 'tcp', 'tcp']);
    expect(want.map((f) => f !== null && 'silences' in f)).toEqual([false, true, false]);
    expect(want[2]).toMatchObject({ health: { originator: { mss: 1380, windowScale: 7 } } });
    const some = await fed();
    for (let o = 0; o < keys.length; o += KEY_WORDS) some.conversations.peekKey(keys.subarray(o, o + KEY_WORDS));
    const taken = some.conversations.takeColumns(keys);
    // Handed over as their packets, not as blocks.
    expect([...taken.present]).toEqual([4, 4, 4]);
    expect(taken.blocks.length).toBe(0);
    const columns = factsOfColumns(taken);
    expect([columns(0), columns(1), columns(2)]).toEqual(want);
    expect(takeConversations(some.conversations, keys)).toEqual([null, null, null]);
    const all = await fed();
    const allColumns = all.conversations.takeAllColumns();
    expect(allColumns.blocks.length).toBe(0);
    const rows = all.conversations.rowsOf(keys);
    const facts = factsOfColumns(allColumns);
    expect([facts(rows[0]), facts(rows[1]), facts(rows[2])]).toEqual(want);
  });

  it('a held SYN is replayed at the second packet: the same facts as a flow fed in one batch, a peek in between changing nothing', async () => {
    // A SYN with options (MSS 1380, window scale 7), then a handshake, payload and FIN.
    const synWithOptions = eth({ ethertype: 0x0800, payload: ipv4({ src: C, dst: S, proto: PROTO_TCP, df: true, payload: tcp({ sport: 40002, dport: 22, seq: 100, flags: SYN, options: [2, 4, 0x05, 0x64, 1, 3, 3, 7] }) }) });
    const frames = new TcpScript(C, S, 40002, 22).raw(synWithOptions).frame('s', 500, 101, SYN | ACK).frame('c', 101, 501, ACK).c(Buffer.from('SSH-2.0-a\r\n')).s(Buffer.from('SSH-2.0-b\r\n')).fin().frames;
    const records = frames.map((f, i) => ({ sec: 1_764_000_000, frac: i * 1000, data: f.data }));
    const read = async (agg: BatchAggregator, from: number, to: number) => {
      const path = join(tmp.dir, `h${Math.random().toString(36).slice(2)}.pcap`);
      writeFileSync(path, pcap(records.slice(from, to)));
      const pool = new BufferPool();
      await readCapture(path, { fileIndex: 0, seqBase: from, pool, submit: (b: RecordBatch) => (agg.add(b), pool.release(b)) });
    };
    const whole = new BatchAggregator(100);
    await read(whole, 0, records.length);
    const want = takeConversations(whole.conversations, whole.table.snapshot().keys);
    const split = new BatchAggregator(100);
    await read(split, 0, 1);
    expect(split.conversations.peekKey(split.table.snapshot().keys)).toMatchObject({ kind: 'tcp', health: { history: 'S', originator: { mss: 1380, windowScale: 7 } } });
    await read(split, 1, records.length);
    const got = takeConversations(split.conversations, split.table.snapshot().keys);
    expect(got).toEqual(want);
    expect(got[0]).toMatchObject({ kind: 'tcp', health: { history: 'ShADdFf', originator: { mss: 1380, windowScale: 7 } } });
  });
});
