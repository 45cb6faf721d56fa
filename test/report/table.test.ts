// The table layer: fitting to the terminal, wrapping, and the direct drawing used for long
// tables, which must match what cli-table3 draws.
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { directSafe, drawCliTable, drawDirect, MAX_CLI_TABLE_ROWS, NARROW, renderTable, trimLines, wrap, type Column, type Layout } from '../../src/report/table.js';

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

describe('directSafe', () => {
  it('admits only characters string-width counts as one column', async () => {
    // cli-table3's own measure, which drawDirect replaces for NARROW cells.
    const { default: stringWidth } = (await import('string-width')) as unknown as { default: (s: string) => number };
    let n = 0;
    for (let cp = 0x20; cp < 0x10000; cp++) {
      const ch = String.fromCodePoint(cp);
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (!NARROW.test(ch)) continue;
      n++;
      expect([cp.toString(16), stringWidth(ch)]).toEqual([cp.toString(16), 1]);
    }
    expect(n).toBe(0x7e - 0x20 + 1 + (0x2ff - 0xa0 + 1) + (0x20cf - 0x2010 + 1) + (0x2319 - 0x2100 + 1) + (0x25fc - 0x2500 + 1));
    expect(NARROW.test('a\u0301')).toBe(false);
    expect(NARROW.test('\u{1f600}')).toBe(false);
    expect(NARROW.test('\u4e2d')).toBe(false);
    expect(NARROW.test('©\ufe0f')).toBe(false);
  });

  it('draws what cli-table3 draws whenever it says so (random tables)', () => {
    // A small deterministic generator: the same tables on every run.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ['a', 'Z', '0', ' ', '.', ':', '→', '↔', '─', '…', '—', 'µ', '×', '·', '▁', '█', '≤', '©', '™', '\u2122', '\u20ac', '\u00e9', '\u200b', '\u4e2d', '\u{1f600}', '\u0301'];
    // Mostly plain cells: a table with any escape code goes to cli-table3.
    const plain = (s: string) => s;
    const styles = [plain, plain, plain, plain, plain, plain, plain, plain, plain, plain, plain, cc.red];
    let direct = 0;
    let fallback = 0;
    for (let t = 0; t < 400; t++) {
      const ncols = 1 + rand(4);
      const widths = Array.from({ length: ncols }, () => 1 + rand(12));
      const layout: Layout = { widths, aligns: widths.map(() => (rand(2) === 0 ? 'left' : 'right')), indent: rand(3), gap: 1 + rand(2) };
      const rows = Array.from({ length: 1 + rand(5) }, () =>
        widths.map(() => {
          const lines = Array.from({ length: 1 + rand(2) }, () => {
            const text = Array.from({ length: rand(16) }, () => alphabet[rand(alphabet.length)]).join('');
            return text === '' ? text : styles[rand(styles.length)](text);
          });
          return lines.join('\n');
        }),
      );
      if (!directSafe(rows)) {
        fallback++;
        continue;
      }
      direct++;
      expect(trimLines(drawDirect(rows, layout))).toBe(trimLines(drawCliTable(rows, layout)));
    }
    expect(direct).toBeGreaterThan(20);
    expect(fallback).toBeGreaterThan(20);
  });

  it('leaves coloured cells to cli-table3, which reopens a style on each line of a cell wrapped after styling', () => {
    const styledThenWrapped = wrap(cc.red('not the expected protocol'), 10).join('\n');
    expect(directSafe([['a', 'b']])).toBe(true);
    expect(directSafe([['a', cc.red('b')]])).toBe(false);
    expect(directSafe([['a', styledThenWrapped]])).toBe(false);
    // What cli-table3 makes of it: each line opened and closed (drawDirect would not).
    const layout: Layout = { widths: [12], aligns: ['left'], indent: 0, gap: 1 };
    expect(trimLines(drawCliTable([[styledThenWrapped]], layout)).split('\n')).toEqual(['\x1b[31mnot the\x1b[39m', '\x1b[31m  expected\x1b[39m', '\x1b[31m  protocol\x1b[39m']);
    expect(trimLines(drawDirect([[styledThenWrapped]], layout))).not.toBe(trimLines(drawCliTable([[styledThenWrapped]], layout)));
  });
});
