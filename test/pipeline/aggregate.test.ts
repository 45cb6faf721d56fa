// An aggregator's table restarts empty at each drain and is capped; full, it still admits the
// flows it handed over by a drain that was not the last and that the session has not taken
// back (forget): a flow the session's table holds is never turned away by an owner.
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import type { RecordBatch } from '../../src/capture/records.js';
import { flowSlots, KEY_WORDS, type FlowSnapshot } from '../../src/flow/table.js';
import { BatchAggregator } from '../../src/pipeline/aggregate.js';
import { ipv4, pcap, PROTO_UDP, tempDir, udp } from '../helpers/build.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

/** One UDP datagram per client port given, to 10.0.7.9:514, in that order. */
async function feed(agg: BatchAggregator, name: string, ports: number[], seqBase: number): Promise<void> {
  const path = tmp.file(`${name}.pcap`, pcap(ports.map((p, i) => ({ sec: 1_700_000_000, frac: seqBase + i, data: ipv4({ src: '10.0.7.1', dst: '10.0.7.9', proto: PROTO_UDP, payload: udp({ sport: p, dport: 514 }) }) })), { linktype: 101 }));
  const pool = new BufferPool(1 << 16, 64);
  await readCapture(path, { fileIndex: 0, seqBase, pool, submit: (b: RecordBatch) => (agg.add(b), pool.release(b)) });
}

/** The client ports of a drained table's flows, sorted. */
function ports(snap: FlowSnapshot): number[] {
  const f = flowSlots(snap);
  const out: number[] = [];
  for (let j = 0; j < snap.count; j++) out.push(Math.max(f.port(j, 0), f.port(j, 1)));
  return out.sort((a, b) => a - b);
}

/** The packed key of the flow with client port `port` in a drained table. */
function keyOf(snap: FlowSnapshot, port: number): Uint32Array {
  const f = flowSlots(snap);
  for (let j = 0; j < snap.count; j++) if (Math.max(f.port(j, 0), f.port(j, 1)) === port) return snap.keys.slice(j * KEY_WORDS, (j + 1) * KEY_WORDS);
  throw new Error(`no flow with port ${port}`);
}

describe('BatchAggregator: a full table admits the flows the session holds from it', () => {
  it('admits a flow handed over by a drain that was not the last, until the session takes it back', async () => {
    const agg = new BatchAggregator(2);
    await feed(agg, 'first', [1001, 1002], 0);
    const first = agg.drain(false).flows!;
    expect(ports(first)).toEqual([1001, 1002]);
    // two new flows fill the fresh table; 1001, held by the session, still gets in; 1003 does not
    await feed(agg, 'second', [1005, 1006, 1001, 1003], 10);
    const second = agg.drain(false).flows!;
    expect(ports(second)).toEqual([1001, 1005, 1006]);
    expect(second.overflowPackets).toBe(1);
    // 1001 left the session (expired, or no room at the merge): no longer admitted when full
    agg.forget(keyOf(first, 1001));
    await feed(agg, 'third', [1007, 1008, 1001, 1002], 20);
    const third = agg.drain(false).flows!;
    expect(ports(third)).toEqual([1002, 1007, 1008]);
    expect(third.overflowPackets).toBe(1);
  });

  it('after the last drain nothing is admitted beyond the cap', async () => {
    const agg = new BatchAggregator(2);
    await feed(agg, 'last-1', [2001, 2002], 0);
    agg.drain(true);
    await feed(agg, 'last-2', [2005, 2006, 2001], 10);
    const after = agg.drain(true).flows!;
    expect(ports(after)).toEqual([2005, 2006]);
    expect(after.overflowPackets).toBe(1);
  });
});
