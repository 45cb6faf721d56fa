// The conversation store as an aggregator feeds it from real batches: payload is taken from
// the captured bytes of each record only. A segment the snaplen cut keeps what was captured
// and the stream stops at the hole; the bytes of the next record in the batch are not
// mistaken for the rest of it (which would also make results depend on batching).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import type { RecordBatch } from '../../src/capture/records.js';
import { BatchAggregator, takeConversations } from '../../src/pipeline/aggregate.js';
import { ACK, eth, ipv4, pcap, PROTO_TCP, PSH, SYN, tcp, tempDir } from '../helpers/build.js';

const tmp = tempDir('pantap-conversation-');
afterAll(() => tmp.remove());

const C = '10.99.1.1';
const S = '10.99.1.5';

function frame(from: 'c' | 's', seq: number, ack: number, flags: number, payload: Uint8Array | string = ''): Buffer {
  const [src, dst, sport, dport] = from === 'c' ? [C, S, 40000, 22] : [S, C, 22, 40000];
  return eth({ ethertype: 0x0800, payload: ipv4({ src, dst, proto: PROTO_TCP, payload: tcp({ sport, dport, seq, ack, flags, payload: Buffer.from(payload) }) }) });
}

async function conversationOf(records: { data: Buffer; caplen?: number }[]) {
  const path = join(tmp.dir, `c${Math.random().toString(36).slice(2)}.pcap`);
  writeFileSync(
    path,
    pcap(
      records.map((r, i) => {
        const data = r.caplen === undefined ? r.data : r.data.subarray(0, r.caplen);
        return { sec: 1_764_000_000, frac: i, data, caplen: data.length, origlen: r.data.length };
      }),
    ),
  );
  const agg = new BatchAggregator(100);
  const pool = new BufferPool();
  let batches = 0;
  await readCapture(path, { fileIndex: 0, seqBase: 0, pool, submit: (b: RecordBatch) => (batches++, agg.add(b), pool.release(b)) });
  expect(batches).toBe(1); // the cut record and the next one share a batch
  const [facts] = takeConversations(agg.conversations, agg.table.snapshot().keys);
  return facts!;
}

describe('conversation payload', () => {
  it('a segment cut by the snaplen keeps only its captured bytes, whatever follows it in the batch', async () => {
    const greeting = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n';
    const headers = 14 + 20 + 20;
    const facts = await conversationOf([
      { data: frame('c', 100, 0, SYN) },
      { data: frame('s', 500, 101, SYN | ACK) },
      { data: frame('c', 101, 501, ACK) },
      // 10 of the 41 greeting bytes captured
      { data: frame('s', 501, 101, ACK | PSH, greeting), caplen: headers + 10 },
      { data: frame('s', 501 + greeting.length, 101, ACK | PSH, 'more') },
    ]);
    const server = facts.streams[1]!;
    expect(Buffer.from(server.bytes).toString('latin1')).toBe(greeting.slice(0, 10));
    expect(server.truncated).toBe(true);
    expect(server.gaps).toBe(1);
  });

  it('a segment whose payload the snaplen cut entirely keeps nothing', async () => {
    const headers = 14 + 20 + 20;
    const facts = await conversationOf([
      { data: frame('c', 100, 0, SYN) },
      { data: frame('s', 500, 101, SYN | ACK) },
      { data: frame('c', 101, 501, ACK | PSH, Buffer.alloc(3000, 0x41)), caplen: headers },
      { data: frame('c', 3101, 501, ACK | PSH, 'x') },
    ]);
    const client = facts.streams[0]!;
    expect(client.bytes.length).toBe(0);
    expect(client.truncated).toBe(true);
  });
});
