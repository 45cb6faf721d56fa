// The first datagrams of UDP flows, kept for the payload decoders: what is kept, the caps,
// and the same facts whether the flow is aggregated inline or handed over as columns.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import type { RecordBatch } from '../../src/capture/records.js';
import { factsOfColumns } from '../../src/flow/conversation.js';
import { KEY_WORDS } from '../../src/flow/table.js';
import { DatagramLog, MAX_DATAGRAM_BYTES, MAX_DATAGRAMS, datagramWorthKeeping, type DatagramFacts } from '../../src/flow/datagrams.js';
import { newPayloadBudget } from '../../src/flow/stream.js';
import { BatchAggregator } from '../../src/pipeline/aggregate.js';
import { takeConversations } from './take-conversations.js';
import { eth, ipv4, pcap, PROTO_UDP, tempDir, udp } from '../helpers/build.js';

const tmp = tempDir('pantap-datagrams-');
afterAll(() => tmp.remove());

const C = '10.0.0.1';
const S = '10.0.0.2';
/** An NTP client request (version 4, mode 3), 48 bytes. */
const NTP_REQUEST = Buffer.concat([Buffer.from([0x23]), Buffer.alloc(47)]);
const NTP_REPLY = Buffer.concat([Buffer.from([0x24, 2]), Buffer.alloc(46)]);
/** One BER SEQUENCE of `n` bytes in all (a long-form length), as an SNMP or CLDAP datagram is. */
const ber = (n: number) => Uint8Array.from([0x30, 0x82, (n - 4) >> 8, (n - 4) & 0xff, ...new Array<number>(n - 4).fill(0)]);

function frame(from: 'c' | 's', payload: Buffer, sport = 40000, dport = 123): Buffer {
  const [src, dst, sp, dp] = from === 'c' ? [C, S, sport, dport] : [S, C, dport, sport];
  return eth({ ethertype: 0x0800, payload: ipv4({ src, dst, proto: PROTO_UDP, payload: udp({ sport: sp, dport: dp, payload }) }) });
}

/** The facts of every flow of the frames, aggregated inline (`columns`: taken as a worker hands them over). */
async function factsOf(frames: { data: Buffer; caplen?: number }[], columns = false) {
  const path = join(tmp.dir, `d${Math.random().toString(36).slice(2)}.pcap`);
  writeFileSync(path, pcap(frames.map((f, i) => ({ sec: 1_700_000_000 + i, frac: 0, data: f.caplen === undefined ? f.data : f.data.subarray(0, f.caplen), origlen: f.data.length }))));
  const agg = new BatchAggregator(100);
  const pool = new BufferPool();
  await readCapture(path, { fileIndex: 0, seqBase: 0, pool, submit: (b: RecordBatch) => (agg.add(b), pool.release(b)) });
  const keys = agg.table.snapshot().keys;
  if (!columns) return takeConversations(agg.conversations, keys);
  const moved = structuredClone(agg.conversations.takeColumns(keys));
  return Array.from({ length: keys.length / KEY_WORDS }, (_, i) => factsOfColumns(moved)(i));
}

describe('UDP datagrams', () => {
  it('keeps the datagrams of a flow that looks like NTP, in capture order, with sides, lengths and times', async () => {
    const [f] = await factsOf([{ data: frame('c', NTP_REQUEST) }, { data: frame('s', NTP_REPLY) }, { data: frame('c', NTP_REQUEST) }]);
    expect(f?.kind).toBe('udp');
    const d = f as DatagramFacts;
    expect(d.datagrams.map((x) => [x.side === d.originator ? 'c' : 's', x.bytes.length, x.wireLength, x.tsUs])).toEqual([
      ['c', 48, 48, 1_700_000_000e6],
      ['s', 48, 48, 1_700_000_001e6],
      ['c', 48, 48, 1_700_000_002e6],
    ]);
    expect(Array.from(d.datagrams[1].bytes.subarray(0, 2))).toEqual([0x24, 2]);
    expect(d.capHit).toBe(false);
  });

  it('keeps one datagram per side of content no decoder reads', async () => {
    const junk = Buffer.from('\xff\xfe random bulk bytes', 'latin1');
    const frames = [frame('c', junk, 40000, 7000), frame('s', junk, 40000, 7000), frame('c', junk, 40000, 7000), frame('c', junk, 40000, 7000), frame('s', junk, 40000, 7000)];
    const [f] = await factsOf(frames.map((data) => ({ data })));
    const d = f as DatagramFacts;
    expect(d.datagrams.length).toBe(2);
    expect(d.capHit).toBe(false);
  });

  it('cuts a datagram to what the snaplen captured, and keeps its wire length', async () => {
    const big = Buffer.concat([Buffer.from('<13>1 '), Buffer.alloc(3000, 0x41)]);
    const [f] = await factsOf([{ data: frame('c', big, 40000, 514), caplen: 14 + 20 + 8 + 100 }]);
    const d = f as DatagramFacts;
    expect(d.datagrams[0].bytes.length).toBe(100);
    expect(d.datagrams[0].wireLength).toBe(big.length);
  });

  it('keeps MAX_DATAGRAMS, MAX_DATAGRAM_BYTES of each, and counts the rest (the first datagrams are what is inspected: no cap hit)', () => {
    const budget = newPayloadBudget(1 << 20);
    const log = new DatagramLog(0, budget, 1 << 20);
    const big = ber(5000);
    for (let i = 0; i < MAX_DATAGRAMS + 5; i++) log.add(0, big, 0, big.length, big.length, i);
    const f = log.facts(true);
    expect(f.datagrams.length).toBe(MAX_DATAGRAMS);
    expect(f.datagrams[0].bytes.length).toBe(MAX_DATAGRAM_BYTES);
    expect(f.capHit).toBe(false);
    expect(budget.used).toBe(0); // the buffer went back
    // the per-flow byte cap is a cap hit
    const tight = new DatagramLog(0, budget, 3000);
    for (let i = 0; i < 3; i++) tight.add(0, big, 0, big.length, big.length, i);
    expect(tight.facts(true)).toMatchObject({ capHit: true });
  });

  it('stops when the per-flow byte cap or the global budget is spent', () => {
    const small = newPayloadBudget(600);
    const log = new DatagramLog(0, small, 16 * 1024);
    const msg = ber(400);
    log.add(0, msg, 0, 400, 400, 0);
    log.add(1, msg, 0, 400, 400, 1);
    const f = log.facts(true);
    expect(f.datagrams.length).toBe(1);
    expect(f.capHit).toBe(true);
    expect(small.used).toBe(0);
  });

  it('tells decodable first bytes from others', () => {
    const at = (b: number[], wire = b.length) => datagramWorthKeeping(Uint8Array.from(b), 0, b.length, wire);
    expect(at([0x30, 3, 2, 1, 1])).toBe(true); // SNMP / CLDAP SEQUENCE spanning the datagram
    expect(at([0x30, 0x26, 2, 1, 1])).toBe(false); // its length says more than the datagram holds
    expect(at([0x6a, 0x81, 0x90], 0x90 + 3)).toBe(true); // Kerberos AS-REQ, long-form length
    expect(at([0x6a, 0x82, 0x01, 0x00], 0x100 + 4)).toBe(true);
    expect(at([0x6a, 0x85, 0, 0, 0, 1, 0])).toBe(false); // 5 length bytes: not a datagram's
    expect(at([0x23, ...new Array<number>(47).fill(0)])).toBe(true); // NTP v4 client
    expect(at([1, 7, 0, 20, ...new Array<number>(16).fill(0)])).toBe(true); // RADIUS Access-Request
    expect(at([1, 7, 0, 200, ...new Array<number>(16).fill(0)])).toBe(false); // RADIUS length beyond the datagram
    expect(at([0x3c, 0x31, 0x33, 0x3e])).toBe(true); // syslog '<13>'
    expect(at([0x3c, 0x41])).toBe(false);
    expect(at([0x23, 200, ...new Array<number>(46).fill(0)])).toBe(false); // NTP-like first byte, stratum 200
    expect(at([0xff, 0x00, 0x12])).toBe(false);
    expect(at([])).toBe(false);
  });

  it('columns hand UDP facts over unchanged (what a worker transfers)', async () => {
    const frames = [{ data: frame('c', NTP_REQUEST) }, { data: frame('s', NTP_REPLY) }];
    const facts = await factsOf(frames);
    const [back] = (await factsOf(frames, true)) as DatagramFacts[];
    expect(back.datagrams).toHaveLength(2);
    const plain = (f: DatagramFacts) => ({ ...f, datagrams: f.datagrams.map((d) => ({ ...d, bytes: Array.from(d.bytes) })) });
    expect(plain(back)).toEqual(plain(facts[0] as DatagramFacts));
  });
});
