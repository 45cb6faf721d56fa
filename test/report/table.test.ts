// The table layer: fitting to the terminal, wrapping, and the direct drawing used for long
// tables, which must match what cli-table3 draws.
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { drawCliTable, drawDirect, MAX_CLI_TABLE_ROWS, renderTable, trimLines, wrap, type Column, type Layout } from '../../src/report/table.js';

const c = pc.createColors(false);
const cc = pc.createColors(true);

describe('drawDirect', () => {
  it('draws what cli-table3 draws', () => {
    const layout: Layout = { widths: [14, 5, 8, 20], aligns: ['left', 'right', 'left', 'left'], indent: 2, gap: 2 };
    const rows = [
      [cc.bold('Client'), cc.bold('Flows'), cc.bold('State'), cc.bold('Pairs')],
      ['10.99.1.2', '56', cc.green('up'), '10.99.1.2 → 10.99.1.5\n(+2 more)'],
      ['2001:db8::1', '1,234', cc.red(cc.bold('FAILING')), 'a → b\nc → d\ne → f'],
      ['', '', '', ''],
      ['x', '0', cc.dim('not seen'), 'averyveryverylongwordthatmustbecut'],
    ];
    expect(trimLines(drawDirect(rows, layout))).toBe(trimLines(drawCliTable(rows, layout)));
    expect(trimLines(drawDirect(rows, { ...layout, gap: 1, indent: 0 }))).toBe(trimLines(drawCliTable(rows, { ...layout, gap: 1, indent: 0 })));
  });

  it('is what renderTable uses past the row limit, with the same output', () => {
    const cols: Column[] = [{ head: 'Client' }, { head: 'Bytes', align: 'right' }];
    const rows = Array.from({ length: MAX_CLI_TABLE_ROWS + 1 }, (_, i) => [`10.0.${i >> 8}.${i & 255}`, `${i} B`]);
    const long = renderTable(cols, rows, { width: 100, c });
    const short = renderTable(cols, rows.slice(0, MAX_CLI_TABLE_ROWS), { width: 100, c });
    expect(long.split('\n').slice(0, -1).join('\n')).toBe(short);
  });
});

describe('renderTable', () => {
  const cols: Column[] = [{ head: 'Entry', min: 10 }, { head: 'Server' }, { head: 'Bytes', align: 'right' }];
  const rows = [['443/tcp Web interface / VM information source', '10.99.1.2:443', '114 B']];

  it('keeps natural widths when the table fits', () => {
    expect(renderTable(cols, rows, { width: 100, c }).split('\n')[2]).toBe('  443/tcp Web interface / VM information source  10.99.1.2:443  114 B');
  });

  it('wraps prose with a hanging indent and never cuts an address', () => {
    const out = renderTable(cols, rows, { width: 40, c }).split('\n');
    expect(out.every((l) => l.length <= 40)).toBe(true);
    expect(out[2]).toContain('10.99.1.2:443');
    expect(out[3]).toMatch(/^ {4}\S/);
    expect(out.join('\n')).not.toContain('…');
  });

  it('narrows gaps only when wrapping is not enough', () => {
    const out = renderTable(cols, rows, { width: 30, c }).split('\n');
    expect(out[2]).toMatch(/^ {2}\S.* 10\.99\.1\.2:443 114 B$/);
  });
});

describe('wrap', () => {
  it('breaks at spaces, indents continuations and keeps explicit lines', () => {
    expect(wrap('Collector group log distribution (legacy)', 20)).toEqual(['Collector group log', '  distribution', '  (legacy)']);
    expect(wrap('a → b\nc → d', 20)).toEqual(['a → b', 'c → d']);
    expect(wrap('unbreakable-word-longer-than-width', 5)).toEqual(['unbreakable-word-longer-than-width']);
  });
});
