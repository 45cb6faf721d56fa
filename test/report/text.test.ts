// The terminal report: what must be there for an engineer, and what must never be there
// (escape codes without color, trailing spaces, lines past the terminal width).
import { describe, expect, it } from 'vitest';
import { isoMicros } from '../../src/report/format.js';
import { entryLabel, renderText } from '../../src/report/text.js';
import type { FlowRecord } from '../../src/report/model.js';
import { REASON_WORDS } from '../../src/report/names.js';
import { REASONS } from '../../src/classify/vocabulary.js';
import { fixtureSummary, FW, tlsAlertSyslog, unexpectedRdp } from './fixture.js';

// eslint-disable-next-line no-control-regex
const ESC = /\x1b\[/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (s = fixtureSummary(), width?: number, allEntries = false) => renderText(s, { color: false, width, allEntries });
/** The first line with `has` below the health list (which names the same entries first). */
const line = (out: string, has: string) => out.slice(Math.max(0, out.indexOf('\nManagement —'))).split('\n').find((l) => l.includes(has)) ?? '';

describe('renderText', () => {
  const out = plain();

  it('has the section titles in order, then failures, warnings, unexpected flows and the rest', () => {
    const order = ['Management —', 'High availability (firewall HA peers) —', 'Panorama —', 'User-ID —', 'Failures —', 'Warnings —', 'Unexpected flows —', 'Non-IP frames', 'Other traffic —', 'Roles'];
    const at = order.map((t) => out.indexOf(t));
    expect(at.every((i) => i >= 0), order.filter((_, j) => at[j] < 0).join(', ')).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('has the header: file, packets, bytes, time span, malformed, and the answer: entries by status', () => {
    expect(out).toMatch(/^File +lab\/fw2-mgmt\.pcap \(pcap, 551 packets\)$/m);
    expect(out).toMatch(/^Packets +551 \(86\.7 kB on the wire, 86\.6 kB captured\)$/m);
    expect(out).toContain('2026-11-24T10:13:46.350948Z → 2026-11-24T10:13:54.882763Z (8.53 s)');
    expect(out).toMatch(/^Malformed +1 \(IPv4 header length: 1\)$/m);
    expect(out).toMatch(/^Entries +2 FAILING, 1 degraded, 2 up, 6 not seen\n\n/m);
    expect(out).not.toContain('warning:');
  });

  it('lists the entries with traffic, and those never seen as one line per section', () => {
    expect(out).not.toContain('123/udp NTP');
    const sections = out.slice(out.indexOf('\nManagement —'), out.indexOf('\nFailures —'));
    expect(sections.split('\n').filter((l) => l.includes('not seen'))).toEqual([
      '  + 1 entry not seen (--all-entries lists them)',
      '  + 2 entries not seen (--all-entries lists them)',
      '  + 1 entry not seen (--all-entries lists them)',
      '  2 entries not seen (--all-entries lists them)',
    ]);
    expect(sections).toMatch(/^User-ID — 0 flows, 0 packets, 0 B, 0 failed\n {2}2 entries not seen/m);
  });

  it('lists every entry of a section with allEntries, "not seen" for those without flows', () => {
    const o = plain(fixtureSummary(), undefined, true);
    expect(line(o, '123/udp NTP')).toMatch(/ 0 +0 +0 B +0 +not seen$/);
    expect(line(o, '28270/tcp Collector group')).toContain('not seen');
    expect(line(o, '49152-65535/tcp RPC dynamic')).toContain('not seen');
    expect(line(o, '99/ip HA2 over IP')).toContain('not seen');
    expect(o).not.toContain('--all-entries');
  });

  it('opens with the health list after the header: one row per channel, the bad news first, counts, reason and times under it', () => {
    const lines = out.split('\n');
    const at = lines.indexOf('Health — 5 channels (entry × client → server): 2 FAILING, 1 degraded, 2 up');
    expect(at).toBeGreaterThan(0);
    expect(lines[at - 1]).toBe('');
    expect(lines[at - 2]).toMatch(/^Entries /);
    expect(lines.slice(at + 1, at + 13)).toEqual([
      '  Status    Channel                                        Client → server',
      '  ────────  ─────────────────────────────────────────────  ─────────────────────────────────────',
      '  FAILING   443/tcp Web interface / VM information source  10.99.1.50 → 10.99.1.2',
      '      1 flow, 1 failed: refused; last failure 2026-11-24 10:13:47 +00:00',
      '  FAILING   6514/tcp Syslog export (TLS)                   10.99.1.2 → 10.99.1.20',
      '      1 flow, 1 failed: TLS alert; last failure 2026-11-24 10:13:47 +00:00',
      '  degraded  22/tcp Firewall CLI (SSH)                      10.99.1.50 → 10.99.1.2',
      '      1 flow, 1 with warnings: retransmissions; last success 2026-11-24 10:13:54 +00:00',
      '  up        0x7261/ether HA2 over Ethernet                 00:1b:17:00:01:10 → 00:1b:17:00:02:10',
      '      1 flow; last success 2026-11-24 10:13:54 +00:00',
      '  up        3978/tcp Panorama ↔ device                     10.99.1.2 → 10.99.1.5',
      '      1 flow; last success 2026-11-24 10:13:54 +00:00',
    ]);
    // A partial channel: both times, on their own line when the counts and times are too long.
    const s = fixtureSummary();
    Object.assign(s.health[4], { status: 'partial', reason: 'unanswered', flows: 3, failed: 1, lastFailure: '2026-11-24T10:13:53.000001Z' });
    const p = plain(s).split('\n');
    const i = p.findIndex((l) => l.startsWith('  partial '));
    expect(p.slice(i + 1, i + 3)).toEqual(['      3 flows, 1 failed: no answer', '      last success 2026-11-24 10:13:54 +00:00, last failure 2026-11-24 10:13:53 +00:00']);
  });

  it('puts the health list on one line per channel when the terminal is wide enough', () => {
    const o = plain(fixtureSummary(), 180);
    const rows = o.slice(o.indexOf('Health —'), o.indexOf('\n\n', o.indexOf('Health —'))).split('\n');
    expect(rows[1]).toMatch(/^ {2}Status +Channel +Client → server +Flows +Failed +Warned +Reason +Last success +Last failure$/);
    expect(rows.find((l) => l.includes('3978/tcp'))).toMatch(/^ {2}up +3978\/tcp Panorama ↔ device +10\.99\.1\.2 → 10\.99\.1\.5 +1 +0 +0 +2026-11-24 10:13:54 \+00:00 +—$/);
    expect(rows.find((l) => l.includes('6514/tcp'))).toMatch(/^ {2}FAILING +6514\/tcp Syslog export \(TLS\) +10\.99\.1\.2 → 10\.99\.1\.20 +1 +1 +0 +TLS alert +— +2026-11-24 10:13:47 \+00:00$/);
    expect(rows.filter((l) => / \+00:00/.test(l))).toHaveLength(5); // the times on each channel's row, no note lines
    expect(rows.some((l) => /last (success|failure)/.test(l))).toBe(false);
    expect(rows.every((l) => [...l].length <= 180)).toBe(true);
  });

  it('cuts the health list at HEALTH_MAX_LINES, the rest counted by status', () => {
    const s = fixtureSummary();
    const up = s.health.at(-1)!;
    for (let i = 0; i < 45; i++) s.health.push({ ...up, client: `10.0.0.${i}` });
    const o = plain(s);
    expect(o).toMatch(/^Health — 50 channels \(entry × client → server\): 2 FAILING, 1 degraded, 47 up$/m);
    expect(o).toContain('\n  (+10 more: 10 up; -F json lists every channel)\n');
  });

  it('says FAILING for an entry with only failed flows, up for a healthy one', () => {
    expect(line(out, '443/tcp Web interface')).toMatch(/FAILING +10\.99\.1\.50 → 10\.99\.1\.2$/);
    expect(line(out, '3978/tcp Panorama ↔ device')).toMatch(/ 1 +56 +22\.0 kB +0 +up +10\.99\.1\.2 → 10\.99\.1\.5$/);
    expect(line(out, '0x7261/ether HA2 over Ethernet')).toContain(' up ');
  });

  it('says degraded for an entry whose flows have warnings but did not fail, with the count in the section title', () => {
    expect(line(out, '22/tcp Firewall CLI (SSH)')).toMatch(/ 1 +410 +48\.0 kB +0 +degraded +10\.99\.1\.50 → 10\.99\.1\.2$/);
    expect(out).toMatch(/^Management — 3 flows, 424 packets, 51\.2 kB, 2 failed, 1 with warnings$/m);
    expect(out).toMatch(/^Panorama — 1 flow, 56 packets, 22\.0 kB, 0 failed$/m);
  });

  it('prints the status the summary gives (partial when some flows of an entry failed)', () => {
    const s = fixtureSummary();
    Object.assign(s.entries.find((e) => e.id === 'panorama.device-mgmt.3978')!, { flows: 3, failed: 1, status: 'partial' });
    expect(line(plain(s), '3978/tcp Panorama')).toMatch(/ 3 +56 +22\.0 kB +1 +partial +10\.99/);
  });

  it('lists failures: who tried what, the reason in plain words, how often, and the evidence under it', () => {
    expect(line(out, '10.99.1.50 → 10.99.1.2:443/tcp')).toMatch(/refused +1 +Web interface \/ VM information source$/);
    const lines = out.split('\n');
    const i = lines.findIndex((l) => l.includes('10.99.1.2 → 10.99.1.20:6514/tcp'));
    expect(lines[i]).toMatch(/TLS alert +1 +Syslog export \(TLS\)$/);
    expect(lines[i + 1]).toBe('      TLS alert certificate_expired sent by the client 10.99.1.2');
    // Without a detail, the reason's words are all there is: no empty evidence line.
    const j = lines.findIndex((l) => l.includes('10.99.1.50 → 10.99.1.2:443/tcp'));
    expect(lines[j + 1]).toBe('');
  });

  it('lists warnings after failures, with their evidence', () => {
    expect(out.indexOf('Warnings — 1 flow')).toBeGreaterThan(out.indexOf('Failures — 2 flows'));
    const w = out.slice(out.indexOf('Warnings — 1 flow'));
    expect(line(w, '10.99.1.50 → 10.99.1.2:22/tcp')).toMatch(/retransmissions +1 +Firewall CLI \(SSH\)$/);
    expect(w).toContain('\n      18 of 220 client segments retransmitted (8 %)\n');
  });

  it('falls back to the reason in plain words when a flow has no detail', () => {
    const s = fixtureSummary();
    const alert = s.flows.find((f) => f.reason === 'tls-alert')!;
    alert.detail = null;
    const o = plain(s);
    expect(o).not.toContain('certificate_expired');
    expect(line(o, '10.99.1.2 → 10.99.1.20:6514/tcp')).toContain('TLS alert');
  });

  it('says which failure of many flows it shows, and how many other details there are', () => {
    const s = fixtureSummary();
    const again = { ...tlsAlertSyslog(), clientPort: 40223, bytes: 3000, detail: 'TLS alert certificate_expired sent by the client 10.99.1.2 (second try)' };
    s.flows.push(again);
    s.entries.find((e) => e.id === 'management.syslog-tls.6514')!.failures[0].flows = 2;
    const o = plain(s);
    expect(line(o, '10.99.1.2 → 10.99.1.20:6514/tcp')).toMatch(/TLS alert +2 +Syslog/);
    expect(o).toContain('      TLS alert certificate_expired sent by the client 10.99.1.2 (+1 more like it)\n');
  });

  it('has plain words for every reason', () => {
    for (const r of REASONS) expect(REASON_WORDS[r], r).toMatch(/^[a-zA-Z(]/);
    expect(new Set(Object.values(REASON_WORDS)).size).toBe(REASONS.length);
  });

  it('counts a failure shared by two entries once, and adds failed unexpected flows', () => {
    const s = fixtureSummary();
    const https = s.entries.find((e) => e.id === 'management.https.443')!;
    s.entries.push({ ...https, id: 'panorama.https.443', section: 'panorama', name: 'Panorama web interface' });
    const refused: FlowRecord = { ...unexpectedRdp(), state: 'rejected', verdict: 'failed', reason: 'rejected', packets: 2, bytes: 114 };
    s.flows.push(refused, { ...refused, clientPort: 50112 });
    const o = plain(s, 140);
    expect(line(o, '10.99.1.50 → 10.99.1.2:443/tcp')).toMatch(/refused +1 +Web interface \/ VM information source \/ Panorama/);
    expect(line(o, '10.99.1.60 → 10.99.1.2:3389/tcp')).toMatch(/refused +2 +unexpected$/);
  });

  it('adds up one pair\'s failures of one reason that ended differently, and keeps reasons apart', () => {
    const s = fixtureSummary();
    const e = s.entries.find((x) => x.id === 'management.syslog-tls.6514')!;
    e.failures.push({ client: FW, server: '10.99.1.20', reason: 'tls-alert', state: 'reset', flows: 2 });
    e.failures.push({ client: FW, server: '10.99.1.20', reason: 'tls-incomplete', state: 'established', flows: 1 });
    const o = plain(s);
    expect(o).toMatch(/^Failures — 5 flows$/m);
    expect(line(o, '10.99.1.2 → 10.99.1.20:6514/tcp  TLS alert')).toMatch(/TLS alert +3 +Syslog/);
    expect(line(o, 'TLS handshake not completed')).toMatch(/10\.99\.1\.2 → 10\.99\.1\.20:6514\/tcp +TLS handshake not completed +1 +Syslog/);
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
    s.flows = s.flows.filter((f) => f.section !== 'unexpected' && f.verdict === 'ok');
    s.sections.find((x) => x.id === 'unexpected')!.flows = 0;
    for (const e of s.entries) e.failures = [];
    const o = plain(s);
    expect(o).toMatch(/^Unexpected flows — none$/m);
    expect(o).toMatch(/^Failures — none$/m);
    expect(o).toMatch(/^Warnings — none$/m);
  });

  it('shows non-IP frames by ethertype and the roles', () => {
    expect(line(out, '0x0806 ARP')).toMatch(/2 +6 +360 B$/);
    expect(line(out, '0x88cc LLDP')).toBeTruthy();
    expect(line(out.slice(out.indexOf('Roles')), `${FW} `)).toMatch(/firewall +inferred +3978 client to panorama 10\.99\.1\.5$/);
  });

  it('adds the full flow table only with allFlows', () => {
    expect(out).not.toContain('All flows');
    const s = fixtureSummary();
    s.allFlows = true;
    const o = plain(s);
    expect(o).toContain('All flows — 6 flows');
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
    const zero = { flows: 0, packets: 0, bytes: 0, failed: 0, degraded: 0, status: 'not-seen', firstSeen: null, lastSeen: null };
    s.flows = [];
    for (const e of s.entries) Object.assign(e, zero, { pairs: [], pairCount: 0, failures: [] });
    for (const x of s.sections) Object.assign(x, zero);
    Object.assign(s.input, { packets: 0, bytes: 0, capturedBytes: 0, malformed: 0, malformedReasons: [], firstSeen: null, lastSeen: null });
    Object.assign(s, { health: [], nonIp: [], ipv6Infrastructure: [], roles: [], other: { flows: 0, packets: 0, bytes: 0 }, allFlows: true, timeline: { intervalSeconds: 1, channels: [] } });
    const o = plain(s);
    expect(o).not.toMatch(/^Time/m); // neither the capture's time span nor a timeline
    expect(o).toContain('Management — 0 flows, 0 packets, 0 B, 0 failed');
    expect(o).toMatch(/^All flows — none$/m);
    expect(o).not.toContain('Roles');
    expect(o).toMatch(/^Health — no catalog channel seen$/m);
    expect(o.match(/entries not seen|entry not seen/g)).toHaveLength(4); // one line per section
    expect(plain(s, undefined, true).match(/not seen$/gm)).toHaveLength(s.entries.length + 1); // and the header's count
    expect(o).toMatch(/^Entries +11 not seen$/m);
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
    expect(o).toContain('\x1b[33mdegraded');
    expect(o).toContain('\x1b[31mTLS alert');
    expect(o).toContain('\x1b[33mretransmissions');
    expect(o.replace(ANSI, '')).toBe(out); // same text, only colored
  });

  it.each([100, 120])('keeps tables within %i columns with typical addresses', (width) => {
    const s = fixtureSummary();
    s.allFlows = true;
    const o = plain(s, width);
    const long = o.split('\n').filter((l) => [...l].length > width && !l.startsWith('Time '));
    expect(long).toEqual([]);
  });

  it('draws the timeline of channels with gaps or not up under the health list', () => {
    const o = plain(fixtureSummary());
    const block = o.slice(o.indexOf('Timeline —'), o.indexOf('\n\nManagement')).split('\n');
    expect(block).toEqual([
      'Timeline — 2 intervals of 10 s from 2026-11-24 10:13:40 +00:00',
      '  ▁ to █: flows open, x a failure, ! a warning',
      '  28769/tcp HA1 clear text  10.99.1.2 → 10.99.1.3',
      '    █!',
      '    gap 2026-11-24 10:13:50 +00:00 → 10:13:56 (6.0 s silent)',
    ]);
    expect(o.indexOf('Timeline —')).toBeGreaterThan(o.indexOf('Health —'));
  });

  it('groups intervals per character when the line is too short', () => {
    const s = fixtureSummary();
    const ch = s.timeline.channels[0];
    const t0 = Date.parse(ch.buckets[0].start) * 1000;
    ch.buckets = Array.from({ length: 300 }, (_, i) => ({ start: isoMicros(t0 + i * 1e7), flows: 1 + (i % 2), started: 0, failed: i === 299 ? 1 : 0, warnings: 0 }));
    const o = plain(s, 100);
    expect(o).toContain('Timeline — 300 intervals of 10 s from 2026-11-24 10:13:40 +00:00, 4 a character');
    expect(o).toContain(`\n    ${'█'.repeat(74)}x\n`);
  });

  it('wraps long entry names with a hanging indent instead of cutting them', () => {
    const o = plain(fixtureSummary(), 60);
    const below = o.slice(o.indexOf('\nManagement —')).split('\n');
    const i = below.findIndex((l) => l.includes('443/tcp Web'));
    const next = below[i + 1];
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
