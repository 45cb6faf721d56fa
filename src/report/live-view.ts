// The screen of `pantap live`: what the capture got so far (packets, rate, kernel drops,
// flows), a notice when no packet has come for a while, the health list (one line per
// channel seen, entry × client → server, the bad news first: health.ts's order and reasons,
// as the final report's), the running counters per section
// with their status, then failures and warnings grouped as the final report groups them
// (problems.ts: client → target, reason in words, flows, what they were for by entry name,
// the evidence under each) and the unexpected talkers. Pure: the CLI passes what the
// session's view() holds and the terminal's size; the screen never has more lines than the
// terminal has rows, nor a line wider than its columns (lists are cut to what fits, with
// "(+N more)").
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import { channelStatus, type SectionId } from '../classify/vocabulary.js';
import pc from 'picocolors';
import { cmp, count, hostPort, plural, stamp } from './format.js';
import { entryLabel, flowProto } from './labels.js';
import type { HealthLine, HealthOmitted } from './model.js';
import { failureGroups, warningGroups, type Problem, type ProblemFlow, type ProblemSource } from './problems.js';
import { fitWidth, renderTableParts, visibleWidth, type Cell, type Colors, type Column } from './table.js';
import { healthCounts, PROBLEM_COLUMNS, problemRows, reasonCell, statusWord } from './text.js';

export interface LiveViewData {
  /** Running counters, expired and active flows together; `degraded` (warnings) when known. */
  sections: readonly { id: SectionId; flows: number; packets: number; bytes: number; failed: number; degraded?: number }[];
  /** Newest failed flows, oldest first. */
  failing: readonly ClassifiedFlow[];
  /** Newest flows with warnings, oldest first, when known. */
  warning?: readonly ClassifiedFlow[];
  /** Newest unexpected flows, oldest first. */
  unexpected: readonly ClassifiedFlow[];
  /** The health list of the flows so far (expired and active), sorted as the summary's; when known. */
  health?: readonly HealthLine[];
  /** Channels --max-channels left out of `health`, per status; absent when none. */
  healthOmitted?: HealthOmitted;
  /** Flows in the table now, and flows that expired so far. */
  active?: number;
  expired?: number;
}

/** What the capture itself reports, beside the session's view. */
export interface LiveStatus {
  interface: string;
  filter?: string;
  elapsedMs: number;
  packets: number;
  /** Packets per second over the last refresh. */
  rate: number;
  /** Time since the last packet arrived (since the start before the first one). */
  idleMs: number;
  /** Kernel counters; null when the backend has none (cap). */
  kernel: { received: number; dropped: number; ifDropped: number } | null;
  /** --export (issue 12): rows sent, buffered and dropped; absent without --export. */
  export?: { url: string; sent: number; buffered: number; dropped: number; away: boolean };
}

export interface ScreenOptions {
  rows: number;
  columns: number;
  color: boolean;
}

/** Seconds without a packet after which the screen says so. */
export const IDLE_NOTICE_S = 5;

/**
 * A list the screen shows as many items of as fit: title, table head (the column names, without
 * the rule under them: rows are dear at 24), items of one or more lines.
 */
interface Block {
  title: string;
  head: string[];
  items: string[][];
  /** The line for the items left out (default `(+N more)`). */
  more?: (shown: number) => string;
}

/** Section titles, short: `High availability (firewall HA peers)` reads `High availability`. */
function sectionNames(catalog: Catalog): Map<string, string> {
  const names = new Map(catalog.sections.map((s) => [s.id as string, s.title.replace(/\s*\(.*\)$/, '')]));
  names.set('unexpected', 'Unexpected');
  return names;
}

/** A classified flow as grouping reads it: its entries by id, as in the summary's flows. */
function problemFlow(f: ClassifiedFlow, catalog: Catalog): ProblemFlow {
  return {
    client: f.client,
    server: f.server,
    serverPort: f.serverPort,
    transport: f.transport,
    ipProtocol: f.ipProtocol,
    ethertype: f.ethertype,
    section: f.section,
    entries: f.entries.map((i) => catalog.entries[i].id),
    verdict: f.verdict,
    reason: f.reason,
    detail: f.detail,
  };
}

function sectionRows(c: Colors, v: LiveViewData, names: Map<string, string>): { cols: Column[]; rows: Cell[][] } {
  // The Warnings column only when the view counts them (a status without it is never degraded).
  const warned = v.sections.some((s) => s.degraded !== undefined);
  const cols: Column[] = [
    { head: 'Section' },
    { head: 'Flows', align: 'right' },
    { head: 'Packets', align: 'right' },
    { head: 'Failed', align: 'right' },
    ...(warned ? [{ head: 'Warnings', align: 'right' as const }] : []),
    { head: 'Status' },
  ];
  const rows = v.sections.map((s) => {
    const degraded = s.degraded ?? 0;
    const failed = s.failed > 0 ? c.red(count(s.failed)) : '0';
    return [names.get(s.id) ?? s.id, count(s.flows), count(s.packets), failed, ...(warned ? [degraded > 0 ? c.yellow(count(degraded)) : '0'] : []), statusWord(c, channelStatus(s.flows, s.failed, degraded))];
  });
  return { cols, rows };
}

/** Unexpected flows by client → server port, most flows first (they match no entry: nothing else to group by). */
function unexpectedGroups(flows: readonly ClassifiedFlow[]): { flow: string; flows: number }[] {
  const n = new Map<string, number>();
  for (const f of flows) {
    const where = f.serverPort !== null ? `${hostPort(f.server, f.serverPort)}/${f.transport}` : `${f.server} ${flowProto(f)}`;
    const k = `${f.client} → ${where}`;
    n.set(k, (n.get(k) ?? 0) + 1);
  }
  return [...n].map(([flow, flows]) => ({ flow, flows })).sort((a, b) => b.flows - a.flows || cmp(a.flow, b.flow));
}

/**
 * The health list, one line per channel: status, the entry as the text report labels it,
 * client → server, failed/flows, the reason in words, and the last failure (the last success
 * for a channel without one). Lines are never wrapped: the screen cuts the long ones.
 */
function healthBlock(c: Colors, health: readonly HealthLine[], catalog: Catalog, width: number, omitted?: HealthOmitted): Block {
  if (health.length === 0) return { title: `${c.bold('Health')} ${c.dim('—')} no catalog channel seen`, head: [], items: [] };
  const byId = new Map(catalog.entries.map((e) => [e.id, e]));
  const cols: Column[] = [{ head: 'Status' }, { head: 'Channel' }, { head: 'Client → server' }, { head: 'Failed', align: 'right' }, { head: 'Reason' }, { head: 'Last' }];
  const rows: Cell[][] = health.map((h) => {
    const e = byId.get(h.entry);
    const last = h.lastFailure !== null ? `failure ${stamp(h.lastFailure)}` : h.lastSuccess !== null ? `success ${stamp(h.lastSuccess)}` : '';
    return [statusWord(c, h.status), e === undefined ? h.entry : entryLabel(e), `${h.client} → ${h.server}`, `${h.failed > 0 ? c.red(count(h.failed)) : '0'}/${count(h.flows)}`, reasonCell(c, h.reason), last];
  });
  // On a narrow terminal the channel's name gives way (down to 16 columns) so that the pair,
  // counts and reason stay on the line; the time, last, is what the screen's width cuts.
  const natural = (i: number) => Math.max(visibleWidth(cols[i].head), ...rows.map((r) => visibleWidth(r[i] as string)));
  const room = width - 4 - [0, 2, 3, 4].reduce((a, i) => a + natural(i) + 2, 0);
  const channelWidth = Math.max(16, room);
  for (const r of rows) r[1] = fitWidth(r[1] as string, channelWidth);
  const t = renderTableParts(cols, rows, { width: Number.MAX_SAFE_INTEGER, c });
  return {
    title: `${c.bold('Health')} ${c.dim('—')} ${plural(health.length + (omitted?.channels ?? 0), 'channel')}: ${healthCounts(c, health, omitted)}`,
    head: t.head.slice(0, 1),
    items: t.rows,
    more: (shown) => `(+${count(health.length - shown + (omitted?.channels ?? 0))} more: ${healthCounts(c, health.slice(shown), omitted)})`,
  };
}

/** `Failures — 48 flows`, and which of them the groups count when the view keeps only the newest. */
function listTitle(c: Colors, name: string, counted: number, listed: number): string {
  const total = Math.max(counted, listed);
  const newest = total > listed ? ` (groups of the newest ${count(listed)})` : '';
  return `${c.bold(name)} ${c.dim('—')} ${plural(total, 'flow')}${newest}`;
}

/** The whole screen, as lines: at most `rows` of them, none wider than `columns`. */
export function liveScreen(st: LiveStatus, v: LiveViewData, catalog: Catalog, o: ScreenOptions): string[] {
  const c = pc.createColors(o.color);
  const width = Math.max(1, o.columns);
  const names = sectionNames(catalog);
  const head: string[] = [];
  const flows = v.active !== undefined ? ` · ${count(v.active)} flows active, ${count(v.expired ?? 0)} expired` : '';
  head.push(`${c.bold(`pantap live on ${st.interface}`)}${st.filter ? ` (filter: ${st.filter})` : ''} — ${Math.round(st.elapsedMs / 1000)} s · ${plural(st.packets, 'packet')}, ${count(Math.round(st.rate))} pkt/s${flows}`);
  const k = st.kernel;
  head.push(k ? `kernel: ${count(k.received)} received, ${count(k.dropped)} dropped, ${count(k.ifDropped)} dropped by the interface` : 'kernel drop statistics: not available with the cap backend');
  if (st.export) {
    const x = st.export;
    const line = `export to ${x.url}: ${count(x.sent)} rows sent, ${count(x.buffered)} buffered, ${count(x.dropped)} dropped${x.away ? ', server away' : ''}`;
    head.push(x.away || x.dropped > 0 ? c.yellow(line) : line);
  }
  if (st.idleMs >= IDLE_NOTICE_S * 1000) head.push(c.yellow(c.bold(`no packets for ${Math.floor(st.idleMs / 1000)} s`)));
  const s = sectionRows(c, v, names);
  const sections = renderTableParts(s.cols, s.rows, { width, c, indent: 2 });
  const sectionLines = [...sections.head, ...sections.rows.flat()];

  const source = (list: readonly ClassifiedFlow[]): ProblemSource => ({ entries: catalog.entries, flows: list.map((f) => problemFlow(f, catalog)) });
  const failed = failureGroups(source(v.failing));
  const warned = warningGroups(source(v.warning ?? []));
  const unexpected = unexpectedGroups(v.unexpected);
  const totalOf = (key: 'failed' | 'degraded' | 'flows', id?: SectionId) => v.sections.filter((x) => id === undefined || x.id === id).reduce((a, x) => a + (x[key] ?? 0), 0);
  // Both problem tables sized together, as in the final report, so that they line up.
  const fRows = problemRows(failed, c.red);
  const wRows = problemRows(warned, c.yellow);
  const problemBlock = (name: string, list: Problem[], rows: Cell[][], other: Cell[][], total: number, listed: number): Block | null => {
    if (list.length === 0) return null;
    const t = renderTableParts(PROBLEM_COLUMNS, rows, { width, c, notes: list.map((p) => p.note), sizeWith: other });
    return { title: listTitle(c, name, total, listed), head: t.head.slice(0, 1), items: t.rows };
  };
  const blocks = [
    problemBlock('Failures', failed, fRows, wRows, totalOf('failed'), v.failing.length),
    problemBlock('Warnings', warned, wRows, fRows, totalOf('degraded'), v.warning?.length ?? 0),
    unexpected.length === 0
      ? null
      : (() => {
          const t = renderTableParts([{ head: 'Flow' }, { head: 'Flows', align: 'right' }], unexpected.map((u) => [u.flow, count(u.flows)]), { width, c });
          return { title: listTitle(c, 'Unexpected', totalOf('flows', 'unexpected'), v.unexpected.length), head: t.head.slice(0, 1), items: t.rows };
        })(),
  ].filter((b): b is Block => b !== null);
  const foot = [c.dim('Ctrl-C ends the capture and prints the summary.')];
  const health = v.health === undefined ? [] : [healthBlock(c, v.health, catalog, width, v.healthOmitted)];
  return fit([head, ...health, sectionLines, ...blocks, foot], o.rows).map((l) => fitWidth(l, width));
}

/**
 * Lays the parts out, fixed lines and blocks in order, in at most `rows` lines. While too
 * tall, a block shows one item fewer (its last: the fewest flows, the best news), with
 * "(+N more)" in its place: the last block first, down to one item, then the one above it,
 * and so on (the health list, then failures, keep the most room); then, the same way, down
 * to none; then, top down, each block takes back what still fits. A terminal too small even
 * for the titles gets the top of the screen.
 */
function fit(parts: (string[] | Block)[], rows: number): string[] {
  const blocks = parts.filter((p): p is Block => !Array.isArray(p));
  const shown = new Map(blocks.map((b) => [b, b.items.length]));
  const lines = (b: Block, n: number): string[] => {
    const more = b.items.length - n;
    const moreText = more > 0 ? (b.more?.(n) ?? `(+${count(more)} more)`) : '';
    if (n === 0) return [more > 0 ? `${b.title}  ${moreText}` : b.title];
    return [b.title, ...b.head, ...b.items.slice(0, n).flat(), ...(more > 0 ? [`  ${moreText}`] : [])];
  };
  const render = () => parts.flatMap((p) => (Array.isArray(p) ? p : lines(p, shown.get(p)!)));
  const height = () => parts.reduce((a, p) => a + (Array.isArray(p) ? p.length : lines(p, shown.get(p)!).length), 0);
  for (const keep of [1, 0]) {
    for (let i = blocks.length - 1; i >= 0; i--) {
      const b = blocks[i];
      while (shown.get(b)! > keep && height() > rows) shown.set(b, shown.get(b)! - 1);
    }
  }
  // Rows a list gave up may fit another's next item (a short one after a tall one): top down.
  for (const b of blocks) {
    while (shown.get(b)! < b.items.length) {
      shown.set(b, shown.get(b)! + 1);
      if (height() > rows) {
        shown.set(b, shown.get(b)! - 1);
        break;
      }
    }
  }
  const all = render();
  return all.length <= rows ? all : all.slice(0, Math.max(0, rows));
}
