// The HTML report's generator: one file with no network reference (uPlot inlined, its URLs
// and source maps neutralised), data that cannot break out of its <script> block, and the
// matrix and device cards of a pan-lab capture (a06 + a03).
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { htmlModel, neutralise, renderHtml, scriptJson, type HtmlModel } from '../../src/report/html.js';
import type { Summary } from '../../src/report/model.js';
import { fixtureSummary } from './fixture.js';

const REPO = resolve(import.meta.dirname, '../..');
const HOSTILE = '</script><script>alert(1)</script><!-- <img src=https://evil.example/x.png> \u2028 &amp;';

/** Every src/href attribute value of the page (quoted or not). */
function urlAttributes(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi)].map((m) => m[1]);
}

/** The JSON block's text, as the browser reads it. */
function dataBlock(html: string): string {
  const m = /<script type="application\/json" id="pantap-data">([^]*?)<\/script>/.exec(html);
  if (m === null) throw new Error('no data block');
  return m[1];
}

describe('HTML report: one self-contained file', () => {
  const html = renderHtml(fixtureSummary());

  it('refers to nothing on the network and carries no source map', () => {
    for (const v of urlAttributes(html)) expect(v).not.toMatch(/^["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/\/\/[#@]\s*sourceMappingURL/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|@font-face|url\(/i);
  });

  it('inlines uPlot (its licence line kept) and the page script, in that order', () => {
    expect(html).toContain('uPlot (v1.6.32)');
    expect(html).toContain('github.com/leeoniya/uPlot'); // the attribution, without its scheme
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toEqual(['<script type="application/json" id="pantap-data">', '<script>', '<script>']);
    expect(html.indexOf('function uPlot')).toBeLessThan(html.indexOf('pantapReady'));
    expect(html).toContain("content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\"");
  });

  it('neutralises URLs, source maps and closing tags in bundled code', () => {
    expect(neutralise('a();\n//# sourceMappingURL=uPlot.min.js.map\n/*# sourceMappingURL=x.css.map */b')).toBe('a();\n\nb');
    expect(neutralise('/*! https://github.com/x */ s="</script>"')).toBe('/*! github.com/x */ s="<\\/script>"');
  });
});

describe('HTML report: data escaping', () => {
  const s = fixtureSummary();
  const f = s.flows.find((x) => x.verdict === 'failed')!;
  f.detail = HOSTILE;
  const html = renderHtml(s);
  const block = dataBlock(html);

  it('keeps a hostile detail inside the JSON block, `<` written \\u003c', () => {
    expect(html.match(/<\/script>/g)!.length).toBe(3);
    expect(block).not.toContain('<');
    expect(block).not.toContain('>');
    expect(block).toContain('\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\\u003c!-- \\u003cimg src=https://evil.example/x.png\\u003e \\u2028 \\u0026amp;');
    expect(html).not.toContain('evil.example/x.png>');
  });

  it('round-trips: the browser reads back the same strings', () => {
    const m = JSON.parse(block) as HtmlModel;
    expect(m.flows.filter((r) => r.detail.startsWith(HOSTILE)).length).toBe(1);
    expect(JSON.parse(scriptJson({ a: '</script>\u2029&' }))).toEqual({ a: '</script>\u2029&' });
    expect(scriptJson('</script>')).toBe('"\\u003c/script\\u003e"');
  });

  it('draws strings with textContent only (no innerHTML, insertAdjacentHTML or document.write)', () => {
    const page = html.slice(html.lastIndexOf('<script>'));
    expect(page).toContain('textContent');
    expect(page).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});

describe('HTML report: the matrix and cards of pan-lab a06 + a03', () => {
  let s: Summary;
  let m: HtmlModel;
  beforeAll(async () => {
    const a = await analyzeCaptures([resolve(REPO, 'fixtures/pan-lab/a06_failures.pcap'), resolve(REPO, 'fixtures/pan-lab/a03_panorama.pcap')], { workers: 0 });
    s = a.summary;
    m = htmlModel(s);
  });

  it('lists the health lines as the JSON does, in words', () => {
    expect(m.health.length).toBe(s.health.length);
    expect(m.healthCounts).toEqual({ failing: 7, partial: 1, up: 10 });
    expect(m.health[0]).toEqual({
      status: 'failing', channel: '443/tcp Web interface / VM information source', client: '10.99.1.10', server: '10.99.1.2',
      flows: 1, failed: 1, degraded: 0, reason: 'refused', lastSuccess: '—', lastFailure: '2026-11-25 16:15:13 +00:00',
    });
    expect(m.health.find((h) => h.status === 'partial')).toMatchObject({ channel: '3978/tcp Panorama ↔ device', client: '10.99.1.1', server: '10.99.1.5', flows: 2, failed: 1, reason: 'refused' });
  });

  it('has the channels seen as columns and every address with a role or a channel as rows', () => {
    expect(m.channels.map((c) => c.entry)).toEqual([
      'management.https.443', 'management.snmp.161', 'ha.ha1-clear.28769', 'panorama.ssh.22', 'panorama.https.443', 'panorama.device-mgmt.3978',
      'panorama.ha-clear.28769', 'panorama.ha-clear.28260', 'panorama.ha-clear.49160', 'panorama.ha-ssh.28', 'panorama.collector-group.28270',
      'panorama.collector-group.49190', 'panorama.nfs.2049', 'user-id.agent-mapping.5007',
    ]);
    expect(m.devices.map((d) => d.address)).toEqual([
      '10.99.1.1', '10.99.1.2', '10.99.1.5', '10.99.1.6', '10.99.1.7', '10.99.1.8', '10.99.1.10', '10.99.1.20', '10.99.1.40', '10.99.1.60', '10.99.1.99', '10.99.2.1', '10.99.2.2',
    ]);
    for (const d of m.devices) expect(d.cells.map((c) => c.entry)).toEqual(m.channels.map((c) => c.entry));
  });

  it('colours each cell by the device\'s flows in the channel', () => {
    const row = (a: string) => Object.fromEntries(m.devices.find((d) => d.address === a)!.cells.filter((c) => c.status !== 'not-seen').map((c) => [c.entry, `${c.status} ${c.flows}/${c.failed}`]));
    expect(row('10.99.1.1')).toEqual({ 'panorama.device-mgmt.3978': 'partial 3/2', 'user-id.agent-mapping.5007': 'failing 1/1' });
    expect(row('10.99.1.5')).toEqual({
      'panorama.ssh.22': 'up 1/0', 'panorama.https.443': 'up 1/0', 'panorama.device-mgmt.3978': 'partial 3/1', 'panorama.ha-clear.28769': 'up 1/0',
      'panorama.ha-clear.28260': 'up 1/0', 'panorama.ha-clear.49160': 'up 1/0', 'panorama.ha-ssh.28': 'up 1/0', 'panorama.nfs.2049': 'up 1/0',
    });
    expect(row('10.99.1.99')).toEqual({ 'panorama.device-mgmt.3978': 'failing 1/1' });
    expect(row('10.99.1.10')).toEqual({ 'management.https.443': 'failing 1/1', 'panorama.ssh.22': 'up 1/0', 'panorama.https.443': 'partial 2/1' });
  });

  it('gives each device a card: roles with evidence, peers and reasons per channel', () => {
    const d5 = m.devices.find((d) => d.address === '10.99.1.5')!;
    expect(d5).toMatchObject({ roles: ['panorama'], source: 'inferred', evidence: ['3978 server for 10.99.1.1', '3978 server for 10.99.1.7', '49160 client to panorama 10.99.1.6'] });
    expect(d5.cells.find((c) => c.entry === 'panorama.device-mgmt.3978')).toEqual({
      entry: 'panorama.device-mgmt.3978', label: '3978/tcp Panorama ↔ device', status: 'partial', flows: 3, failed: 1, peers: 'server for 10.99.1.1, 10.99.1.7', reasons: ['refused'],
    });
    const d1 = m.devices.find((d) => d.address === '10.99.1.1')!;
    expect(d1).toMatchObject({ roles: [], source: null, evidence: [] });
    expect(d1.cells.find((c) => c.entry === 'panorama.device-mgmt.3978')).toMatchObject({ peers: 'client of 10.99.1.99, 10.99.1.5', reasons: ['no answer', 'refused'] });
    expect(d1.cells.filter((c) => c.status === 'not-seen').length).toBe(12);
  });

  it('has one timeline lane per channel and the listed flows', () => {
    expect(m.timeline.intervalSeconds).toBe(1);
    expect(m.timeline.lanes.length).toBe(18);
    expect(m.timeline.lanes[0]).toEqual({ label: '443/tcp Web interface / VM information source 10.99.1.10 → 10.99.1.2', client: '10.99.1.10', server: '10.99.1.2', buckets: [[Date.UTC(2026, 10, 25, 16, 15, 13) / 1000, 1, 1, 0]], gaps: [] });
    expect(m.flows.length).toBe(6);
    expect(m.flowsNote).toBe('failed, warning and unexpected flows only (6); --flows lists every flow');
  });
});

describe('HTML report: a long-lived session\'s gap on the timeline (fixtures/ha-outage)', () => {
  it('gives the HA1 lane its gap in seconds since the epoch', async () => {
    const a = await analyzeCaptures([resolve(REPO, 'fixtures/ha-outage/h01_ha_outage.pcap')], { workers: 0 });
    const lanes = htmlModel(a.summary).timeline.lanes;
    expect(lanes.map((l) => [l.label, l.gaps.length])).toEqual([
      ['28769/tcp HA1 clear text 10.99.3.1 → 10.99.3.2', 1],
      ['28770/tcp HA1 backup 10.99.3.1 → 10.99.3.2', 0],
      ['1/ip HA1 heartbeat (ICMP echo) 10.99.3.1 → 10.99.3.2', 0],
    ]);
    expect(lanes[0].gaps).toEqual([{ start: 1795725945.762729, end: 1795725953.403794, seconds: 7.641065 }]);
    expect(lanes[0].buckets.length).toBe(21);
  });
});
