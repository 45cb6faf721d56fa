// The live view's screen: status per section from its counters, failures grouped as the
// final report groups them (same rows for the same flows), entry names rather than catalog
// ids, the idle notice, and a screen that never exceeds the terminal's rows and columns.
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { loadCatalog } from '../../src/catalog/load.js';
import type { ClassifiedFlow } from '../../src/classify/classify.js';
import { NO_APP_RECORDS } from '../../src/classify/flow-facts.js';
import { addToPairHealth, emptyPairHealth, healthLine, sortHealth } from '../../src/report/health.js';
import type { HealthLine } from '../../src/report/model.js';
import { IDLE_NOTICE_S, liveScreen, type LiveStatus, type LiveViewData } from '../../src/report/live-view.js';
import { visibleWidth } from '../../src/report/table.js';
import { renderText } from '../../src/report/text.js';
import { REPO } from '../helpers/shared.js';

const catalog = loadCatalog();
const i3978 = catalog.entries.findIndex((e) => e.id === 'panorama.device-mgmt.3978');
const i5007 = catalog.entries.findIndex((e) => e.id === 'user-id.agent-mapping.5007');

function flow(seq: number, more: Partial<ClassifiedFlow>): ClassifiedFlow {
  return {
    transport: 'tcp', client: '10.99.1.1', server: '10.99.1.5', clientId: 0, serverId: 1, clientPort: 40000 + seq, serverPort: 3978,
    ipProtocol: 6, ethertype: null, clientPackets: 3, serverPackets: 2, clientBytes: 200, serverBytes: 100, firstTs: seq, lastTs: seq,
    firstSeq: seq, state: 'closed', failed: false, icmpErrors: 0, direction: 'handshake', entries: [i3978], section: 'panorama',
    app: null, verdict: 'ok', reason: null, detail: null, communityId: null, tcp: null, tls: null, ssh: null, ...NO_APP_RECORDS, ...more,
  };
}

const sections: LiveViewData['sections'] = [
  { id: 'management', flows: 0, packets: 0, bytes: 0, failed: 0 },
  { id: 'ha', flows: 4, packets: 40, bytes: 4000, failed: 0 },
  { id: 'panorama', flows: 3, packets: 12, bytes: 900, failed: 3 },
  { id: 'user-id', flows: 5, packets: 50, bytes: 5000, failed: 2 },
  { id: 'unexpected', flows: 1, packets: 2, bytes: 120, failed: 0 },
];
const alert = (seq: number, detail: string) => flow(seq, { verdict: 'failed', failed: true, reason: 'tls-alert', detail });
const status = (more: Partial<LiveStatus> = {}): LiveStatus => ({
  interface: 'veth0', elapsedMs: 16_400, packets: 1234, rate: 77.4, idleMs: 200, kernel: { received: 1234, dropped: 0, ifDropped: 0 }, ...more,
});
const BIG = { rows: 200, columns: 100, color: false };
const entryRank = new Map(catalog.entries.map((e, i) => [e.id, i]));
const T0 = Date.UTC(2026, 10, 24, 10, 13, 40) * 1000; // µs

/** A health line built as the session builds them (health.ts): flows as [verdict, reason, seconds after T0]. */
function channel(entry: string, client: string, server: string, flows: [verdict: 'ok' | 'warning' | 'failed', reason: ClassifiedFlow['reason'], s: number][]): HealthLine {
  const h = emptyPairHealth();
  for (const [verdict, reason, s] of flows) addToPairHealth(h, verdict, reason, T0 + s * 1_000_000);
  return healthLine(entry, client, server, h);
}

describe('liveScreen', () => {
  const view: LiveViewData = {
    sections,
    failing: [
      alert(1, 'TLS alert certificate_expired sent by the client 10.99.1.1 (first)'),
      flow(2, { verdict: 'failed', failed: true, reason: 'rejected', state: 'rejected', client: '10.99.1.9' }),
      alert(3, 'TLS alert certificate_expired sent by the client 10.99.1.1 (newest)'),
    ],
    unexpected: [flow(4, { serverPort: 3389, entries: [], section: 'unexpected' })],
    active: 7,
    expired: 12,
  };
  const lines = liveScreen(status(), view, catalog, BIG);
  const line = (has: string) => lines.find((l) => l.includes(has)) ?? '';

  it('opens with the capture: time, packets, rate, flows, kernel counters', () => {
    expect(lines[0]).toBe('pantap live on veth0 — 16 s · 1,234 packets, 77 pkt/s · 7 flows active, 12 expired');
    expect(lines[1]).toBe('kernel: 1,234 received, 0 dropped, 0 dropped by the interface');
    expect(liveScreen(status({ kernel: null }), view, catalog, BIG)[1]).toBe('kernel drop statistics: not available with the cap backend');
  });

  it("shows each section's status beside its counters, by the section's name", () => {
    expect(line('Management')).toMatch(/not seen$/);
    expect(line('High availability')).toMatch(/ up$/);
    expect(line('Panorama ')).toMatch(/FAILING$/);
    expect(line('User-ID')).toMatch(/partial$/);
    expect(lines.join('\n')).not.toContain('Warnings'); // not counted by this view: no column, no list
  });

  it('groups failures as the final report does: reason in words, flows, entry names, the evidence under each', () => {
    const i = lines.indexOf('Failures — 5 flows (groups of the newest 3)'); // the sections count 5, the view keeps 3
    expect(i).toBeGreaterThan(0);
    expect(lines.slice(i + 1, i + 6)).toEqual([
      '  Flow                            Reason     Flows  For', // no rule under the names: rows are dear
      '  10.99.1.1 → 10.99.1.5:3978/tcp  TLS alert      2  Panorama ↔ device',
      '      TLS alert certificate_expired sent by the client 10.99.1.1 (first) (+1 more like it)',
      '  10.99.1.9 → 10.99.1.5:3978/tcp  refused        1  Panorama ↔ device',
      'Unexpected — 1 flow',
    ]);
    expect(lines.join('\n')).not.toMatch(/panorama\.device-mgmt|user-id\.agent/); // names, not catalog ids
    expect(line('3389')).toBe('  10.99.1.1 → 10.99.1.5:3389/tcp      1');
    expect(lines.at(-1)).toBe('Ctrl-C ends the capture and prints the summary.');
  });

  it('--export: a line with the rows sent, buffered and dropped, and whether the server is away', () => {
    expect(lines.join('\n')).not.toContain('export');
    const x = { url: 'clickhouse://ch:8123/fleet', sent: 12_000, buffered: 0, dropped: 0, away: false };
    expect(liveScreen(status({ export: x }), view, catalog, BIG)[2]).toBe('export to clickhouse://ch:8123/fleet: 12,000 rows sent, 0 buffered, 0 dropped');
    expect(liveScreen(status({ export: { ...x, buffered: 100_000, dropped: 2_345, away: true } }), view, catalog, BIG)[2]).toBe(
      'export to clickhouse://ch:8123/fleet: 12,000 rows sent, 100,000 buffered, 2,345 dropped, server away',
    );
  });

  it('says when no packet has arrived for a while', () => {
    expect(lines.join('\n')).not.toContain('no packets');
    const idle = liveScreen(status({ idleMs: 12_300 }), view, catalog, BIG);
    expect(idle[2]).toBe('no packets for 12 s');
    expect(liveScreen(status({ idleMs: IDLE_NOTICE_S * 1000 - 1 }), view, catalog, BIG).join('\n')).not.toContain('no packets');
  });

  it('shows warnings and the degraded status when the view counts them', () => {
    const b = liveScreen(
      status(),
      {
        sections: sections.map((s) => ({ ...s, degraded: s.id === 'ha' ? 1 : 0 })),
        failing: [],
        warning: [flow(5, { verdict: 'warning', reason: 'zero-window', detail: 'the server advertised a zero window for 3.0 s' })],
        unexpected: [],
      },
      catalog,
      BIG,
    );
    expect(b.find((l) => l.includes('High availability'))).toMatch(/ 1 {2}degraded$/);
    const i = b.indexOf('Warnings — 1 flow');
    expect(b.slice(i + 2, i + 4)).toEqual(['  10.99.1.1 → 10.99.1.5:3978/tcp  receiver stalled (zero window)      1  Panorama ↔ device', '      the server advertised a zero window for 3.0 s']);
    expect(b.join('\n')).not.toContain('Failures');
  });

  describe('the health list', () => {
    const health = sortHealth(
      [
        channel('management.ntp.123', '10.99.1.1', '10.99.1.7', [['ok', null, 1], ['ok', null, 2]]),
        channel('panorama.device-mgmt.3978', '10.99.1.1', '10.99.1.5', [['failed', 'tls-alert', 3], ['failed', 'tls-alert', 5], ['ok', null, 4]]),
        channel('user-id.agent-mapping.5007', '10.99.1.9', '10.99.1.5', [['failed', 'rejected', 6]]),
        channel('panorama.device-mgmt.3978', '10.99.1.2', '10.99.1.5', [['warning', 'retransmissions', 7]]),
      ],
      entryRank,
    );
    const screen = liveScreen(status(), { ...view, health }, catalog, { ...BIG, columns: 160 });

    it('opens the view, after the header lines and before the sections: failing first, then degraded, then up', () => {
      const i = screen.indexOf('Health — 4 channels: 1 FAILING, 1 partial, 1 degraded, 1 up');
      expect(i).toBe(2);
      expect(screen.slice(i + 1, i + 6)).toEqual([
        '  Status    Channel                             Client → server        Failed  Reason           Last',
        '  FAILING   5007/tcp Agent → firewall mappings  10.99.1.9 → 10.99.1.5     1/1  refused          failure 2026-11-24 10:13:46 +00:00',
        '  partial   3978/tcp Panorama ↔ device          10.99.1.1 → 10.99.1.5     2/3  TLS alert        failure 2026-11-24 10:13:45 +00:00',
        '  degraded  3978/tcp Panorama ↔ device          10.99.1.2 → 10.99.1.5     0/1  retransmissions  success 2026-11-24 10:13:47 +00:00',
        '  up        123/udp NTP                         10.99.1.1 → 10.99.1.7     0/2                   success 2026-11-24 10:13:42 +00:00',
      ]);
      // Never wrapped: on a narrower terminal the channel's name gives way, then the time is cut.
      const narrow = liveScreen(status(), { ...view, health }, catalog, { ...BIG, columns: 80 });
      expect(narrow[4]).toBe('  FAILING   5007/tcp Agent → …  10.99.1.9 → 10.99.1.5     1/1  refused         …');
      expect(narrow[6]).toMatch(/ 0\/1 {2}retransmissions …$/);
      expect(screen[i + 6]).toMatch(/^ {2}Section /);
      expect(screen.findIndex((l) => l.startsWith('Failures'))).toBeGreaterThan(i + 6);
    });

    it('says when no channel was seen yet, and is left out when the view has no health list', () => {
      expect(liveScreen(status(), { ...view, health: [] }, catalog, BIG)[2]).toBe('Health — no catalog channel seen');
      expect(lines.join('\n')).not.toContain('Health');
    });
  });

  describe('at 80×24 with many failures', () => {
    // 60 clients failing to reach 3978 and 5007 with long evidence, 40 unexpected talkers.
    const failing: ClassifiedFlow[] = [];
    for (let i = 0; i < 60; i++) {
      const client = `10.99.2.${i + 1}`;
      failing.push(alert(i, `TLS alert certificate_expired sent by the client ${client}; the server certificate expired 1060 days before the capture (notAfter 2024-01-01T00:00:00Z)`));
      failing.at(-1)!.client = client;
      failing.push(flow(100 + i, { client, serverPort: 5007, entries: [i5007], section: 'user-id', verdict: 'failed', failed: true, reason: 'rejected', state: 'rejected', detail: `the server 10.99.1.5 answered the connection attempt with a reset` }));
    }
    const unexpected = Array.from({ length: 40 }, (_, i) => flow(300 + i, { client: `10.99.3.${i}`, serverPort: 3389, entries: [], section: 'unexpected' }));
    const warning = Array.from({ length: 20 }, (_, i) => flow(400 + i, { client: `10.99.4.${i}`, verdict: 'warning', reason: 'retransmissions', detail: 'a long line of evidence about retransmissions that the screen has to wrap or cut somewhere' }));
    const many: LiveViewData = { sections: sections.map((s) => ({ ...s, degraded: 0, failed: s.failed * 40 })), failing, warning, unexpected, active: 300, expired: 1_000_000 };

    for (const color of [false, true]) {
      it(`never exceeds 24 lines or 80 columns${color ? ' (with colours)' : ''}, and says what it left out`, () => {
        for (const idleMs of [0, 15_000]) {
          const screen = liveScreen(status({ idleMs, filter: 'host 10.99.1.5 and (tcp port 3978 or tcp port 5007 or udp port 123)' }), many, catalog, { rows: 24, columns: 80, color });
          expect(screen.length).toBeLessThanOrEqual(24);
          for (const l of screen) expect(visibleWidth(l), l).toBeLessThanOrEqual(80);
          const text = screen.join('\n');
          expect(text).toMatch(/Failures/);
          expect(text).toMatch(/\(\+\d+ more\)/);
          expect(screen.filter((l) => / → /.test(l)).length).toBeGreaterThan(0);
          if (color) expect(text).toContain('\x1b['); // and every cut line ends its styles
          for (const l of screen) if (l.endsWith('…\x1b[0m') || l.endsWith('…')) expect(l.endsWith('…') ? !l.includes('\x1b[') : true).toBe(true);
        }
      });
    }

    it('keeps the failures on screen first: the lists below shrink before them', () => {
      // One line per group (no evidence): failures take what the others leave.
      const plain = (list: ClassifiedFlow[]) => list.map((f) => ({ ...f, detail: null }));
      const screen = liveScreen(status(), { ...many, failing: plain(failing), warning: plain(warning) }, catalog, { rows: 24, columns: 80, color: false });
      const f = screen.findIndex((l) => l.startsWith('Failures'));
      const w = screen.findIndex((l) => l.startsWith('Warnings'));
      const u = screen.findIndex((l) => l.startsWith('Unexpected'));
      expect([f, w, u].every((i) => i > 0) && f < w && w < u).toBe(true);
      const groups = (from: number, to?: number) => screen.slice(from, to).filter((l) => l.startsWith('  10.99.')).length;
      // (a 5007 row takes two lines: `Agent → firewall mappings` wraps in its column)
      expect([groups(f, w), groups(w, u), groups(u)]).toEqual([2, 1, 1]);
      expect(screen.slice(f, w).at(-1)).toBe('  (+118 more)');
      expect(screen.slice(u).at(-2)).toBe('  (+39 more)');
      expect(screen.length).toBe(24);
    });

    // 150 channels: 60 failing on 3978, 30 degraded, 60 up.
    const health = sortHealth(
      Array.from({ length: 150 }, (_, i) => {
        const client = `10.99.5.${i}`;
        if (i < 60) return channel('panorama.device-mgmt.3978', client, '10.99.1.5', [['failed', 'tls-alert', i]]);
        if (i < 90) return channel('user-id.agent-mapping.5007', client, '10.99.1.5', [['warning', 'zero-window', i]]);
        return channel('management.ntp.123', client, '10.99.1.7', [['ok', null, i]]);
      }),
      entryRank,
    );
    for (const color of [false, true]) {
      it(`with many channels: never exceeds 24 lines or 80 columns, failing channels kept first, the rest counted${color ? ' (with colours)' : ''}`, () => {
        for (const idleMs of [0, 15_000]) {
          const screen = liveScreen(status({ idleMs }), { ...many, health }, catalog, { rows: 24, columns: 80, color });
          expect(screen.length).toBeLessThanOrEqual(24);
          for (const l of screen) expect(visibleWidth(l), l).toBeLessThanOrEqual(80);
          const plain = screen.map((l) => stripVTControlCharacters(l));
          const h = plain.findIndex((l) => l.startsWith('Health — 150 channels: 60 FAILING, 30 degraded, 60 up'));
          expect(h).toBe(idleMs > 0 ? 3 : 2);
          const s = plain.findIndex((l) => l.startsWith('  Section '));
          const rows = plain.slice(h + 2, s - 1);
          expect(rows.length).toBeGreaterThan(0);
          for (const r of rows) expect(r).toMatch(/^ {2}FAILING {3}3978\/tcp Pan.* {2}TLS alert/);
          expect(plain[s - 1]).toBe(`  (+${150 - rows.length} more: ${60 - rows.length} FAILING, 30 degraded, 60 up)`);
          expect(plain.some((l) => l.startsWith('Failures'))).toBe(true);
        }
      });
    }

    it('fits a smaller terminal too, down to a few rows', () => {
      for (const [rows, columns] of [[12, 40], [5, 80], [1, 20]]) {
        for (const v of [many, { ...many, health }]) {
          const screen = liveScreen(status(), v, catalog, { rows, columns, color: false });
          expect(screen.length).toBeLessThanOrEqual(rows);
          for (const l of screen) expect(visibleWidth(l)).toBeLessThanOrEqual(columns);
        }
      }
    });
  });

  it('shows the same failure rows as the final text report for the same flows (a06)', async () => {
    const a = await analyzeCaptures([`${REPO}/fixtures/pan-lab/a06_failures.pcap`], { workers: 0 });
    const text = renderText(a.summary, { color: false, width: 100 }).split('\n');
    const from = text.findIndex((l) => l.startsWith('Failures — '));
    const to = text.indexOf('', from);
    const screen = liveScreen(status(), { sections: a.summary.sections, failing: a.flows.filter((f) => f.failed), warning: a.flows.filter((f) => f.verdict === 'warning'), unexpected: [] }, catalog, BIG);
    const at = screen.findIndex((l) => l.startsWith('Failures — '));
    expect(to - from).toBeGreaterThan(4);
    // Line for line, but for the rule under the column names, which the screen leaves out.
    expect(screen.slice(at, at + (to - from) - 1)).toEqual(text.slice(from, to).filter((_, i) => i !== 2));
  });
});
