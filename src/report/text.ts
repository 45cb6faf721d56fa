// The terminal report: what a firewall engineer reads first. Per section, every catalog
// entry is listed, seen or not, because "HA1 never showed up" is as much an answer as
// "HA1 is up". Failed attempts and unexpected talkers come right after, as the next
// questions are "who could not reach what" and "what else talks to these devices".
import pc from 'picocolors';
import { cmp, count, duration, hostPort, humanBytes, hex16, microsFromIso, plural } from './format.js';
import { isFailureState } from '../classify/vocabulary.js';
import { inputProblems } from './build.js';
import type { EntrySummary, FlowRecord, SectionId, SectionSummary, Summary } from './model.js';
import { renderTable, type Cell, type Colors, type Column } from './table.js';

export interface TextOptions {
  color: boolean;
  /** Terminal columns; the report is laid out for 100. */
  width?: number;
  /** Unexpected flows shown before "(+N more)". */
  topFlows?: number;
}

const CATALOG_SECTIONS: Exclude<SectionId, 'unexpected'>[] = ['management', 'ha', 'panorama', 'user-id'];
const TOP_PAIRS = 3;

interface Ctx {
  c: Colors;
  width: number;
  s: Summary;
}

export function renderText(s: Summary, opts: TextOptions): string {
  const ctx: Ctx = { c: pc.createColors(opts.color), width: opts.width ?? 100, s };
  const blocks = [
    header(ctx),
    ...CATALOG_SECTIONS.map((id) => sectionBlock(ctx, id)),
    failedBlock(ctx),
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
  return [...lines, ...inputWarnings(ctx)].join('\n');
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
  if (s.flowsOmitted > 0) out.push(warn(`${plural(s.flowsOmitted, 'more unexpected or failed flow')} not listed (--max-listed; --flows-ndjson writes them all)`));
  return out;
}

// ── catalog sections ────────────────────────────────────────────────────────────────────

function totalsLine(c: Colors, x: { flows: number; packets: number; bytes: number; failed: number }): string {
  const failed = x.failed > 0 ? c.red(`${count(x.failed)} failed`) : '0 failed';
  return `${plural(x.flows, 'flow')}, ${plural(x.packets, 'packet')}, ${humanBytes(x.bytes)}, ${failed}`;
}

function title(c: Colors, name: string, detail: string): string {
  return `${c.bold(name)} ${c.dim('—')} ${detail}`;
}

/** `3978/tcp`, `49152-65535/tcp`, `99/ip`, `0x7261/ether`: how engineers write a service. */
export function entryWhere(e: EntrySummary): string {
  if (e.transport === 'ip') return `${e.ipProtocol}/ip`;
  if (e.transport === 'ethertype') return `${hex16(e.ethertype ?? 0)}/ether`;
  return `${e.portRange ? `${e.portRange[0]}-${e.portRange[1]}` : e.port}/${e.transport}`;
}

/** The name without a trailing "(3978)" / "(protocol 99)" / "(0x7261)" the label already says. */
export function entryName(e: EntrySummary): string {
  const nums = [e.port, e.ipProtocol, e.ethertype].filter((n): n is number => n !== null).flatMap((n) => [String(n), hex16(n)]);
  if (e.portRange) nums.push(`${e.portRange[0]}-${e.portRange[1]}`);
  if (nums.length === 0) return e.name;
  return e.name.replace(new RegExp(`\\s*\\((?:port |protocol |ethertype )?(?:${nums.join('|')})\\)$`, 'i'), '');
}

/** `3978/tcp Panorama ↔ device` */
export function entryLabel(e: EntrySummary): string {
  return `${entryWhere(e)} ${entryName(e)}`;
}

function status(c: Colors, e: EntrySummary): string {
  if (e.flows === 0) return c.dim('not seen');
  if (e.failed === 0) return c.green('up');
  if (e.failed >= e.flows) return c.red(c.bold('FAILING'));
  return c.yellow('partial');
}

function pairsCell(e: EntrySummary): string {
  const lines = e.pairs.slice(0, TOP_PAIRS).map((p) => `${p.client} → ${p.server}`);
  const more = Math.max(e.pairCount, e.pairs.length) - lines.length;
  if (more > 0) lines.push(`(+${count(more)} more)`);
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
  return [{ text: entryLabel(e), style: dim }, dim(count(e.flows)), dim(count(e.packets)), dim(humanBytes(e.bytes)), failed, status(c, e), pairsCell(e)];
}

function sectionBlock(ctx: Ctx, id: Exclude<SectionId, 'unexpected'>): string {
  const { c, s } = ctx;
  const sec: SectionSummary | undefined = s.sections.find((x) => x.id === id);
  const entries = s.entries.filter((e) => e.section === id);
  const head = title(c, sec?.title ?? id, totalsLine(c, sec ?? { flows: 0, packets: 0, bytes: 0, failed: 0 }));
  if (entries.length === 0) return `${head}\n  ${c.dim('(no catalog entries)')}`;
  // Sized over every section's entries, so that the four tables line up.
  const all = s.entries.filter((e) => e.section !== id).map((e) => entryRow(c, e));
  return `${head}\n${renderTable(ENTRY_COLUMNS, entries.map((e) => entryRow(c, e)), { ...ctx, sizeWith: all })}`;
}

// ── failed attempts ─────────────────────────────────────────────────────────────────────

/** How a failed flow ended, in the words of `EntrySummary.failures`. */
function outcome(f: FlowRecord): string {
  return f.state ?? '';
}

const isFailed = (f: FlowRecord): boolean => isFailureState(f.state);


/** `tcp`, `udp`, `icmp`, `47/ip` as in entry labels; a bare `0x88cc` for an ethertype (narrow). */
function proto(f: FlowRecord): string {
  if (f.transport === 'ip') return `${f.ipProtocol}/ip`;
  if (f.transport === 'ethertype') return hex16(f.ethertype ?? 0);
  return f.transport;
}

/** What was tried: `10.0.0.2:443/tcp`, `10.0.0.2 47/ip`. */
function target(server: string, port: number | string | null, where: string): string {
  return port === null ? `${server} ${where}` : `${hostPort(server, port)}/${where.slice(where.indexOf('/') + 1)}`;
}

interface Attempt {
  client: string;
  target: string;
  state: string;
  flows: number;
  what: string[];
}

/**
 * Catalog entries' own failure lists (what their Failed column counts), merged where two
 * entries share a port and so the same flows (443 in management and Panorama), plus failed
 * flows that match no entry, which only the flow list knows.
 */
function attempts(s: Summary): Attempt[] {
  const byKey = new Map<string, Attempt>();
  // `shared`: the same flows reported again by another entry (count once), not more flows.
  const add = (a: Attempt, shared: boolean) => {
    const key = `${a.client}\u0000${a.target}\u0000${a.state}`;
    const had = byKey.get(key);
    if (had === undefined) byKey.set(key, a);
    else {
      had.flows = shared ? Math.max(had.flows, a.flows) : had.flows + a.flows;
      for (const w of a.what) if (!had.what.includes(w)) had.what.push(w);
    }
  };
  for (const e of s.entries) {
    const port = e.port ?? (e.portRange ? `${e.portRange[0]}-${e.portRange[1]}` : null);
    for (const f of e.failures) {
      add({ client: f.client, target: target(f.server, port, entryWhere(e)), state: f.state, flows: f.flows, what: [entryName(e)] }, true);
    }
  }
  for (const f of s.flows) {
    if (f.entries.length > 0 || !isFailed(f)) continue;
    const where = f.serverPort !== null ? `${f.serverPort}/${f.transport}` : proto(f);
    add({ client: f.client, target: target(f.server, f.serverPort, where), state: outcome(f), flows: 1, what: [f.section === 'other' ? 'other' : 'unexpected'] }, false);
  }
  return [...byKey.values()].sort((a, b) => b.flows - a.flows || cmp(a.client, b.client) || cmp(a.target, b.target));
}

function failedBlock(ctx: Ctx): string {
  const { c, s } = ctx;
  const list = attempts(s);
  if (list.length === 0) return title(c, 'Failed attempts', 'none');
  const total = list.reduce((n, a) => n + a.flows, 0);
  const rows = list.map((a) => [`${a.client} → ${a.target}`, c.red(a.state), count(a.flows), a.what.join(' / ')]);
  const cols: Column[] = [{ head: 'Attempt' }, { head: 'Outcome' }, { head: 'Flows', align: 'right' }, { head: 'For', min: 16 }];
  return `${title(c, 'Failed attempts', plural(total, 'flow'))}\n${renderTable(cols, rows, ctx)}`;
}

// ── flows ───────────────────────────────────────────────────────────────────────────────

function stateCell(c: Colors, f: FlowRecord): string {
  const o = outcome(f);
  if (isFailed(f)) return c.red(o);
  if (o === 'reset') return c.yellow(o);
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
  if (s.other.flows > 0) {
    const o = s.other;
    parts.push(title(c, 'Other traffic', `${plural(o.flows, 'flow')}, ${plural(o.packets, 'packet')}, ${humanBytes(o.bytes)} between hosts that are not PAN devices`));
  }
  return parts.length ? parts.join('\n\n') : null;
}

function rolesBlock(ctx: Ctx): string | null {
  const { c, s } = ctx;
  if (s.roles.length === 0) return null;
  const rows = s.roles.map((r) => [r.address, r.roles.join(', '), r.source]);
  const cols: Column[] = [{ head: 'Address' }, { head: 'Roles', min: 16 }, { head: 'Source' }];
  return `${c.bold('Roles')}\n${renderTable(cols, rows, ctx)}`;
}

function allFlowsBlock(ctx: Ctx): string {
  const { c, s } = ctx;
  const list = [...s.flows].sort((a, b) => cmp(a.firstSeen, b.firstSeen));
  if (list.length === 0) return title(c, 'All flows', 'none');
  return `${title(c, 'All flows', plural(list.length, 'flow'))}\n${flowTable(ctx, list, true)}`;
}
