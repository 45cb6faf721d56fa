// The terminal report: what must be there for an engineer, and what must never be there
// (escape codes without color, trailing spaces, lines past the terminal width).
import { describe, expect, it } from 'vitest';
import { entryLabel, renderText } from '../../src/report/text.js';
import type { FlowRecord } from '../../src/report/model.js';
import { fixtureSummary, FW, unexpectedRdp } from './fixture.js';

// eslint-disable-next-line no-control-regex
const ESC = /\x1b\[/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (s = fixtureSummary(), width?: number) => renderText(s, { color: false, width });
const line = (out: string, has: string) => out.split('\n').find((l) => l.includes(has)) ?? '';

describe('renderText', () => {
  const out = plain();

  it('has the section titles in order, then failures, unexpected flows and the rest', () => {
    const order = ['Management —', 'High availability (firewall HA peers) —', 'Panorama —', 'User-ID —', 'Failed attempts —', 'Unexpected flows —', 'Non-IP frames', 'Other traffic —', 'Roles'];
    const at = order.map((t) => out.indexOf(t));
    expect(at.every((i) => i >= 0), order.filter((_, j) => at[j] < 0).join(', ')).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('has the header: file, packets, bytes, time span, malformed', () => {
    expect(out).toMatch(/^File +lab\/fw2-mgmt\.pcap \(pcap, 129 packets\)$/m);
    expect(out).toMatch(/^Packets +129 \(35\.6 kB on the wire, 35\.5 kB captured\)$/m);
    expect(out).toContain('2026-11-24T10:13:46.350948Z → 2026-11-24T10:13:54.882763Z (8.53 s)');
    expect(out).toMatch(/^Malformed +1 \(IPv4 header length: 1\)$/m);
    expect(out).not.toContain('warning:');
  });

  it('lists every entry of a section, "not seen" for those without flows', () => {
    expect(line(out, '22/tcp Firewall CLI (SSH)')).toMatch(/ 0 +0 +0 B +0 +not seen$/);
    expect(line(out, '28270/tcp Collector group')).toContain('not seen');
    expect(line(out, '49152-65535/tcp RPC dynamic')).toContain('not seen');
    expect(line(out, '99/ip HA2 over IP')).toContain('not seen');
  });

  it('says FAILING for an entry with only failed flows, up for a healthy one', () => {
    expect(line(out, '443/tcp Web interface')).toMatch(/FAILING +10\.99\.1\.50 → 10\.99\.1\.2$/);
    expect(line(out, '3978/tcp Panorama ↔ device')).toMatch(/ 1 +56 +22\.0 kB +0 +up +10\.99\.1\.2 → 10\.99\.1\.5$/);
    expect(line(out, '0x7261/ether HA2 over Ethernet')).toContain(' up ');
  });

  it('says partial when some flows of an entry failed and others did not', () => {
    const s = fixtureSummary();
    Object.assign(s.entries.find((e) => e.id === 'panorama.device-mgmt.3978')!, { flows: 3, failed: 1 });
    expect(line(plain(s), '3978/tcp Panorama')).toContain('partial');
  });

  it('lists failed attempts: who tried what, how it ended, how often', () => {
    expect(line(out, '10.99.1.50 → 10.99.1.2:443/tcp')).toMatch(/rejected +1 +Web interface \/ VM information source$/);
  });

  it('counts a failure shared by two entries once, and adds failed unexpected flows', () => {
    const s = fixtureSummary();
    const https = s.entries.find((e) => e.id === 'management.https.443')!;
    s.entries.push({ ...https, id: 'panorama.https.443', section: 'panorama', name: 'Panorama web interface' });
    const refused: FlowRecord = { ...unexpectedRdp(), state: 'rejected', packets: 2, bytes: 114 };
    s.flows.push(refused, { ...refused, clientPort: 50112 });
    const o = plain(s);
    expect(line(o, '10.99.1.50 → 10.99.1.2:443/tcp')).toMatch(/rejected +1 +Web interface \/ VM information source \/ Panorama/);
    expect(line(o, '10.99.1.60 → 10.99.1.2:3389/tcp')).toMatch(/rejected +2 +unexpected$/);
  });

  it('shows the unexpected flow, and at most topFlows of them', () => {
    expect(line(out, '10.99.1.60:50111')).toMatch(/10\.99\.1\.2:3389 +tcp +14 +4\.3 kB +established$/);
    const s = fixtureSummary();
    for (let i = 0; i < 30; i++) s.flows.push({ ...unexpectedRdp(), clientPort: 40000 + i, bytes: 100 + i });
    s.sections.find((x) => x.id === 'unexpected')!.flows = 31;
    const o = renderText(s, { color: false, topFlows: 5 });
    expect(o).toContain('(+26 more)');
    expect(o.match(/:3389 /g)).toHaveLength(5);
    expect(o.indexOf('10.99.1.60:50111')).toBeLessThan(o.indexOf('10.99.1.60:40029')); // most bytes first
  });

  it('says "none" rather than leaving a question open', () => {
    const s = fixtureSummary();
    s.flows = s.flows.filter((f) => f.section !== 'unexpected' && f.state !== 'rejected');
    s.sections.find((x) => x.id === 'unexpected')!.flows = 0;
    for (const e of s.entries) e.failures = [];
    const o = plain(s);
    expect(o).toMatch(/^Unexpected flows — none$/m);
    expect(o).toMatch(/^Failed attempts — none$/m);
  });

  it('shows non-IP frames by ethertype and the roles', () => {
    expect(line(out, '0x0806 ARP')).toMatch(/2 +6 +360 B$/);
    expect(line(out, '0x88cc LLDP')).toBeTruthy();
    expect(line(out.slice(out.indexOf('Roles')), `${FW} `)).toMatch(/firewall +inferred$/);
  });

  it('adds the full flow table only with allFlows', () => {
    expect(out).not.toContain('All flows');
    const s = fixtureSummary();
    s.allFlows = true;
    const o = plain(s);
    expect(o).toContain('All flows — 4 flows');
    expect(line(o.slice(o.indexOf('All flows')), '00:1b:17:00:01:10')).toMatch(/00:1b:17:00:02:10 +0x7261 +40 +6\.4 kB +ha$/);
  });

  it('warns about truncated input, read errors and a full flow table', () => {
    const s = fixtureSummary();
    s.input.truncated = true;
    s.input.details[0].truncatedAt = 35_012;
    s.input.details.push({ file: 'b.pcap.gz', format: null, gzip: true, packets: 0, truncatedAt: null, error: 'b.pcap.gz: gzip data is corrupt', warnings: [] });
    s.input.flowTable = { ...s.input.flowTable, overflowFlows: 12, overflowPackets: 345 };
    const o = plain(s);
    expect(o).toMatch(/warning: lab\/fw2-mgmt\.pcap: ends inside a record at byte offset 35012; the [\d,]+ complete records before it were kept/);
    expect(o).toContain('error: b.pcap.gz: gzip data is corrupt\n');
    expect(o).toContain('warning: flow table full at 1,000,000 flows: about 12 further flows (345 packets) not tracked');
    expect(o).toMatch(/^Files \(2\) +lab\/fw2-mgmt\.pcap/m);
  });

  it('describes a live capture and its kernel drops', () => {
    const s = fixtureSummary();
    s.capture = { interface: 'eth1', backend: 'native', filter: null, received: 1000, dropped: 3, ifDropped: 0 };
    const o = plain(s);
    expect(o).toMatch(/^Interface +eth1 \(live, native backend\)$/m);
    expect(o).toContain('warning: the kernel dropped 3 packets');
  });

  it('renders a capture with nothing in it', () => {
    const s = fixtureSummary();
    const zero = { flows: 0, packets: 0, bytes: 0, failed: 0, firstSeen: null, lastSeen: null };
    s.flows = [];
    for (const e of s.entries) Object.assign(e, zero, { pairs: [], pairCount: 0, failures: [] });
    for (const x of s.sections) Object.assign(x, zero);
    Object.assign(s.input, { packets: 0, bytes: 0, capturedBytes: 0, malformed: 0, malformedReasons: [], firstSeen: null, lastSeen: null });
    Object.assign(s, { nonIp: [], roles: [], other: { flows: 0, packets: 0, bytes: 0 }, allFlows: true });
    const o = plain(s);
    expect(o).not.toMatch(/^Time/m);
    expect(o).toContain('Management — 0 flows, 0 packets, 0 B, 0 failed');
    expect(o).toMatch(/^All flows — none$/m);
    expect(o).not.toContain('Roles');
    expect(o.match(/not seen/g)).toHaveLength(s.entries.length);
  });

  it('has no escape codes and no trailing spaces without color', () => {
    expect(out).not.toMatch(ESC);
    expect(out.split('\n').filter((l) => / $/.test(l))).toEqual([]);
    expect(out.endsWith('\n')).toBe(true);
  });

  it('colors status and failures with color', () => {
    const o = renderText(fixtureSummary(), { color: true });
    expect(o).toMatch(ESC);
    expect(o).toContain('\x1b[31m\x1b[1mFAILING');
    expect(o.replace(ANSI, '')).toBe(out); // same text, only colored
  });

  it.each([100, 120])('keeps tables within %i columns with typical addresses', (width) => {
    const s = fixtureSummary();
    s.allFlows = true;
    const o = plain(s, width);
    const long = o.split('\n').filter((l) => [...l].length > width && !l.startsWith('Time '));
    expect(long).toEqual([]);
  });

  it('wraps long entry names with a hanging indent instead of cutting them', () => {
    const o = plain(fixtureSummary(), 60);
    const i = o.split('\n').findIndex((l) => l.includes('443/tcp Web'));
    const next = o.split('\n')[i + 1];
    expect(next).toMatch(/^ {4}\S/);
    expect(o).not.toContain('…');
  });
});

describe('entryLabel', () => {
  it('leads with port/transport and drops a redundant number from the name', () => {
    const e = fixtureSummary().entries;
    const label = (id: string) => entryLabel(e.find((x) => x.id === id)!);
    expect(label('panorama.device-mgmt.3978')).toBe('3978/tcp Panorama ↔ device');
    expect(label('ha.ha2-ip.99')).toBe('99/ip HA2 over IP');
    expect(label('ha.ha2-ether.7261')).toBe('0x7261/ether HA2 over Ethernet');
    expect(label('user-id.rpc-dynamic.49152-65535')).toBe('49152-65535/tcp RPC dynamic ports');
    expect(label('management.ssh.22')).toBe('22/tcp Firewall CLI (SSH)');
  });
});
