// The body of the live view: status per section from its counters, failing flows with their
// reason in plain words and the newest one's evidence, grouped so that retries are one line.
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.js';
import type { ClassifiedFlow } from '../../src/classify/classify.js';
import { liveViewBody, type LiveViewData } from '../../src/report/live-view.js';
import { NO_APP_RECORDS } from '../../src/classify/flow-facts.js';

const catalog = loadCatalog();
const i3978 = catalog.entries.findIndex((e) => e.id === 'panorama.device-mgmt.3978');

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

describe('liveViewBody', () => {
  const body = liveViewBody(
    {
      sections,
      failing: [
        alert(1, 'TLS alert certificate_expired sent by the client 10.99.1.1 (first)'),
        flow(2, { verdict: 'failed', failed: true, reason: 'rejected', state: 'rejected', client: '10.99.1.9' }),
        alert(3, 'TLS alert certificate_expired sent by the client 10.99.1.1 (newest)'),
      ],
      unexpected: [flow(4, { serverPort: 3389, entries: [], section: 'unexpected' })],
    },
    catalog,
  ).join('\n');
  const line = (has: string) => body.split('\n').find((l) => l.includes(has)) ?? '';

  it('shows each section\'s status beside its counters', () => {
    expect(line('management')).toMatch(/not seen/);
    expect(line('│ ha ')).toMatch(/│ up /);
    expect(line('panorama')).toContain('FAILING');
    expect(line('user-id')).toContain('partial');
    expect(body).not.toContain('Warnings'); // not counted by this view: no column, no degraded
  });

  it('lists failing flows with the reason in plain words, retries once with a count, and the newest evidence', () => {
    const lines = body.split('\n');
    const i = lines.findIndex((l) => l.includes('TLS alert'));
    expect(lines[i]).toBe('  10.99.1.1 → 10.99.1.5:3978/tcp  TLS alert  panorama.device-mgmt.3978  ×2');
    expect(lines[i + 1]).toBe('      TLS alert certificate_expired sent by the client 10.99.1.1 (newest)');
    expect(lines.indexOf('Failing (newest first):')).toBe(i - 1);
    // No detail: the reason's words only, no evidence line.
    const j = lines.findIndex((l) => l.includes('10.99.1.9 →'));
    expect(lines[j]).toBe('  10.99.1.9 → 10.99.1.5:3978/tcp  refused  panorama.device-mgmt.3978');
    expect(lines[j + 1]).toBe('Unexpected (newest first):');
    expect(line('3389')).toBe('  10.99.1.1 → 10.99.1.5:3389/tcp');
  });

  it('shows warnings and the degraded status when the view counts them', () => {
    const b = liveViewBody(
      {
        sections: sections.map((s) => ({ ...s, degraded: s.id === 'ha' ? 1 : 0 })),
        failing: [],
        warning: [flow(5, { verdict: 'warning', reason: 'zero-window', detail: 'the server advertised a zero window for 3.0 s' })],
        unexpected: [],
      },
      catalog,
    ).join('\n');
    expect(b).toContain('Warnings');
    expect(b.split('\n').find((l) => l.includes('│ ha '))).toContain('degraded');
    expect(b).toContain('Warnings (newest first):\n  10.99.1.1 → 10.99.1.5:3978/tcp  receiver stalled (zero window)  panorama.device-mgmt.3978\n      the server advertised a zero window for 3.0 s');
    expect(b).not.toContain('Failing');
  });
});
