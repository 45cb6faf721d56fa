// The server side of ICMP flows (direction.ts, with the flow key of decode/transport.ts):
// an echo request and its reply form one flow whose client is the sender of the request,
// as Zeek orients ICMP connections, whatever packet the capture saw first; neighbour
// discovery between the same two hosts, and a ping the other way, are flows of their own.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { eth, icmp6Echo, icmpEcho, ipv4, ipv6, pcap, PROTO_ICMP, PROTO_ICMPV6, tempDir } from '../helpers/build.js';

const tmp = tempDir('pantap-direction-');
afterAll(() => tmp.remove());

let n = 0;
async function flowsOf(frames: Buffer[]) {
  const path = join(tmp.dir, `d${n++}.pcap`);
  writeFileSync(path, pcap(frames.map((data, i) => ({ sec: 1_764_000_000, frac: i * 1000, data, caplen: data.length, origlen: data.length }))));
  const { flows } = await analyzeCaptures([path], { workers: 0, allFlows: true });
  return flows.map((f) => ({ transport: f.transport, client: f.client, server: f.server, packets: [f.clientPackets, f.serverPackets], direction: f.direction }));
}

const v6 = (src: string, dst: string, payload: Buffer) => eth({ ethertype: 0x86dd, payload: ipv6({ src, dst, next: PROTO_ICMPV6, payload }) });
const v4 = (src: string, dst: string, payload: Buffer) => eth({ ethertype: 0x0800, payload: ipv4({ src, dst, proto: PROTO_ICMP, payload }) });
/** An ICMPv6 message of `type` with an 8-byte body (enough for the decoder). */
const msg6 = (type: number) => Buffer.from([type, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

describe('ICMP direction', () => {
  const C = 'fd00:99::10';
  const S = 'fd00:99::1';

  it('an ICMPv6 echo after neighbour discovery: the pinger is the client, ND is a flow apart', async () => {
    const flows = await flowsOf([
      v6(S, C, msg6(135)), // the target checks the pinger's address first (unicast NS)
      v6(C, S, msg6(136)),
      v6(C, S, icmp6Echo()),
      v6(S, C, icmp6Echo({ reply: true })),
      v6(C, S, icmp6Echo()),
      v6(S, C, icmp6Echo({ reply: true })),
    ]);
    expect(flows).toEqual([
      { transport: 'icmpv6', client: S, server: C, packets: [1, 1], direction: 'icmp-request' },
      { transport: 'icmpv6', client: C, server: S, packets: [2, 2], direction: 'icmp-request' },
    ]);
  });

  it('a reply captured before its request, and pings both ways, are oriented by the request', async () => {
    const A = '10.99.1.10';
    const B = '10.99.1.1';
    const flows = await flowsOf([
      v4(B, A, icmpEcho({ reply: true })), // the capture started between a request and its reply
      v4(A, B, icmpEcho()),
      v4(B, A, icmpEcho({ reply: true })),
      v4(B, A, icmpEcho()), // B pings A: Zeek's other connection
      v4(A, B, icmpEcho({ reply: true })),
    ]);
    expect(flows).toEqual([
      { transport: 'icmp', client: A, server: B, packets: [1, 2], direction: 'icmp-request' },
      { transport: 'icmp', client: B, server: A, packets: [1, 1], direction: 'icmp-request' },
    ]);
  });

  it('a one-way message is oriented by its sender (first packet)', async () => {
    const flows = await flowsOf([v6(C, 'ff02::16', msg6(143))]);
    expect(flows).toEqual([{ transport: 'icmpv6', client: C, server: 'ff02::16', packets: [1, 0], direction: 'first-packet' }]);
  });
});
