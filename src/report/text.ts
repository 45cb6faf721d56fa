// The terminal report: what a firewall engineer reads first. The header ends with the
// answer (how many catalog entries are failing, partial, degraded, up), and the health list
// follows it: one line per channel seen (catalog entry × client → server pair), the bad news
// first, with its reason in words and when it last worked and last failed. Per section, the
// entries with traffic; those never seen are one line per section ("HA1 never showed up" is
// an answer too), or a row each with --all-entries. Failures (with their reason and
// evidence), warnings and unexpected talkers come next, as the next questions are "who could
// not reach what, and why" and "what else talks to these devices".
import pc from 'picocolors';
import { quoteExpression } from '../capture/bpf.js';
import { cmp, count, duration, hostPort, humanBytes, hex16, isoMicros, microsFromIso, plural, stamp } from './format.js';
import { REASON_VERDICT, type ChannelStatus, type ReasonCode } from '../classify/vocabulary.js';
import { inputProblems } from './build.js';
import { mergeNotes } from './merge.js';
import { HEALTH_STATUS_ORDER } from './health.js';
import { entryLabel, flowProto as proto } from './labels.js';
import type { EntrySummary, FlowRecord, HealthLine, HealthOmitted, InputSummary, SectionId, SectionSummary, Summary } from './model.js';
import { REASON_WORDS } from './names.js';
import { failureGroups, warningGroups, type Problem } from './problems.js';
import { renderTable, visibleWidth, type Cell, type Colors, type Column } from './table.js';

export { entryLabel, entryName, entryWhere } from './labels.js';

export interface TextOptions {
  color: boolean;
  /** Terminal columns; the report is laid out for 100. */
  width?: number;
  /** Unexpected flows shown before "(+N more)". */
  topFlows?: number;
  /** List catalog entries never seen as rows, as the JSON has them (default: one line per section). */
  allEntries?: boolean;
}

export const CATALOG_SECTIONS: Exclude<SectionId, 'unexpected'>[] = ['management', 'ha', 'panorama', 'user-id'];
const TOP_PAIRS = 3;

interface Ctx {
  c: Colors;
  width: number;
  s: Summary;
  allEntries: boolean;
}

export function renderText(s: Summary, opts: TextOptions): string {
  const ctx: Ctx = { c: pc.createColors(opts.color), width: opts.width ?? 100, s, allEntries: opts.allEntries ?? false };
  const blocks = [
    header(ctx),
    healthBlock(ctx),
    timelineBlock(ctx),
    ...CATALOG_SECTIONS.map((id) => sectionBlock(ctx, id)),
    problemBlocks(ctx),
    unexpectedBlock(ctx, opts.topFlows ?? 20),
    otherBlock(ctx),
    rolesBlock(ctx),
    s.allFlows ? allFlowsBlock(ctx) : null,
  ];
  return `${blocks.filter((b): b is string => b !== null).join('\n\n')}\n`;
}

// ── header ──────────────────────────────────────────────────────────────────────────────

function header(ctx: Ctx): string {
  const { c, s } = ctx;
  const i = s.input;
  const label = (l: string) => c.bold(l.padEnd(11));
  const lines: string[] = [];
  if (s.capture) lines.push(...liveLines(label, s.capture));
  const files = s.capture ? [] : i.details.length > 0 ? i.details : i.files.map((file) => ({ file, format: null, gzip: false, packets: null }));
  files.forEach((d, n) => {
    const what = [d.format, d.gzip ? 'gzip' : null, d.packets === null ? null : plural(d.packets, 'packet')].filter((x) => x !== null);
    lines.push(`${n === 0 ? label(files.length > 1 ? `Files (${files.length})` : 'File') : ' '.repeat(11)}${d.file}${what.length ? ` (${what.join(', ')})` : ''}`);
  });
  if (files.length === 0 && !s.capture) lines.push(`${label('File')}(none)`);
  const captured = i.capturedBytes !== i.bytes ? `, ${humanBytes(i.capturedBytes)} captured` : '';
  lines.push(`${label('Packets')}${count(i.packets)} (${humanBytes(i.bytes)} on the wire${captured})`);
  if (i.firstSeen !== null && i.lastSeen !== null) {
    const span = duration(microsFromIso(i.lastSeen) - microsFromIso(i.firstSeen));
    lines.push(`${label('Time')}${i.firstSeen} → ${i.lastSeen} (${span})`);
  }
  const reasons = i.malformedReasons.map((r) => `${r.reason}: ${count(r.packets)}`).join(', ');
  lines.push(`${label('Malformed')}${count(i.malformed)}${i.malformed > 0 && reasons ? ` (${reasons})` : ''}`);
  if (i.filter) lines.push(`${label('Filter')}${filterLine(i.filter)}`);
  if (i.dedup) lines.push(`${label('Dedup')}${plural(i.dedup.dropped, 'duplicate packet')} dropped (window ${i.dedup.windowMs} ms)`);
  if (s.entries.length > 0) lines.push(`${label('Entries')}${entryCounts(c, s.entries)}`);
  return [...lines, ...inputWarnings(ctx)].join('\n');
}

/** `-f 'tcp' --host 10.0.0.0/8: 1,204 packets filtered out; stopped at -c 10`: the options as a command line would have them. */
function filterLine(f: NonNullable<InputSummary['filter']>): string {
  const opts = [
    f.bpf !== null ? `-f ${quoteExpression(f.bpf)}` : null,
    ...f.hosts.map((h) => `--host ${h}`),
    f.since !== null ? `--since ${f.since}` : null,
    f.until !== null ? `--until ${f.until}` : null,
    f.count !== null ? `-c ${f.count}` : null,
  ].filter((x) => x !== null);
  const stopped = f.stoppedEarly ? `; stopped reading after ${plural(f.count ?? 0, 'packet')} (-c)` : '';
  return `${opts.join(' ')}: ${plural(f.filteredOut, 'packet')} filtered out${stopped}`;
}

/** The answer in one line: catalog entries by status, the bad news first. */
export function entryCounts(c: Colors, entries: EntrySummary[]): string {
  const order: ChannelStatus[] = ['failing', 'partial', 'degraded', 'up', 'not-seen'];
  const n = new Map<ChannelStatus, number>();
  for (const e of entries) n.set(e.status, (n.get(e.status) ?? 0) + 1);
  return order
    .filter((st) => (n.get(st) ?? 0) > 0)
    .map((st) => `${count(n.get(st)!)} ${statusWord(c, st)}`)
    .join(', ');
}

function liveLines(label: (l: string) => string, x: NonNullable<Summary['capture']>): string[] {
  const filter = x.filter ? `, filter: ${x.filter}` : '';
  const lines = [`${label('Interface')}${x.interface} (live, ${x.backend} backend${filter})`];
  if (x.received !== null || x.dropped !== null) {
    const n = (v: number | null) => (v === null ? 'unknown' : count(v));
    lines.push(`${label('Kernel')}${n(x.received)} received, ${n(x.dropped)} dropped, ${n(x.ifDropped)} dropped by the interface`);
  }
  return lines;
}

function inputWarnings({ c, s }: Ctx): string[] {
  const warn = (m: string) => `${c.yellow(c.bold('warning:'))} ${m}`;
  const out = inputProblems(s.input).map((p) => (p.level === 'error' ? `${c.red(c.bold('error:'))} ${p.message}` : warn(p.message)));
  const k = s.capture;
  if (k && (k.dropped ?? 0) + (k.ifDropped ?? 0) > 0) out.push(warn(`the kernel dropped ${plural((k.dropped ?? 0) + (k.ifDropped ?? 0), 'packet')}: counts are incomplete`));
  // A merged summary has no --flows-ndjson to offer: the runs that wrote its inputs had.
  if (s.flowsOmitted > 0) out.push(warn(`${plural(s.flowsOmitted, 'more unexpected, failed or warning flow')} not listed (--max-listed${s.merge ? '' : '; --flows-ndjson writes them all'})`));
  const omitted = omittedChannelsWords(c, s);
  if (omitted !== null) out.push(warn(omitted));
  for (const n of mergeNotes(s)) out.push(n.level === 'warning' ? warn(n.message) : `${c.bold('note:')} ${n.message}`);
  return out;
}

// ── health ──────────────────────────────────────────────────────────────────────────────

/** Health lines shown; the rest (the good news, as the list is sorted) are counted. */
export const HEALTH_MAX_LINES = 40;

/** `5 FAILING, 1 partial, 8 up`: health lines by status, in the list's order, plus the channels --max-channels left out. */
export function healthCounts(c: Colors, lines: readonly HealthLine[], omitted?: HealthOmitted): string {
  const n = new Map<string, number>();
  for (const h of lines) n.set(h.status, (n.get(h.status) ?? 0) + 1);
  if (omitted) for (const st of HEALTH_STATUS_ORDER) if (omitted[st] > 0) n.set(st, (n.get(st) ?? 0) + omitted[st]);
  return HEALTH_STATUS_ORDER.filter((st) => n.has(st))
    .map((st) => `${count(n.get(st)!)} ${statusWord(c, st)}`)
    .join(', ');
}

/** Channels seen: those listed in the health list and those --max-channels left out. */
export function channelsSeen(s: Summary): number {
  return s.health.length + (s.healthOmitted?.channels ?? 0);
}

/**
 * `990,000 more channels not listed in the health list and timeline (--max-channels): 990,000
 * FAILING`: null when none was left out.
 */
export function omittedChannelsWords(c: Colors, s: Summary): string | null {
  const o = s.healthOmitted;
  if (!o) return null;
  return `${plural(o.channels, 'more channel')} not listed in the health list and timeline (--max-channels; the worst ${count(s.health.length)} are): ${healthCounts(c, [], o)}`;
}

/** A health line's channel: the entry's label (`3978/tcp Panorama ↔ device`), or its id if the catalog lacks it. */
export function healthChannel(byId: ReadonlyMap<string, EntrySummary>, h: HealthLine): string {
  const e = byId.get(h.entry);
  return e === undefined ? h.entry : entryLabel(e);
}

/** The reason in words, red for a failure, yellow for a warning; empty without one. */
export function reasonCell(c: Colors, reason: ReasonCode | null): string {
  if (reason === null) return '';
  return (REASON_VERDICT[reason] === 'failed' ? c.red : c.yellow)(REASON_WORDS[reason]);
}

function healthBlock(ctx: Ctx): string {
  const { c, s } = ctx;
  if (s.health.length === 0) return title(c, 'Health', 'no catalog channel seen');
  const byId = new Map(s.entries.map((e) => [e.id, e]));
  const shown = s.health.slice(0, HEALTH_MAX_LINES);
  const head = title(c, 'Health', `${plural(channelsSeen(s), 'channel')} (entry × client → server): ${healthCounts(c, s.health, s.healthOmitted)}`);
  const time = (iso: string | null) => (iso === null ? c.dim('—') : stamp(iso));
  const base: Column[] = [
    { head: 'Status' },
    { head: 'Channel', min: 16 },
    { head: 'Client → server' },
    { head: 'Flows', align: 'right' },
    { head: 'Failed', align: 'right' },
    { head: 'Warned', align: 'right' },
    { head: 'Reason', min: 10 },
  ];
  const baseRow = (h: HealthLine): Cell[] => [
    statusWord(c, h.status),
    healthChannel(byId, h),
    `${h.client} → ${h.server}`,
    count(h.flows),
    h.failed > 0 ? c.red(count(h.failed)) : '0',
    h.degraded > 0 ? c.yellow(count(h.degraded)) : '0',
    reasonCell(c, h.reason),
  ];
  const cols: Column[] = [...base, { head: 'Last success' }, { head: 'Last failure' }];
  const rows = shown.map((h) => [...baseRow(h), time(h.lastSuccess), time(h.lastFailure)]);
  // One line per channel when the terminal is wide enough; else the row keeps the status,
  // channel and pair, and the counts, reason and times go on a line under it.
  const oneLine = tableWidth(cols, rows) <= ctx.width;
  const table = oneLine
    ? renderTable(cols, rows, ctx)
    : renderTable(base.slice(0, 3), shown.map((h) => baseRow(h).slice(0, 3)), { ...ctx, notes: shown.map((h) => healthNote(c, h, ctx.width)) });
  const rest = s.health.slice(shown.length);
  const o = s.healthOmitted;
  const more =
    rest.length > 0 || o
      ? `  (+${count(rest.length + (o?.channels ?? 0))} more: ${healthCounts(c, rest, o)}; ${o ? `-F json lists ${count(s.health.length)}, --max-channels counts the rest` : '-F json lists every channel'})`
      : null;
  return [head, table, more].filter((x) => x !== null).join('\n');
}

// ── timeline ────────────────────────────────────────────────────────────────────────────

/** Channels the timeline block draws at most (the JSON has every one). */
const TIMELINE_MAX_CHANNELS = 10;
const SPARK = '▁▂▃▄▅▆▇█';

/**
 * Under the health list, the channels that are not up and those with gaps: one line of
 * flows open per interval over the capture (▁ to █, scaled to the channel's most; `x` an
 * interval with a failure, `!` one with a warning), then each gap. Intervals are grouped
 * per character when there are more than the line holds.
 */
function timelineBlock(ctx: Ctx): string | null {
  const { c, s } = ctx;
  const t = s.timeline;
  const key = (x: { entry: string; client: string; server: string }) => `${x.entry} ${x.client} ${x.server}`;
  const rank = new Map(s.health.map((h, i) => [key(h), i]));
  // Each channel's key and rank made once, not in every comparison of the sort.
  const shown = t.channels
    .map((ch) => ({ ch, i: rank.get(key(ch)) }))
    .filter((x) => x.ch.gaps.length > 0 || (x.i === undefined ? 'up' : s.health[x.i].status) !== 'up')
    .sort((a, b) => (a.i ?? 0) - (b.i ?? 0))
    .map((x) => x.ch);
  if (shown.length === 0) return null;
  const w = t.intervalSeconds * 1e6;
  let lo = Infinity;
  let hi = -Infinity;
  for (const ch of t.channels)
    for (const b of ch.buckets) {
      const us = microsFromIso(b.start);
      if (us < lo) lo = us;
      if (us > hi) hi = us;
    }
  const n = Number.isFinite(lo) ? (hi - lo) / w + 1 : 0;
  const room = Math.max(10, ctx.width - 6);
  const per = Math.max(1, Math.ceil(n / room));
  const width = t.intervalSeconds >= 60 ? `${t.intervalSeconds / 60} min` : `${t.intervalSeconds} s`;
  const from = n === 0 ? '' : ` from ${stamp(isoMicros(lo))}`;
  const group = per > 1 ? `, ${per} a character` : '';
  const head = title(c, 'Timeline', `${plural(n, 'interval')} of ${width}${from}${group}`);
  const legend = c.dim(`  ▁ to █: flows open, ${c.red('x')} a failure, ${c.yellow('!')} a warning`);
  const byId = new Map(s.entries.map((e) => [e.id, e]));
  const lines = [head, legend];
  for (const ch of shown.slice(0, TIMELINE_MAX_CHANNELS)) {
    const cells = Math.ceil(n / per);
    const open = new Array<number>(cells).fill(0);
    const mark = new Array<number>(cells).fill(0); // 2 failed, 1 warning
    for (const b of ch.buckets) {
      const i = Math.floor((microsFromIso(b.start) - lo) / w / per);
      open[i] = Math.max(open[i], b.flows);
      mark[i] = Math.max(mark[i], b.failed > 0 ? 2 : b.warnings > 0 ? 1 : 0);
    }
    const most = Math.max(1, ...open);
    const spark = open.map((v, i) => (mark[i] === 2 ? c.red('x') : mark[i] === 1 ? c.yellow('!') : v === 0 ? ' ' : SPARK[Math.min(7, Math.ceil((v / most) * 8) - 1)])).join('');
    lines.push(`  ${healthChannel(byId, { entry: ch.entry } as HealthLine)}  ${ch.client} → ${ch.server}${ch.lowerBound ? c.dim(' (earliest intervals: at least)') : ''}`);
    lines.push(`    ${spark}`.trimEnd());
    for (const g of ch.gaps) lines.push(`    ${c.yellow('gap')} ${stamp(g.start)} → ${stamp(g.end).slice(11, 19)} (${g.seconds.toFixed(1)} s silent)`);
  }
  if (shown.length > TIMELINE_MAX_CHANNELS) lines.push(`  (+${count(shown.length - TIMELINE_MAX_CHANNELS)} more channels; -F json has every channel's timeline)`);
  return lines.join('\n');
}

/** `2 flows, 1 failed: refused; last success …, last failure …`: a health line's counts and times in words. */
function healthNote(c: Colors, h: HealthLine, width: number): string {
  const counts = [plural(h.flows, 'flow'), h.failed > 0 ? c.red(`${count(h.failed)} failed`) : null, h.degraded > 0 ? c.yellow(`${count(h.degraded)} with warnings`) : null];
  const reason = h.reason === null ? '' : `: ${reasonCell(c, h.reason)}`;
  const times = [h.lastSuccess === null ? null : `last success ${stamp(h.lastSuccess)}`, h.lastFailure === null ? null : `last failure ${stamp(h.lastFailure)}`];
  const what = `${counts.filter((x) => x !== null).join(', ')}${reason}`;
  const when = times.filter((x) => x !== null).join(', ');
  // Too long for one line: the times on their own line, never cut inside a time.
  return visibleWidth(`${what}; ${when}`) <= width - 6 ? `${what}; ${when}` : `${what}\n${when}`;
}

/** Prose columns (channel names) may wrap to this width before the times leave the row. */
const HEALTH_PROSE_WIDTH = 30;

/**
 * The width a table takes with gaps of 2 (indent 2), its prose columns cut to
 * HEALTH_PROSE_WIDTH (renderTable wraps them) and the others at their natural width.
 */
function tableWidth(cols: Column[], rows: Cell[][]): number {
  const widths = cols.map((col, i) => {
    const natural = Math.max(visibleWidth(col.head), ...rows.map((r) => Math.max(...(typeof r[i] === 'string' ? r[i] : (r[i] as { text: string }).text).split('\n').map(visibleWidth))));
    return col.min === undefined ? natural : Math.min(natural, Math.max(col.min, HEALTH_PROSE_WIDTH));
  });
  return 2 + widths.reduce((a, b) => a + b, 0) + 2 * (cols.length - 1);
}

// ── catalog sections ────────────────────────────────────────────────────────────────────

export function totalsLine(c: Colors, x: { flows: number; packets: number; bytes: number; failed: number; degraded?: number }): string {
  const failed = x.failed > 0 ? c.red(`${count(x.failed)} failed`) : '0 failed';
  const warned = (x.degraded ?? 0) > 0 ? `, ${c.yellow(`${count(x.degraded!)} with warnings`)}` : '';
  return `${plural(x.flows, 'flow')}, ${plural(x.packets, 'packet')}, ${humanBytes(x.bytes)}, ${failed}${warned}`;
}

function title(c: Colors, name: string, detail: string): string {
  return `${c.bold(name)} ${c.dim('—')} ${detail}`;
}

/** A status as the report prints it: the JSON word, FAILING in capitals, `not seen` in two words. */
export function statusWord(c: Colors, st: ChannelStatus): string {
  switch (st) {
    case 'not-seen':
      return c.dim('not seen');
    case 'up':
      return c.green('up');
    case 'degraded':
      return c.yellow('degraded');
    case 'partial':
      return c.red('partial');
    case 'failing':
      return c.red(c.bold('FAILING'));
  }
}

export function pairsCell(e: EntrySummary): string {
  const lines = e.pairs.slice(0, TOP_PAIRS).map((p) => `${p.client} → ${p.server}`);
  const more = Math.max(e.pairCount, e.pairs.length) - lines.length;
  if (more > 0) lines.push(`(+${count(more)} more${e.lowerBound ? ', at least' : ''})`);
  else if (e.lowerBound) lines.push('(at least)');
  return lines.join('\n');
}

const ENTRY_COLUMNS: Column[] = [
  { head: 'Entry', min: 28 },
  { head: 'Flows', align: 'right' },
  { head: 'Packets', align: 'right' },
  { head: 'Bytes', align: 'right' },
  { head: 'Failed', align: 'right' },
  { head: 'Status' },
  { head: 'Pairs', min: 20 },
];

function entryRow(c: Colors, e: EntrySummary): Cell[] {
  // A row never seen is dimmed as a whole: absence should read as absence at a glance.
  const dim = e.flows === 0 ? c.dim : (x: string) => x;
  const failed = e.failed > 0 ? c.red(count(e.failed)) : dim('0');
  return [{ text: entryLabel(e), style: dim }, dim(count(e.flows)), dim(count(e.packets)), dim(humanBytes(e.bytes)), failed, statusWord(c, e.status), pairsCell(e)];
}

/** Whether an entry gets a row: it has traffic, or --all-entries asks for every entry. */
function listed(ctx: Ctx, e: EntrySummary): boolean {
  return ctx.allEntries || e.flows > 0;
}

function sectionBlock(ctx: Ctx, id: Exclude<SectionId, 'unexpected'>): string {
  const { c, s } = ctx;
  const sec: SectionSummary | undefined = s.sections.find((x) => x.id === id);
  const entries = s.entries.filter((e) => e.section === id);
  const head = title(c, sec?.title ?? id, totalsLine(c, sec ?? { flows: 0, packets: 0, bytes: 0, failed: 0, degraded: 0 }));
  if (entries.length === 0) return `${head}\n  ${c.dim('(no catalog entries)')}`;
  const rows = entries.filter((e) => listed(ctx, e));
  const unseen = entries.length - rows.length;
  // Absence is an answer too: one line for the entries never seen, --all-entries for their rows.
  const unseenLine = unseen > 0 ? `  ${c.dim(`${rows.length > 0 ? '+ ' : ''}${plural(unseen, 'entry', 'entries')} not seen (--all-entries lists them)`)}` : null;
  const beats = id === 'ha' ? heartbeatLines(ctx) : [];
  if (rows.length === 0) return [head, unseenLine, ...beats].filter((x) => x !== null).join('\n');
  // Sized over every section's listed entries, so that the four tables line up.
  const all = s.entries.filter((e) => e.section !== id && listed(ctx, e)).map((e) => entryRow(c, e));
  const table = renderTable(ENTRY_COLUMNS, rows.map((e) => entryRow(c, e)), { ...ctx, sizeWith: all });
  return [head, table, unseenLine, ...beats].filter((x) => x !== null).join('\n');
}

// ── HA cadence ──────────────────────────────────────────────────────────────────────────

/** The heartbeats under the HA table: intervals, unanswered echoes, then each gap. */
function heartbeatLines({ c, s }: Ctx): string[] {
  const list = s.ha.heartbeats;
  if (list.length === 0) return [];
  const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
  const lines = [c.bold('  Heartbeats')];
  for (const h of list) {
    const iv = h.parts
      ? `cadence not merged, per input: ${h.parts.map((p) => (p.intervalMs === null ? 'fewer than two' : `median ${ms(p.intervalMs.median)}`)).join('; ')}`
      : h.intervalMs === null
        ? 'fewer than two heartbeats'
        : `interval median ${ms(h.intervalMs.median)}, p99 ${ms(h.intervalMs.p99)}, max ${ms(h.intervalMs.max)}`;
    const unanswered = h.transport === 'icmp' ? `, ${h.unanswered > 0 ? c.yellow(`${count(h.unanswered)} unanswered`) : '0 unanswered'}` : '';
    const gaps = h.gaps.length > 0 ? c.yellow(plural(h.gaps.length, 'gap')) : '0 gaps';
    const capped = h.capHit ? c.dim(' (time log cap hit)') : '';
    lines.push(`  ${h.peers[0]} → ${h.peers[1]} ${h.transport} ${c.dim(`(${h.entry})`)}${capped}`);
    lines.push(`    ${plural(h.heartbeats, 'heartbeat')}, ${iv}${unanswered}, ${gaps}`);
    for (const g of h.gaps) lines.push(`    ${c.yellow('gap')} ${g.start} → ${g.end} (${g.seconds.toFixed(1)} s, ${plural(g.missed, 'missed heartbeat')})`);
  }
  return lines;
}

// ── failures and warnings (grouped in problems.ts) ──────────────────────────────────────

export const PROBLEM_COLUMNS: Column[] = [{ head: 'Flow' }, { head: 'Reason', min: 15 }, { head: 'Flows', align: 'right' }, { head: 'For', min: 16 }];

export function problemRows(list: Problem[], paint: (s: string) => string): Cell[][] {
  return list.map((p) => [`${p.client} → ${p.target}`, paint(REASON_WORDS[p.reason]), count(p.flows), p.what.join(' / ')]);
}

/** Failures, then warnings: the reason in plain words, the evidence (`detail`) under the row. */
function problemBlocks(ctx: Ctx): string {
  const { c, s } = ctx;
  const blocks = [
    { name: 'Failures', list: failureGroups(s), paint: c.red },
    { name: 'Warnings', list: warningGroups(s), paint: c.yellow },
  ].map((b) => ({ ...b, rows: problemRows(b.list, b.paint) }));
  return blocks
    .map((b) => {
      if (b.list.length === 0) return title(c, b.name, 'none');
      const total = b.list.reduce((n, p) => n + p.flows, 0);
      // Sized over both tables, so that they line up.
      const sizeWith = blocks.filter((x) => x !== b).flatMap((x) => x.rows);
      return `${title(c, b.name, plural(total, 'flow'))}\n${renderTable(PROBLEM_COLUMNS, b.rows, { ...ctx, notes: b.list.map((p) => p.note), sizeWith })}`;
    })
    .join('\n\n');
}

// ── flows ───────────────────────────────────────────────────────────────────────────────

function stateCell(c: Colors, f: FlowRecord): string {
  const o = f.state ?? '';
  if (f.verdict === 'failed') return c.red(o);
  if (f.verdict === 'warning' || o === 'reset') return c.yellow(o);
  return o;
}

/** Time of day when every time shares one date (the header gives it), else date and time. */
function clock(list: FlowRecord[]): (iso: string) => string {
  const oneDay = list.every((f) => f.firstSeen.slice(0, 10) === list[0].firstSeen.slice(0, 10));
  return oneDay ? (iso) => iso.slice(11, 23) : (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function flowTable(ctx: Ctx, list: FlowRecord[], withSection: boolean): string {
  const { c } = ctx;
  const at = clock(list);
  const cols: Column[] = [
    { head: 'First seen' },
    { head: 'Client' },
    { head: 'Server' },
    { head: 'Proto' },
    { head: 'Packets', align: 'right' },
    { head: 'Bytes', align: 'right' },
    { head: 'State' },
    ...(withSection ? [{ head: 'Section' }] : []),
  ];
  const rows = list.map((f) => [
    at(f.firstSeen),
    hostPort(f.client, f.clientPort),
    hostPort(f.server, f.serverPort),
    proto(f),
    count(f.packets),
    humanBytes(f.bytes),
    stateCell(c, f),
    ...(withSection ? [f.section] : []),
  ]);
  return renderTable(cols, rows, ctx);
}

function unexpectedBlock(ctx: Ctx, top: number): string {
  const { c, s } = ctx;
  const sec = s.sections.find((x) => x.id === 'unexpected');
  const list = s.flows.filter((f) => f.section === 'unexpected').sort((a, b) => b.bytes - a.bytes || cmp(a.firstSeen, b.firstSeen));
  const total = Math.max(list.length, sec?.flows ?? 0);
  if (total === 0) return title(c, 'Unexpected flows', 'none');
  const head = title(c, 'Unexpected flows', totalsLine(c, sec ?? { flows: total, packets: 0, bytes: 0, failed: 0 }));
  const shown = list.slice(0, Math.max(0, top));
  const more = total - shown.length;
  return [head, shown.length ? flowTable(ctx, shown, false) : null, more > 0 ? `  (+${count(more)} more)` : null].filter((x) => x !== null).join('\n');
}

function otherBlock(ctx: Ctx): string | null {
  const { c, s } = ctx;
  const parts: string[] = [];
  if (s.nonIp.length > 0) {
    const rows = s.nonIp.map((n) => [`${hex16(n.ethertype)} ${n.name === hex16(n.ethertype) ? '' : n.name}`.trimEnd(), count(n.flows), count(n.packets), humanBytes(n.bytes)]);
    const cols: Column[] = [{ head: 'Ethertype', min: 12 }, { head: 'Flows', align: 'right' }, { head: 'Packets', align: 'right' }, { head: 'Bytes', align: 'right' }];
    parts.push(`${c.bold('Non-IP frames')}\n${renderTable(cols, rows, ctx)}`);
  }
  if (s.ipv6Infrastructure.length > 0) {
    const names = { 'neighbor-discovery': 'neighbour discovery', 'router-discovery': 'router discovery', mld: 'MLD' } as const;
    const rows = s.ipv6Infrastructure.map((n) => [names[n.kind], count(n.flows), count(n.packets), humanBytes(n.bytes)]);
    const cols: Column[] = [{ head: 'ICMPv6', min: 12 }, { head: 'Flows', align: 'right' }, { head: 'Packets', align: 'right' }, { head: 'Bytes', align: 'right' }];
    parts.push(`${c.bold('IPv6 link infrastructure')}\n${renderTable(cols, rows, ctx)}`);
  }
  if (s.other.flows > 0) {
    const o = s.other;
    parts.push(title(c, 'Other traffic', `${plural(o.flows, 'flow')}, ${plural(o.packets, 'packet')}, ${humanBytes(o.bytes)} between hosts that are not PAN devices`));
  }
  return parts.length ? parts.join('\n\n') : null;
}

function rolesBlock(ctx: Ctx): string | null {
  const { c, s } = ctx;
  if (s.roles.length === 0) return null;
  // A role left open says so; each role says what it rests on.
  const rows = s.roles.map((r) => [r.address, r.roles.length > 0 ? r.roles.join(', ') : `${r.possible.join(' or ')} (unknown)`, r.source, r.evidence.join('; ')]);
  const cols: Column[] = [{ head: 'Address' }, { head: 'Roles', min: 16 }, { head: 'Source' }, { head: 'Evidence', min: 30 }];
  return `${c.bold('Roles')}\n${renderTable(cols, rows, ctx)}`;
}

function allFlowsBlock(ctx: Ctx): string {
  const { c, s } = ctx;
  const list = [...s.flows].sort((a, b) => cmp(a.firstSeen, b.firstSeen));
  if (list.length === 0) return title(c, 'All flows', 'none');
  return `${title(c, 'All flows', plural(list.length, 'flow'))}\n${flowTable(ctx, list, true)}`;
}
