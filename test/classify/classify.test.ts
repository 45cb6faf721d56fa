// ICMP in classification (classify.ts): IPv6 neighbour/router discovery and MLD are the
// link's own upkeep, counted beside ARP and never unexpected; ICMP echo between two
// addresses known as HA peers is the HA1 heartbeat, in the HA section.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { renderText } from '../../src/report/text.js';
import { eth, icmp6Echo, icmpEcho, ipv4, ipv6, pcap, PROTO_ICMP, PROTO_ICMPV6, tempDir } from '../helpers/build.js';
import { TcpScript } from '../helpers/tcp-script.js';

const tmp = tempDir('pantap-classify-');
afterAll(() => tmp.remove());

let n = 0;
function write(frames: Buffer[]): string {
  const path = join(tmp.dir, `c${n++}.pcap`);
  writeFileSync(path, pcap(frames.map((data, i) => ({ sec: 1_764_000_000, frac: i * 1000, data, caplen: data.length, origlen: data.length }))));
  return path;
}

const v6 = (src: string, dst: string, payload: Buffer) => eth({ ethertype: 0x86dd, payload: ipv6({ src, dst, next: PROTO_ICMPV6, payload }) });
const v4 = (src: string, dst: string, payload: Buffer) => eth({ ethertype: 0x0800, payload: ipv4({ src, dst, proto: PROTO_ICMP, payload }) });
const msg6 = (type: number) => Buffer.from([type, 0, 0, 0, ...new Array<number>(20).fill(0)]);
const echo4 = (a: string, b: string, times: number) => Array.from({ length: times }, () => [v4(a, b, icmpEcho()), v4(b, a, icmpEcho({ reply: true }))]).flat();

describe('IPv6 link infrastructure', () => {
  it('neighbour/router discovery and MLD are counted by kind beside the non-IP frames, never unexpected', async () => {
    const A = 'fe80::a';
    const B = 'fe80::b';
    const path = write([
      v6(A, 'ff02::1:ff00:b', msg6(135)), // multicast NS
      v6(A, B, msg6(135)),
      v6(B, A, msg6(136)),
      v6(A, 'ff02::2', msg6(133)), // RS
      v6(B, 'ff02::1', msg6(134)), // RA
      v6(A, 'ff02::16', msg6(143)), // MLDv2 report
      v6(A, B, icmp6Echo()),
      v6(B, A, icmp6Echo({ reply: true })),
    ]);
    const { summary } = await analyzeCaptures([path], { workers: 0, allFlows: true });
    expect(summary.ipv6Infrastructure).toEqual([
      { kind: 'neighbor-discovery', flows: 2, packets: 3, bytes: 3 * 78 },
      { kind: 'router-discovery', flows: 2, packets: 2, bytes: 2 * 78 },
      { kind: 'mld', flows: 1, packets: 1, bytes: 78 },
    ]);
    // Only the echo is unexpected; the rest is "other", as ARP is.
    expect(summary.flows.filter((f) => f.section === 'unexpected').map((f) => [f.client, f.server])).toEqual([[A, B]]);
    expect(summary.flows.filter((f) => f.section === 'other')).toHaveLength(5);
    expect(summary.other.flows).toBe(0);
    const text = renderText(summary, { color: false, width: 120 });
    expect(text).toMatch(/IPv6 link infrastructure\n.*\n.*\n +neighbour discovery +2 +3 +234 B\n +router discovery +2 +2 +156 B\n +MLD +1 +1 +78 B/);
  });
});

describe('HA1 heartbeat', () => {
  const HA1_A = '10.99.2.1';
  const HA1_B = '10.99.2.2';
  /** HA1 backup (28770, distinctive) between the two HA1 addresses, then pings. */
  function capture(pingFrom: string, pingTo: string): string {
    const ha = new TcpScript(HA1_A, HA1_B, 40000, 28770).handshake().fin();
    return write([...ha.frames.map((f) => f.data), ...echo4(pingFrom, pingTo, 3)]);
  }

  it('ICMP echo between addresses seen as HA peers is the HA1 heartbeat, in the HA section', async () => {
    const { summary } = await analyzeCaptures([capture(HA1_B, HA1_A)], { workers: 0, allFlows: true });
    const icmp = summary.flows.find((f) => f.transport === 'icmp')!;
    expect(icmp).toMatchObject({ client: HA1_B, server: HA1_A, section: 'ha', entries: ['ha.heartbeat-icmp.1'], direction: 'icmp-request', verdict: 'ok' });
    expect(summary.entries.find((e) => e.id === 'ha.heartbeat-icmp.1')).toMatchObject({ flows: 1, packets: 6, status: 'up', pairs: [{ client: HA1_B, server: HA1_A, flows: 1 }] });
    expect(summary.sections.find((s) => s.id === 'ha')).toMatchObject({ flows: 2 });
    const text = renderText(summary, { color: false, width: 120 });
    expect(text).toMatch(/1\/ip HA1 heartbeat \(ICMP echo\) +1 +6 +300 B +0 +up +10\.99\.2\.2 → 10\.99\.2\.1/);
  });

  it('ICMP echo between hosts not known as HA peers stays unexpected', async () => {
    const { summary } = await analyzeCaptures([capture(HA1_A, '10.99.2.9')], { workers: 0, allFlows: true });
    expect(summary.flows.find((f) => f.transport === 'icmp')).toMatchObject({ section: 'unexpected', entries: [] });
  });

  it('with the inventory, two firewalls on HA1 28769 (not distinctive: Panorama HA too) are HA peers', async () => {
    const roles = join(tmp.dir, 'roles.yaml');
    writeFileSync(roles, `firewall: [${HA1_A}, ${HA1_B}]\n`);
    const ha = new TcpScript(HA1_A, HA1_B, 40000, 28769).handshake().fin();
    const path = write([...ha.frames.map((f) => f.data), ...echo4(HA1_A, HA1_B, 2)]);
    const { summary } = await analyzeCaptures([path], { workers: 0, allFlows: true, rolesFile: roles });
    expect(summary.flows.find((f) => f.transport === 'icmp')).toMatchObject({ client: HA1_A, section: 'ha', entries: ['ha.heartbeat-icmp.1'] });
  });
});
