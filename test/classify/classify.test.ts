// ICMP in classification (classify.ts): IPv6 neighbour/router discovery and MLD are the
// link's own upkeep, counted beside ARP and never unexpected; ICMP echo between two
// addresses known as HA peers is the HA1 heartbeat, in the HA section.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { CatalogMatcher } from '../../src/catalog/matcher.js';
import { FlowClassifier, type ClassifiedFlow } from '../../src/classify/classify.js';
import { renderText } from '../../src/report/text.js';
import { eth, icmp6Echo, icmpEcho, ipv4, ipv6, pcap, PROTO_ICMP, PROTO_ICMPV6, SYN, tempDir } from '../helpers/build.js';
import { runAnalysis } from '../helpers/run.js';
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

describe('flows handed over in chunks', () => {
  // SYNs from 30 sources (unanswered: failed), a completed HTTPS connection, and an ICMP echo: 32 flows.
  function mixed(): string {
    const frames: Buffer[] = [];
    for (let i = 0; i < 30; i++) frames.push(...new TcpScript(`10.7.0.${i + 1}`, '10.0.0.1', 40000 + i, i % 2 === 0 ? 443 : 22).frame('c', 1, 0, SYN).frames.map((f) => f.data));
    frames.push(...new TcpScript('10.7.1.1', '10.0.0.1', 41000, 443).handshake().fin().frames.map((f) => f.data));
    frames.push(...echo4('10.99.2.1', '10.99.2.2', 2));
    return write(frames);
  }

  it('classifyEach: the flows of classify(), in capture order, `chunk` at a time', async () => {
    const run = await runAnalysis([mixed()], { workers: 0, maxFlows: 1000 });
    const matcher = CatalogMatcher.for(loadCatalog());
    const whole = new FlowClassifier(matcher, null).classify(run.table);
    const chunks: number[] = [];
    const each: ClassifiedFlow[] = [];
    new FlowClassifier(matcher, null).classifyEach(run.table, (c) => {
      chunks.push(c.length);
      each.push(...c);
    }, undefined, undefined, Infinity, 7);
    expect(whole).toHaveLength(32);
    expect(chunks).toEqual([7, 7, 7, 7, 4]);
    expect(each).toEqual(whole);
    expect(whole.map((f) => f.firstSeq)).toEqual([...whole.map((f) => f.firstSeq)].sort((a, b) => a - b));
  });

  it('prepared flows are classified once: a second classification of them is an error, not an empty result', async () => {
    const run = await runAnalysis([mixed()], { workers: 0, maxFlows: 1000 });
    const classifier = new FlowClassifier(CatalogMatcher.for(loadCatalog()), null);
    const prepared = classifier.prepare(run.table);
    expect(classifier.classify(prepared)).toHaveLength(32);
    expect(() => classifier.classify(prepared)).toThrow(/classified already/);
  });

  it('prepared flows bound the channels they can open: one per candidate entry of each, none once taken', async () => {
    const run = await runAnalysis([mixed()], { workers: 0, maxFlows: 1000 });
    const matcher = CatalogMatcher.for(loadCatalog());
    const classifier = new FlowClassifier(matcher, null);
    const prepared = classifier.prepare(run.table);
    const bound = prepared.channelBound();
    const flows = classifier.classify(prepared);
    expect(bound).toBe(62);
    expect(flows.reduce((n, f) => n + f.entries.length, 0)).toBeLessThanOrEqual(bound);
    expect(prepared.channelBound()).toBe(0);
  });

  it('keepFlows false: the same summary, and no flows kept', async () => {
    const path = mixed();
    // maxListed 3: flows past the first three listable ones are judged without their records (listable).
    for (const maxListed of [10_000, 3, 0]) {
      const kept = await analyzeCaptures([path], { workers: 0, maxListed });
      const dropped = await analyzeCaptures([path], { workers: 0, keepFlows: false, maxListed });
      expect(kept.flows).toHaveLength(32);
      expect(dropped.flows).toEqual([]);
      expect(JSON.stringify(dropped.summary)).toBe(JSON.stringify(kept.summary));
      expect(dropped.summary.input.flowTable).toMatchObject({ flows: 32 });
      expect(dropped.summary.flows).toHaveLength(Math.min(maxListed, 31));
    }
  });

  it('listedFacts false: listed flows without Community ID and TCP facts, the summary otherwise the same; kept flows complete', async () => {
    const path = mixed();
    const full = await analyzeCaptures([path], { workers: 0, keepFlows: false });
    const lean = await analyzeCaptures([path], { workers: 0, keepFlows: false, listedFacts: false });
    expect(full.summary.flows.some((f) => f.communityId !== null)).toBe(true);
    expect(full.summary.flows.some((f) => f.tcp !== null)).toBe(true);
    expect(JSON.stringify(lean.summary)).toBe(JSON.stringify({ ...full.summary, flows: full.summary.flows.map((f) => ({ ...f, communityId: null, tcp: null })) }));
    // Flows kept for the caller (--flows-ndjson, --export) are complete whatever it says.
    const kept = await analyzeCaptures([path], { workers: 0, listedFacts: false });
    const keptFull = await analyzeCaptures([path], { workers: 0 });
    expect(kept.flows).toEqual(keptFull.flows);
    expect(JSON.stringify(kept.summary)).toBe(JSON.stringify(keptFull.summary));
  });

  it('listable: a flow the caller will not list has no Community ID, and is otherwise the same', async () => {
    const run = await runAnalysis([mixed()], { workers: 0, maxFlows: 1000 });
    const matcher = CatalogMatcher.for(loadCatalog());
    const whole = new FlowClassifier(matcher, null).classify(run.table);
    const asked: number[] = [];
    const lean: ClassifiedFlow[] = [];
    new FlowClassifier(matcher, null).classifyEach(run.table, (c) => lean.push(...c), undefined, undefined, Infinity, 1024, (f) => {
      asked.push(f.firstSeq);
      return f.firstSeq % 2 === 0;
    });
    expect(asked).toEqual(whole.map((f) => f.firstSeq));
    // (Without facts no flow has a TCP record; the summary test above covers listed flows' records.)
    expect(whole.every((f) => f.communityId !== null)).toBe(true);
    expect(lean).toEqual(whole.map((f) => (f.firstSeq % 2 === 0 ? f : { ...f, communityId: null })));
  });
});
