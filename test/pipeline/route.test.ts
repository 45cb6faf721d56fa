// Routing a flow's packets to one worker: flowRoute must give both directions of a flow,
// and the ICMP errors quoting it, the same number, since TCP health and payload
// reassembly need all of a flow's packets in one place. Random flows, checked against the
// flow table's own key (two packets land in one table slot exactly when they are one flow).
import { describe, expect, it } from 'vitest';
import { F_ICMPERR, newPacketFields, R_OK } from '../../src/decode/fields.js';
import { decodeRecord } from '../../src/decode/link.js';
import { FlowTable } from '../../src/flow/table.js';
import { flowRoute } from '../../src/pipeline/pool.js';
import { ACK, eth, icmp6Error, icmpError, ipv4, ipv6, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, SYN, tcp, udp } from '../helpers/build.js';
import { mulberry32 } from '../helpers/random.js';

function decode(frame: Buffer): Uint32Array {
  const pf = newPacketFields();
  const b = new Uint8Array(frame.buffer, frame.byteOffset, frame.length);
  const st = decodeRecord(pf, b, new DataView(b.buffer, b.byteOffset, b.length), 0, b.length, b.length, 1);
  expect(st, frame.toString('hex')).toBe(R_OK);
  return pf;
}

describe('flowRoute', () => {
  const next = mulberry32(0x5eed);
  /** A random uint32. */
  const rnd = () => Math.floor(next() * 4294967296);
  const v4 = () => `10.${rnd() % 4}.${rnd() % 256}.${1 + (rnd() % 254)}`;
  const v6 = () => `2001:db8::${(rnd() % 0xffff).toString(16)}:${(rnd() % 0xffff).toString(16)}`;

  it('gives both directions of a flow and the ICMP errors quoting it the same route, as the table gives them one slot', () => {
    const table = new FlowTable(100_000);
    const seen = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const six = rnd() % 3 === 0;
      const a = six ? v6() : v4();
      const b = six ? v6() : v4();
      const ip = (o: { src: string; dst: string; proto: number; payload: Buffer }) => (six ? ipv6({ src: o.src, dst: o.dst, next: o.proto, payload: o.payload }) : ipv4(o));
      const udpFlow = rnd() % 2 === 0;
      const sport = 1024 + (rnd() % 60000);
      const dport = [22, 443, 3978, 53, 123][rnd() % 5];
      const l4 = (s: number, d: number) => (udpFlow ? udp({ sport: s, dport: d, payload: Buffer.from('x') }) : tcp({ sport: s, dport: d, flags: SYN | ACK }));
      const proto = udpFlow ? PROTO_UDP : PROTO_TCP;
      const out = ip({ src: a, dst: b, proto, payload: l4(sport, dport) });
      const back = ip({ src: b, dst: a, proto, payload: l4(dport, sport) });
      // A router (or the server) reports the outbound packet as undeliverable.
      const err = six
        ? ipv6({ src: '2001:db8::fe', dst: a, next: PROTO_ICMPV6, payload: icmp6Error(out) })
        : ipv4({ src: '10.9.9.9', dst: a, proto: PROTO_ICMP, payload: icmpError(out.subarray(0, 28)) });
      const frames = [out, back, err].map((p) => eth({ ethertype: six ? 0x86dd : 0x0800, payload: p }));
      const decoded = frames.map(decode);
      expect(decoded[2][F_ICMPERR]).not.toBe(0);
      const routes = decoded.map(flowRoute);
      expect(routes[1]).toBe(routes[0]);
      expect(routes[2]).toBe(routes[0]);
      const slots = decoded.map((pf) => table.addPacket(pf, i, i, 100));
      expect(slots[1]).toBe(slots[0]);
      expect(slots[2]).toBe(slots[0]);
      // One flow key, one route (a flow seen before keeps its route).
      const key = table.keyString(slots[0]);
      const before = seen.get(key);
      if (before !== undefined) expect(routes[0]).toBe(before);
      seen.set(key, routes[0]);
    }
  });

  it('spreads distinct flows over workers', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const pf = decode(eth({ ethertype: 0x0800, payload: ipv4({ src: v4(), dst: '10.0.0.1', proto: PROTO_TCP, payload: tcp({ sport: 1024 + (rnd() % 60000), dport: 3978 }) }) }));
      counts[flowRoute(pf) % 4]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});
