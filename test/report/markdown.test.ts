// The Markdown report: escaped cells, the header, the health table, the sections' collapsed
// unseen entries, and the same failure rows as the text report.
import { describe, expect, it } from 'vitest';
import { mdCell, mdTable, renderMarkdown } from '../../src/report/markdown.js';
import { fixtureSummary } from './fixture.js';

describe('Markdown cells and tables', () => {
  it('escapes pipes, newlines, HTML and emphasis', () => {
    expect(mdCell('a | b\nc')).toBe('a \\| b<br>c');
    expect(mdCell('SSH-2.0-<script>*x*_y_`z`[l](u) & \\')).toBe('SSH-2.0-&lt;script&gt;\\*x\\*\\_y\\_\\`z\\`\\[l\\](u) &amp; \\\\');
    expect(mdTable(['A', 'N'], [['x|y', '3']], [1])).toBe('| A | N |\n| --- | ---: |\n| x\\|y | 3 |');
  });
});

describe('renderMarkdown', () => {
  const md = renderMarkdown(fixtureSummary());

  it('has a short header, then the health table, failing first', () => {
    expect(md.startsWith('# pantap report\n\n- **File:** lab/fw2-mgmt.pcap (pcap, 551 packets)\n- **Packets:** 551 (86.7 kB on the wire), 1 malformed\n')).toBe(true);
    expect(md).toContain('- **Time:** 2026-11-24 10:13:46 +00:00 → 2026-11-24 10:13:54 +00:00 (8.53 s)\n');
    expect(md).toContain('## Health — 5 channels: 2 FAILING, 1 degraded, 2 up\n\n| Status | Channel | Client → server | Flows | Failed | Warned | Reason | Last success | Last failure |\n| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |\n');
    expect(md).toContain('| FAILING | 443/tcp Web interface / VM information source | 10.99.1.50 → 10.99.1.2 | 1 | 1 | 0 | refused | — | 2026-11-24 10:13:47 +00:00 |\n');
    expect(md).toContain('| degraded | 22/tcp Firewall CLI (SSH) | 10.99.1.50 → 10.99.1.2 | 1 | 0 | 1 | retransmissions | 2026-11-24 10:13:54 +00:00 | — |\n');
    expect(md.indexOf('## Health')).toBeLessThan(md.indexOf('### Management'));
  });

  it('lists entries with traffic, the others in one line per section (rows with allEntries)', () => {
    expect(md).toContain('Not seen: 1 more entry (`--all-entries` lists them)');
    expect(md).toContain('### User-ID — 0 flows, 0 packets, 0 B, 0 failed\n\nNot seen: 2 entries (`--all-entries` lists them)');
    expect(md).not.toContain('123/udp NTP');
    expect(renderMarkdown(fixtureSummary(), { allEntries: true })).toContain('| 123/udp NTP | 0 | 0 | 0 B | 0 | not seen |  |');
  });

  it('has the text report\'s failures with their evidence, and the warnings', () => {
    expect(md).toContain('## Failures — 2 flows\n\n| Flow | Reason | Flows | For | Evidence |\n');
    expect(md).toContain('| 10.99.1.2 → 10.99.1.20:6514/tcp | TLS alert | 1 | Syslog export (TLS) | TLS alert certificate\\_expired sent by the client 10.99.1.2 |');
    expect(md).toContain('## Warnings — 1 flow\n');
    expect(md).toContain('## Unexpected flows — 1 flow');
    expect(md.endsWith('|\n')).toBe(true);
  });
});
