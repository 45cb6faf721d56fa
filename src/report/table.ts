// Borderless, width-aware tables for the text report, drawn with cli-table3. Columns get
// their natural width; when the table is wider than the terminal, the prose columns (names,
// pair lists) wrap, sharing the cut, with a hanging indent so a continuation never reads as
// a new row; only then do the gaps narrow. Addresses and numbers never wrap: a broken
// address is worse than a long line. A row may carry a note: a line of prose under it,
// indented past the row's start and wrapped to the width (the evidence of a failure).
import Table from 'cli-table3';
import type pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

export interface Column {
  head: string;
  align?: 'left' | 'right';
  /** Set on prose columns: the narrowest they may wrap to when space is short. */
  min?: number;
}

/** Text plus a style applied line by line after wrapping (escape codes never span lines). */
export interface StyledCell {
  text: string;
  style: (s: string) => string;
}

export type Cell = string | StyledCell;

export interface TableOptions {
  width: number;
  c: Colors;
  indent?: number;
  /** Size the columns over these rows too, so that related tables line up. */
  sizeWith?: Cell[][];
  /** Per row, a line of prose printed under it (indented by 4 more than the table), or null. */
  notes?: (Cell | null)[];
}

// Colors come only from picocolors (so `color: false` means no escapes at all): cli-table3
// gets no style colors and no border characters.
const BLANK = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
};

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** An escape or a surrogate: without either, a string's width is its length. */
// eslint-disable-next-line no-control-regex
const NOT_PLAIN = /[\x1b\ud800-\udfff]/;

/** Columns a string takes on a terminal (escape codes excluded; code points, not UTF-16 units). */
export function visibleWidth(s: string): number {
  if (!NOT_PLAIN.test(s)) return s.length;
  return [...s.replace(ANSI, '')].length;
}

/**
 * Characters string-width (cli-table3's measure) counts as one column each, also in any
 * sequence of them (no emoji, combining, wide or control characters, no escape): printable ASCII,
 * Latin, punctuation, arrows, box drawing and blocks. Cells of these alone are measured the
 * same by visibleWidth, so drawDirect draws them as cli-table3 does (table.test.ts checks
 * every one of them against string-width).
 */
export const NARROW = /^[\n\x20-\x7e\u00a0-\u02ff\u2010-\u20cf\u2100-\u2319\u2500-\u25fc]*$/;
/**
 * drawDirect draws these rows exactly as drawCliTable: every cell's text is NARROW and has no
 * escape codes. (cli-table3 closes a style still open at the end of a cell's line and opens it
 * again on the next, which a styled text wrapped after styling needs; drawDirect does not, so
 * coloured tables stay with cli-table3.)
 */
export function directSafe(rows: string[][]): boolean {
  for (const row of rows) for (const cell of row) if (!NARROW.test(cell)) return false;
  return true;
}

const textOf = (cell: Cell | undefined): string => (cell === undefined ? '' : typeof cell === 'string' ? cell : cell.text);

function naturalWidths(cols: Column[], rows: Cell[][]): number[] {
  return cols.map((col, i) => {
    let w = visibleWidth(col.head);
    for (const row of rows) for (const line of textOf(row[i]).split('\n')) w = Math.max(w, visibleWidth(line));
    return w;
  });
}

/**
 * Narrows prose columns by `excess` columns in all, one at a time from the one with the most
 * room above its `min`, so that a long name and a long pair list share the cut.
 */
function shrink(cols: Column[], widths: number[], excess: number): number[] {
  const w = [...widths];
  const room = (i: number) => (cols[i].min === undefined ? 0 : w[i] - cols[i].min!);
  for (let left = excess; left > 0; left--) {
    let pick = -1;
    for (let i = 0; i < cols.length; i++) if (room(i) > 0 && (pick < 0 || room(i) > room(pick))) pick = i;
    if (pick < 0) break;
    w[pick]--;
  }
  return w;
}

/** Word wrap to `width`; continuation lines are indented by two spaces. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line === '') line = word;
      else if (visibleWidth(`${line} ${word}`) <= width) line = `${line} ${word}`;
      else {
        out.push(line);
        line = `  ${word}`;
      }
    }
    out.push(line);
  }
  return out;
}

function layoutCell(cell: Cell | undefined, width: number, prose: boolean): string {
  const text = textOf(cell);
  const lines = prose ? wrap(text, width) : text.split('\n');
  const style = typeof cell === 'object' ? cell.style : (s: string) => s;
  return lines.map((l) => (l === '' ? l : style(l))).join('\n');
}

export function renderTable(cols: Column[], rows: Cell[][], opts: TableOptions): string {
  const t = renderTableParts(cols, rows, opts);
  return [...t.head, ...t.rows.flat(), ...t.tail].join('\n');
}

/** A rendered table in parts: the head and its rule, each row's lines (with its note), what follows. */
export interface TableParts {
  head: string[];
  rows: string[][];
  /** Lines after the rows: none today; kept so that parts always join back to the table. */
  tail: string[];
}

/** renderTable, row by row: for a screen that shows as many rows as fit (the live view). */
export function renderTableParts(cols: Column[], rows: Cell[][], opts: TableOptions): TableParts {
  const { c } = opts;
  const indent = opts.indent ?? 2;
  const natural = naturalWidths(cols, [...rows, ...(opts.sizeWith ?? [])]);
  const total = (w: number[], gap: number) => indent + w.reduce((a, b) => a + b, 0) + gap * (cols.length - 1);
  let gap = 2;
  let widths = shrink(cols, natural, total(natural, gap) - opts.width);
  if (total(widths, gap) > opts.width) {
    gap = 1;
    widths = shrink(cols, natural, total(natural, gap) - opts.width);
  }
  const head = [cols.map((col) => c.bold(col.head)), widths.map((w) => c.dim('─'.repeat(w)))];
  const body = rows.map((row) => cols.map((col, i) => layoutCell(row[i], widths[i], col.min !== undefined)));
  const layout: Layout = { widths, aligns: cols.map((col) => col.align ?? 'left'), indent, gap };
  // cli-table3 spends ~170 µs a row and its layout grows quadratically (20,000 flows: 47 s),
  // so long tables (--flows) are drawn directly, and so are short ones whose cells it would
  // measure as drawDirect does (most of the report); tests keep both outputs identical.
  const all = [...head, ...body];
  const table = trimLines(body.length > MAX_CLI_TABLE_ROWS || directSafe(all) ? drawDirect(all, layout) : drawCliTable(all, layout));
  return splitRows(table, body, opts.notes, indent + 4, opts.width);
}

/** Splits the drawn table into its rows (a row is as high as its tallest cell), each row's note under it. */
function splitRows(table: string, body: string[][], notes: (Cell | null)[] | undefined, indent: number, width: number): TableParts {
  const lines = table.split('\n');
  const head = lines.slice(0, 2); // the head and its rule
  const rows: string[][] = [];
  let at = 2;
  body.forEach((row, i) => {
    const height = Math.max(1, ...row.map((cell) => cell.split('\n').length));
    const out = lines.slice(at, at + height);
    at += height;
    const note = notes?.[i];
    if (note !== null && note !== undefined && textOf(note) !== '') {
      const text = layoutCell(note, Math.max(20, width - indent), true);
      out.push(...text.split('\n').map((l) => `${' '.repeat(indent)}${l}`.trimEnd()));
    }
    rows.push(out);
  });
  return { head, rows, tail: lines.slice(at) };
}

/** Rows above which tables are drawn without cli-table3. */
export const MAX_CLI_TABLE_ROWS = 200;

export interface Layout {
  widths: number[];
  aligns: ('left' | 'right')[];
  indent: number;
  gap: number;
}

/** Cells are already wrapped and no wider than their column. */
export function drawCliTable(rows: string[][], l: Layout): string {
  const t = new Table({
    chars: { ...BLANK, left: ' '.repeat(l.indent), middle: ' '.repeat(l.gap) },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colWidths: l.widths,
    colAligns: l.aligns,
    // Wrapping is done before, so that styles and hanging indents survive it; cli-table3
    // only cuts (with "…") a single word wider than its column.
    wordWrap: false,
  });
  t.push(...rows);
  return t.toString();
}

/** What cli-table3 draws with these settings, line for line, without its per-cell cost. */
export function drawDirect(rows: string[][], l: Layout): string {
  const out: string[] = [];
  const fitTo = (s: string, w: number) => (visibleWidth(s) > w ? `${[...s.replace(ANSI, '')].slice(0, w - 1).join('')}…` : s);
  for (const row of rows) {
    const cells = row.map((cell) => cell.split('\n'));
    const height = Math.max(1, ...cells.map((x) => x.length));
    for (let k = 0; k < height; k++) {
      const parts = l.widths.map((w, i) => {
        const text = fitTo(cells[i]?.[k] ?? '', w);
        const pad = ' '.repeat(Math.max(0, w - visibleWidth(text)));
        return l.aligns[i] === 'right' ? pad + text : text + pad;
      });
      out.push(' '.repeat(l.indent) + parts.join(' '.repeat(l.gap)));
    }
  }
  return out.join('\n');
}

/** Cells are padded to their column; nothing may end a line with spaces. */
export function trimLines(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/**
 * Cuts a line to `width` terminal columns, ending a cut line with `…`; escape codes are kept
 * (they take no column), and a reset ends a cut line that had any, so no style leaks on.
 */
export function fitWidth(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  if (width < 1) return '';
  let out = '';
  let used = 0;
  let styled = false;
  for (let i = 0; i < line.length; ) {
    const esc = /^\x1b\[[0-9;]*m/.exec(line.slice(i, i + 16)); // eslint-disable-line no-control-regex
    if (esc !== null) {
      out += esc[0];
      styled = true;
      i += esc[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (used === width - 1) break;
    out += ch;
    used++;
    i += ch.length;
  }
  return `${out}…${styled ? '\x1b[0m' : ''}`;
}
