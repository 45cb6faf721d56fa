// Community ID v1 against the spec's published baselines and, when this tshark has its
// Community ID dissector, against tshark on real captures frame by frame.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { communityId, communityIdFromWords } from '../../src/classify/community-id.js';
import { F_KIND, KIND_IPV4, KIND_IPV6, newPacketFields } from '../../src/decode/fields.js';
import { decodeRecord } from '../../src/decode/link.js';
import { ip4, ip6, readAll } from '../helpers/build.js';
import { HAVE_SHARED, REPO, SHARED, SKIP_REASON } from '../helpers/shared.js';
import { ipOffset } from '../helpers/tcp-capture.js';

const addr = (s: string): Uint8Array => new Uint8Array(isIPv4(s) ? ip4(s) : ip6(s));

// baseline/baseline_deflt.json (seed 0) and baseline/baseline_seed1.json (seed 1) of
// https://github.com/corelight/community-id-spec, commit c4ec2bc; for ICMP/ICMPv6 the
// "ports" are the message type and code.
const VECTORS: [number, string, string, number | null, number | null, string, string][] = [
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 136, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 135, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 135, 136, '1:zavyT/cezQr1fmImYCwYnMXbgck=', '1:2hSqmsDZ2kdcY9kbiUzOEBic0iM='],
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 136, 135, '1:zavyT/cezQr1fmImYCwYnMXbgck=', '1:2hSqmsDZ2kdcY9kbiUzOEBic0iM='],
  [58, '3ffe:501:1800:2345::2', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:2ObVBgIn28oZvibYZhZMBgh7WdQ=', '1:lVEtCZpYu84Xqaa++3lXFyuu2n4='],
  [58, '3ffe:501:410:0:2c0:dfff:fe47:33e', '3ffe:507:0:1:200:86ff:fe05:80da', 1, 4, '1:hLZd0XGWojozrvxqE0dWB1iM6R0=', '1:W8MHwXpWzpoSTD+cGcaJr4u0ys8='],
  [58, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:501:0:1001::2', 128, 129, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=', '1:GfZxjAkDk2MkegpBYHV6tadtFXQ='],
  [58, '3ffe:501:0:1001::2', '3ffe:507:0:1:200:86ff:fe05:80da', 129, 128, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=', '1:GfZxjAkDk2MkegpBYHV6tadtFXQ='],
  [58, 'fe80::200:86ff:fe05:80da', 'ff02::2', 133, 134, '1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=', '1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8='],
  [58, 'fe80::260:97ff:fe07:69ea', 'ff02::1', 134, 133, '1:pkvHqCL88/tg1k4cPigmZXUtL00=', '1:K/ee5UCqAMAQXDorP5nSa2CGLjc='],
  [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [1, '192.168.0.1', '192.168.0.89', 0, 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [1, '10.0.0.1', '10.0.0.2', 11, 0, '1:YHxtAirCG//0OzkcVAukqKQN9xM=', '1:XjUibYHaafLQ3pxQeiMI8g25q20='],
  [6, '2001:470:e5bf:dead:4957:2174:e82c:4887', '2607:f8b0:400c:c03::1a', 63943, 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw='],
  [6, '2607:f8b0:400c:c03::1a', '2001:470:e5bf:dead:4957:2174:e82c:4887', 25, 63943, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw='],
  [132, '192.168.170.8', '192.168.170.56', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg='],
  [132, '192.168.170.56', '192.168.170.8', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg='],
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [46, '10.1.12.1', '10.1.12.2', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=', '1:rYir8gphR31noO9iDRQmF/BteEI='],
  [46, '10.1.12.2', '10.1.12.1', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=', '1:rYir8gphR31noO9iDRQmF/BteEI='],
];

describe('communityId: the spec baselines', () => {
  it.each(VECTORS)('proto %i %s -> %s (%s, %s)', (proto, src, dst, sp, dp, seed0, seed1) => {
    expect(communityId(0, proto, addr(src), addr(dst), sp ?? 0, dp ?? 0)).toBe(seed0);
    expect(communityId(1, proto, addr(src), addr(dst), sp ?? 0, dp ?? 0)).toBe(seed1);
  });

  it('the README example: both directions of a TCP flow order to 10.0.0.1, 127.0.0.1, 1234, 80', () => {
    const a = communityId(0, 6, addr('10.0.0.1'), addr('127.0.0.1'), 1234, 80);
    expect(communityId(0, 6, addr('127.0.0.1'), addr('10.0.0.1'), 80, 1234)).toBe(a);
  });

  it('one-way ICMP messages keep their direction; request/reply types pair up', () => {
    const a = addr('10.0.0.1');
    const b = addr('10.0.0.2');
    // destination unreachable (3) is one-way: the two directions differ
    expect(communityId(0, 1, a, b, 3, 3)).not.toBe(communityId(0, 1, b, a, 3, 3));
    // timestamp (13) / timestamp reply (14), ICMPv6 neighbour solicitation / advertisement
    expect(communityId(0, 1, a, b, 13, 0)).toBe(communityId(0, 1, b, a, 14, 0));
    expect(communityId(0, 58, addr('fe80::1'), addr('fe80::2'), 135, 0)).toBe(communityId(0, 58, addr('fe80::2'), addr('fe80::1'), 136, 0));
  });

  it('ports are ignored for protocols without them; equal addresses are ordered by port', () => {
    const a = addr('10.0.0.1');
    const b = addr('10.0.0.2');
    expect(communityId(0, 47, a, b, 1, 2)).toBe(communityId(0, 47, a, b, 0, 0));
    expect(communityId(0, 6, a, a, 80, 1234)).toBe(communityId(0, 6, a, a, 1234, 80));
  });

  it('null for non-IP or inconsistent input', () => {
    const v4 = addr('10.0.0.1');
    expect(communityId(0, 6, new Uint8Array(6), new Uint8Array(6), 1, 2)).toBeNull(); // MAC addresses
    expect(communityId(0, 6, v4, addr('::1'), 1, 2)).toBeNull();
    expect(communityId(-1, 6, v4, v4, 1, 2)).toBeNull();
    expect(communityId(65536, 6, v4, v4, 1, 2)).toBeNull();
    expect(communityId(0, 256, v4, v4, 1, 2)).toBeNull();
  });

  it('from the decoder address words', () => {
    const w4 = (s: string): number[] => [ip4(s).readUInt32BE(0), 0, 0, 0];
    expect(communityIdFromWords(0, 6, false, w4('128.232.110.120'), 0, w4('66.35.250.204'), 0, 34855, 80)).toBe('1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
    const b6 = (s: string): number[] => [0, 4, 8, 12].map((o) => ip6(s).readUInt32BE(o));
    expect(communityIdFromWords(0, 6, true, b6('2607:f8b0:400c:c03::1a'), 0, b6('2001:470:e5bf:dead:4957:2174:e82c:4887'), 0, 25, 63943)).toBe(
      '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=',
    );
  });
});

// ---------------------------------------------------------------------------------------
// Frame by frame against tshark's Community ID dissector ("communityid", disabled by
// default: --enable-protocol), for every IP frame the repo's decoder accepts.

function tsharkCommunityIdMissing(): string | null {
  try {
    const fields = execFileSync('tshark', ['-G', 'protocols'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    return /\tcommunityid\b/.test(fields) ? null : 'this tshark has no Community ID dissector';
  } catch {
    return 'tshark is not installed';
  }
}
const TSHARK_MISSING = tsharkCommunityIdMissing();

/** Community ID of one frame from its own outer IP header (test-side parse). */
function frameCommunityId(b: Buffer, caplen: number, link: number): string | null | undefined {
  const p = ipOffset(b, 0, caplen, link);
  if (p < 0) return null;
  let proto: number;
  let src: Uint8Array;
  let dst: Uint8Array;
  let l4: number;
  let later = false;
  if (b[p] >> 4 === 4) {
    proto = b[p + 9];
    src = b.subarray(p + 12, p + 16);
    dst = b.subarray(p + 16, p + 20);
    later = (((b[p + 6] << 8) | b[p + 7]) & 0x1fff) !== 0;
    l4 = p + (b[p] & 15) * 4;
  } else {
    src = b.subarray(p + 8, p + 24);
    dst = b.subarray(p + 24, p + 40);
    proto = b[p + 6];
    l4 = p + 40;
    for (let k = 0; k < 8 && (proto === 0 || proto === 43 || proto === 44 || proto === 60 || proto === 51) && l4 + 8 <= caplen; k++) {
      const next = b[l4];
      if (proto === 44) {
        later = ((b[l4 + 2] << 8) | b[l4 + 3]) >> 3 !== 0;
        l4 += 8;
      } else l4 += proto === 51 ? (b[l4 + 1] + 2) * 4 : (b[l4 + 1] + 1) * 8;
      proto = next;
    }
  }
  let sp = 0;
  let dp = 0;
  if (!later && (proto === 6 || proto === 17 || proto === 132) && l4 + 4 <= caplen) {
    sp = (b[l4] << 8) | b[l4 + 1];
    dp = (b[l4 + 2] << 8) | b[l4 + 3];
  } else if (!later && (proto === 1 || proto === 58) && l4 + 2 <= caplen) {
    sp = b[l4];
    dp = b[l4 + 1];
  }
  // A later fragment of a protocol with ports has none to read: tshark hashes it without
  // ports, which communityId() (for flows, whose ports are known) does not do.
  if (later && (proto === 6 || proto === 17 || proto === 132 || proto === 1 || proto === 58)) return undefined;
  return communityId(0, proto, src, dst, sp, dp);
}

const OWN = [
  ...readdirSync(resolve(REPO, 'test/flow/fixtures')).filter((f) => f.endsWith('.pcap')).map((f) => resolve(REPO, 'test/flow/fixtures', f)),
  ...readdirSync(resolve(REPO, 'fixtures/verdicts')).filter((f) => f.endsWith('.pcap')).map((f) => resolve(REPO, 'fixtures/verdicts', f)),
  resolve(REPO, 'fixtures/roles-icmp/r01_roles_icmp.pcap'),
];
// plain IPv4/IPv6 with TCP, UDP, ICMP, ICMPv6 (both kinds of types), OSPF, PIM, IGMP,
// VRRP, EIGRP, ESP... (no tunnels: tshark hashes the inner packet there)
const SHARED_FILES = [
  ...['a01_management', 'a02_ha', 'a03_panorama', 'a04_userid', 'a05_unexpected', 'a06_failures', 'a07_mixed'].map((n) => `pan-lab/${n}.pcap`),
  ...[
    'icmpv6-ra-pref64.pcap',
    'icmpv6_opt24.pcap',
    'icmpv6-ns-nonce.pcap',
    'icmpv6-RFC2894-RR.pcap',
    'dhcpv6-sip-server-d.pcap',
    'ospf_graceful_restart_rfc3623.pcap',
    'PIMv2_hellos.pcap',
    'IGMP_V2.pcap',
    'igmpv3-queries.pcap',
    'vrrp-vrrp_print-oobr-2.pcap',
    'HSRP_failover.pcap',
    'EIGRP_goodbye.pcap',
    'esp_truncated.pcap',
    'isakmp4500.pcap',
    'mtrace.pcap',
    'dns_udp.pcap',
    'LINKTYPE_IPV6.pcap',
    'LINKTYPE_IPV4.pcap',
    'ssh.pcap',
  ].map((n) => `tcpdump-tests/${n}`),
].map((n) => resolve(SHARED, 'captures', n));

/** tshark's Community ID of every frame of `file`, by frame index (from 0; '' for none). */
function tsharkCommunityIds(file: string): Map<number, string> {
  // Per packet, as the packet itself reads: with reassembly tshark would give a datagram's
  // first fragment no ports and its last fragment the whole datagram's ID.
  const out = execFileSync('tshark', ['-r', file, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '--enable-protocol', 'communityid', '-T', 'fields', '-e', 'frame.number', '-e', 'communityid'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  });
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .map(([n, c]) => [Number(n) - 1, c ?? ''] as const),
  );
}

describe('communityId vs tshark, frame by frame', () => {
  const cases = [...OWN.map((f) => ({ file: f, shared: false })), ...SHARED_FILES.map((f) => ({ file: f, shared: true }))];
  for (const { file, shared } of cases) {
    const why = TSHARK_MISSING ?? (shared && !HAVE_SHARED ? SKIP_REASON : null);
    it.skipIf(why !== null)(`${file.split('/').slice(-2).join('/')}${why ? ` (skipped: ${why})` : ''}`, async () => {
      if (!existsSync(file)) throw new Error(`${file} is missing`);
      const want = tsharkCommunityIds(file);
      const { records } = await readAll(file);
      const pf = newPacketFields();
      let compared = 0;
      records.forEach((r, i) => {
        const u8 = new Uint8Array(r.data);
        decodeRecord(pf, u8, new DataView(u8.buffer, u8.byteOffset, u8.byteLength), 0, r.caplen, r.origlen, r.link);
        if (pf[F_KIND] !== KIND_IPV4 && pf[F_KIND] !== KIND_IPV6) return;
        const ours = frameCommunityId(r.data, r.caplen, r.link);
        if (ours === undefined) return;
        expect(ours ?? '', `frame ${i + 1}`).toBe(want.get(i) ?? '');
        compared++;
      });
      expect(compared).toBeGreaterThan(0);
    });
  }
});

// The flows' own communityId (what the judge reports) against tshark's for the flow's first
// frame: TCP, UDP and ICMP flows (ICMP by message type and code, echo request and reply
// pairing up).
describe('flows[].communityId vs tshark', () => {
  const panLab = SHARED_FILES.filter((f) => f.includes('/pan-lab/'));
  for (const file of [...OWN, ...panLab]) {
    const why = TSHARK_MISSING ?? (panLab.includes(file) && !HAVE_SHARED ? SKIP_REASON : null);
    it.skipIf(why !== null)(`${file.split('/').slice(-2).join('/')}${why ? ` (skipped: ${why})` : ''}`, async () => {
      const byFrame = tsharkCommunityIds(file);
      const { flows } = await analyzeCaptures([file], { workers: 0, allFlows: true });
      let icmp = 0;
      for (const f of flows) {
        if (f.communityId === null || !['tcp', 'udp', 'icmp', 'icmpv6'].includes(f.transport)) continue;
        // firstSeq: the flow's first packet's record number; an ICMP error filed under a TCP
        // or UDP flow has its own ID in tshark, so flows opened by one are left out.
        const want = byFrame.get(f.firstSeq) ?? '';
        if (f.transport.startsWith('icmp')) icmp++;
        else if (f.icmpErrors > 0 && f.clientPackets + f.serverPackets === f.icmpErrors) continue;
        expect(f.communityId, `${f.transport} ${f.client} → ${f.server} (frame ${f.firstSeq + 1})`).toBe(want);
      }
      if (file.endsWith('a05_unexpected.pcap')) expect(icmp).toBeGreaterThan(0);
    });
  }
});

// Every ICMP message of a flow has the flow's Community ID: an echo and its reply share
// one, and ICMPv6 neighbour discovery between the same two hosts (which the kernel sends
// just before the first echo) is a flow of its own, not pooled with the echo.
describe('ICMP flows hold one Community ID each', () => {
  const file = resolve(REPO, 'fixtures/roles-icmp/r01_roles_icmp.pcap');
  it.skipIf(TSHARK_MISSING !== null)(`roles-icmp/r01_roles_icmp.pcap${TSHARK_MISSING ? ` (skipped: ${TSHARK_MISSING})` : ''}`, async () => {
    const out = execFileSync('tshark', ['-r', file, '--enable-protocol', 'communityid', '-Y', 'icmp or icmpv6', '-T', 'fields', '-e', 'communityid'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const frames = out.split('\n').filter(Boolean);
    const { flows } = await analyzeCaptures([file], { workers: 0, allFlows: true });
    const icmp = flows.filter((f) => f.transport === 'icmp' || f.transport === 'icmpv6');
    const packets = new Map(icmp.map((f) => [f.communityId, f.clientPackets + f.serverPackets]));
    const perId = new Map<string, number>();
    for (const id of frames) perId.set(id, (perId.get(id) ?? 0) + 1);
    expect(frames).toHaveLength(30);
    expect(perId).toEqual(packets);
  });
});
