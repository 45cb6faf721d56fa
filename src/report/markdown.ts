// The Markdown report (`-F markdown`), for tickets and chat: a short header (files, packets,
// time span, the entries by status), the health list, the sections' entries with traffic
// (the others one line per section, or rows with --all-entries), failures with their
// evidence, warnings and unexpected flows, as GitHub-flavoured Markdown tables. The rows are
// the text report's (the same functions choose and order them); only the drawing differs.
// Cells are escaped: `|` cannot end a cell, a newline becomes <br>, and bytes that came off
// the wire (banners, certificate names in evidence) cannot become HTML or emphasis.
import { mergeNotes } from './merge.js';
import pc from 'picocolors';
import { REASON_WORDS } from './names.js';
import { inputProblems } from './build.js';
import { count, duration, hostPort, humanBytes, microsFromIso, plural, stamp } from './format.js';
import type { EntrySummary, FlowRecord, Summary } from './model.js';
import {
  CATALOG_SECTIONS,
  entryCounts,
  entryLabel,
  HEALTH_MAX_LINES,
  channelsSeen,
  healthChannel,
  healthCounts,
  omittedChannelsWords,
  pairsCell,
  statusWord,
  totalsLine,
} from './text.js';
import { flowProto as proto } from './labels.js';
import { failureGroups, warningGroups, type Problem } from './problems.js';

export interface MarkdownOptions {
  /** List catalog entries never seen as rows (default: one line per section). */
  allEntries?: boolean;
  /** Unexpected flows listed before "(+N more)". */
  topFlows?: number;
}

const plain = pc.createColors(false);

/** One table cell: Markdown and HTML specials escaped, newlines as <br>. */
export function mdCell(text: string): string {
  return text
    .replace(/[\\`*_[\]|]/g, (ch) => `\\${ch}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, '<br>');
}

/** A Markdown table; `right` marks the columns aligned right (numbers). */
export function mdTable(head: string[], rows: string[][], right: readonly number[] = []): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  const rule = `| ${head.map((_, i) => (right.includes(i) ? '---:' : '---')).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

export function renderMarkdown(s: Summary, opts: MarkdownOptions = {}): string {
  const blocks = [
    header(s),
    health(s),
    ...CATALOG_SECTIONS.map((id) => section(s, id, opts.allEntries ?? false)),
    ...problems(s),
    unexpected(s, opts.topFlows ?? 20),
  ];
  return `${blocks.join('\n\n')}\n`;
}

function header(s: Summary): string {
  const i = s.input;
  const lines = ['# pantap report', ''];
  if (s.capture) lines.push(`- **Interface:** ${mdCell(s.capture.interface)} (live, ${s.capture.backend} backend${s.capture.filter ? `, filter: ${mdCell(s.capture.filter)}` : ''})`);
  else {
    const files = i.details.length > 0 ? i.details.map((d) => `${mdCell(d.file)} (${[d.format, d.gzip ? 'gzip' : null, plural(d.packets, 'packet')].filter((x) => x !== null).join(', ')})`) : i.files.map(mdCell);
    lines.push(`- **${files.length > 1 ? 'Files' : 'File'}:** ${files.length > 0 ? files.join(', ') : '(none)'}`);
  }
  lines.push(`- **Packets:** ${count(i.packets)} (${humanBytes(i.bytes)} on the wire), ${count(i.malformed)} malformed`);
  if (i.firstSeen !== null && i.lastSeen !== null) {
    lines.push(`- **Time:** ${stamp(i.firstSeen)} → ${stamp(i.lastSeen)} (${duration(microsFromIso(i.lastSeen) - microsFromIso(i.firstSeen))})`);
  }
  if (s.entries.length > 0) lines.push(`- **Entries:** ${entryCounts(plain, s.entries)}`);
  for (const p of inputProblems(i)) lines.push(`- **${p.level}:** ${mdCell(p.message)}`);
  if (s.flowsOmitted > 0) lines.push(`- **warning:** ${plural(s.flowsOmitted, 'more unexpected, failed or warning flow')} not listed (--max-listed)`);
  const omitted = omittedChannelsWords(plain, s);
  if (omitted !== null) lines.push(`- **warning:** ${mdCell(omitted)}`);
  for (const n of mergeNotes(s)) lines.push(`- **${n.level}:** ${mdCell(n.message)}`);
  return lines.join('\n');
}

function health(s: Summary): string {
  if (s.health.length === 0) return '## Health\n\nNo catalog channel seen.';
  const byId = new Map(s.entries.map((e) => [e.id, e]));
  const shown = s.health.slice(0, HEALTH_MAX_LINES);
  const time = (iso: string | null) => (iso === null ? '—' : stamp(iso));
  const rows = shown.map((h) => [
    statusWord(plain, h.status),
    healthChannel(byId, h),
    `${h.client} → ${h.server}`,
    count(h.flows),
    count(h.failed),
    count(h.degraded),
    h.reason === null ? '' : REASON_WORDS[h.reason],
    time(h.lastSuccess),
    time(h.lastFailure),
  ]);
  const table = mdTable(['Status', 'Channel', 'Client → server', 'Flows', 'Failed', 'Warned', 'Reason', 'Last success', 'Last failure'], rows, [3, 4, 5]);
  const rest = s.health.slice(shown.length);
  const o = s.healthOmitted;
  const more =
    rest.length > 0 || o
      ? `\n\n(+${count(rest.length + (o?.channels ?? 0))} more: ${healthCounts(plain, rest, o)}; ${o ? `\`-F json\` lists ${count(s.health.length)}, --max-channels counts the rest` : '`-F json` lists every channel'})`
      : '';
  return `## Health — ${plural(channelsSeen(s), 'channel')}: ${healthCounts(plain, s.health, o)}\n\n${table}${more}`;
}

function section(s: Summary, id: EntrySummary['section'], allEntries: boolean): string {
  const sec = s.sections.find((x) => x.id === id);
  const entries = s.entries.filter((e) => e.section === id);
  const head = `### ${mdCell(sec?.title ?? id)} — ${totalsLine(plain, sec ?? { flows: 0, packets: 0, bytes: 0, failed: 0, degraded: 0 })}`;
  const rows = entries.filter((e) => allEntries || e.flows > 0);
  const unseen = entries.length - rows.length;
  const parts = [head];
  if (rows.length > 0) {
    const cells = rows.map((e) => [entryLabel(e), count(e.flows), count(e.packets), humanBytes(e.bytes), count(e.failed), statusWord(plain, e.status), pairsCell(e)]);
    parts.push(mdTable(['Entry', 'Flows', 'Packets', 'Bytes', 'Failed', 'Status', 'Pairs'], cells, [1, 2, 3, 4]));
  }
  if (unseen > 0) parts.push(`Not seen: ${rows.length > 0 ? `${count(unseen)} more ${unseen === 1 ? 'entry' : 'entries'}` : plural(unseen, 'entry', 'entries')} (\`--all-entries\` lists them)`);
  if (entries.length === 0) parts.push('(no catalog entries)');
  return parts.join('\n\n');
}

function problems(s: Summary): string[] {
  const blocks: [string, Problem[]][] = [
    ['Failures', failureGroups(s)],
    ['Warnings', warningGroups(s)],
  ];
  return blocks.map(([name, list]) => {
    if (list.length === 0) return `## ${name} — none`;
    const total = list.reduce((n, p) => n + p.flows, 0);
    const rows = list.map((p) => [`${p.client} → ${p.target}`, REASON_WORDS[p.reason], count(p.flows), p.what.join(' / '), p.note ?? '']);
    return `## ${name} — ${plural(total, 'flow')}\n\n${mdTable(['Flow', 'Reason', 'Flows', 'For', 'Evidence'], rows, [2])}`;
  });
}

function unexpected(s: Summary, top: number): string {
  const sec = s.sections.find((x) => x.id === 'unexpected');
  const list = s.flows.filter((f) => f.section === 'unexpected').sort((a, b) => b.bytes - a.bytes || (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0));
  const total = Math.max(list.length, sec?.flows ?? 0);
  if (total === 0) return '## Unexpected flows — none';
  const shown = list.slice(0, Math.max(0, top));
  const rows = shown.map((f: FlowRecord) => [stamp(f.firstSeen), hostPort(f.client, f.clientPort), hostPort(f.server, f.serverPort), proto(f), count(f.packets), humanBytes(f.bytes), f.state ?? '']);
  const parts = [`## Unexpected flows — ${totalsLine(plain, sec ?? { flows: total, packets: 0, bytes: 0, failed: 0 })}`];
  if (rows.length > 0) parts.push(mdTable(['First seen', 'Client', 'Server', 'Proto', 'Packets', 'Bytes', 'State'], rows, [4, 5]));
  if (total > shown.length) parts.push(`(+${count(total - shown.length)} more)`);
  return parts.join('\n\n');
}
