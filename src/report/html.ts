// The HTML report (`-F html -o report.html`): one self-contained page that opens offline.
// The summary is reduced here to a view model (the health list, the device × channel matrix,
// one card per device, the timeline's lanes, the flow table), embedded as JSON in a
// <script type="application/json"> block with `<` written \u003c, and drawn in the browser by
// html/page.client.js with textContent only (nothing from a packet goes through innerHTML).
// The timeline is drawn by uPlot (MIT), inlined from node_modules with its URLs and any
// sourceMappingURL neutralised, so no src or href of the page points at the network.
import { mergeNotes } from './merge.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { channelStatus, type ChannelStatus } from '../classify/vocabulary.js';
import { count, duration, humanBytes, microsFromIso, plural, stamp } from './format.js';
import { entryLabel, flowProto } from './labels.js';
import type { EntrySummary, Summary } from './model.js';
import { REASON_WORDS } from './names.js';
import { CATALOG_SECTIONS, channelsSeen, omittedChannelsWords } from './text.js';
import pc from 'picocolors';

const plain = pc.createColors(false);

/** A health list row, as DOM text. */
export interface HtmlHealthRow {
  status: Exclude<ChannelStatus, 'not-seen'>;
  channel: string;
  client: string;
  server: string;
  flows: number;
  failed: number;
  degraded: number;
  reason: string;
  lastSuccess: string;
  lastFailure: string;
}

/** A device's part in one channel (a matrix column). */
export interface HtmlDeviceChannel {
  entry: string;
  label: string;
  status: ChannelStatus;
  flows: number;
  failed: number;
  /** `client of 10.99.1.5`, `server for 10.99.1.1, 10.99.1.7`. */
  peers: string;
  /** Reasons of the device's failing/degraded lines, in words. */
  reasons: string[];
}

export interface HtmlDevice {
  address: string;
  roles: string[];
  possible: string[];
  source: 'inventory' | 'inferred' | null;
  evidence: string[];
  /** One per matrix column (channels seen), not-seen where the device took no part. */
  cells: HtmlDeviceChannel[];
}

export interface HtmlFlowRow {
  firstSeen: string;
  client: string;
  clientPort: number | null;
  server: string;
  serverPort: number | null;
  proto: string;
  entries: string;
  section: string;
  verdict: string;
  reason: string;
  packets: number;
  bytes: number;
  detail: string;
}

export interface HtmlLane {
  label: string;
  client: string;
  server: string;
  /** [bucket start (s since the epoch), flows, failed, warnings]. */
  buckets: [number, number, number, number][];
  gaps: { start: number; end: number; seconds: number }[];
}

export interface HtmlModel {
  title: string;
  facts: string[];
  health: HtmlHealthRow[];
  healthCounts: Partial<Record<ChannelStatus, number>>;
  channels: { entry: string; label: string; status: ChannelStatus }[];
  devices: HtmlDevice[];
  timeline: { intervalSeconds: number; lanes: HtmlLane[] };
  flows: HtmlFlowRow[];
  flowsNote: string;
}

/** The page's view model: everything the browser shows, as plain strings and numbers. */
export function htmlModel(s: Summary): HtmlModel {
  const byId = new Map(s.entries.map((e) => [e.id, e]));
  const label = (id: string) => {
    const e = byId.get(id);
    return e === undefined ? id : entryLabel(e);
  };
  const time = (iso: string | null) => (iso === null ? '—' : stamp(iso));
  const health: HtmlHealthRow[] = s.health.map((h) => ({
    status: h.status,
    channel: label(h.entry),
    client: h.client,
    server: h.server,
    flows: h.flows,
    failed: h.failed,
    degraded: h.degraded,
    reason: h.reason === null ? '' : REASON_WORDS[h.reason],
    lastSuccess: time(h.lastSuccess),
    lastFailure: time(h.lastFailure),
  }));
  const healthCounts: Partial<Record<ChannelStatus, number>> = {};
  for (const h of s.health) healthCounts[h.status] = (healthCounts[h.status] ?? 0) + 1;
  // --max-channels: the counts stay exact over every channel seen.
  const o = s.healthOmitted;
  if (o) for (const st of ['failing', 'partial', 'degraded', 'up'] as const) if (o[st] > 0) healthCounts[st] = (healthCounts[st] ?? 0) + o[st];

  // Channels: the catalog entries seen, in catalog order (sections as the text report).
  const seen = s.entries.filter((e) => e.flows > 0).sort((a, b) => CATALOG_SECTIONS.indexOf(a.section) - CATALOG_SECTIONS.indexOf(b.section));
  const channels = seen.map((e: EntrySummary) => ({ entry: e.id, label: entryLabel(e), status: e.status }));

  // Devices: addresses with roles, then those that appear in a channel.
  const addrs = new Set<string>();
  for (const r of s.roles) addrs.add(r.address);
  for (const h of s.health) {
    addrs.add(h.client);
    addrs.add(h.server);
  }
  const roleOf = new Map(s.roles.map((r) => [r.address, r]));
  const devices: HtmlDevice[] = [...addrs].sort(compareAddress).map((address) => {
    const r = roleOf.get(address);
    const cells = seen.map((e) => deviceCell(s, address, e, label(e.id)));
    return { address, roles: r?.roles ?? [], possible: r?.possible ?? [], source: r?.source ?? null, evidence: r?.evidence ?? [], cells };
  });

  const lanes: HtmlLane[] = s.timeline.channels.map((c) => ({
    label: `${label(c.entry)} ${c.client} → ${c.server}`,
    client: c.client,
    server: c.server,
    buckets: c.buckets.map((b) => [microsFromIso(b.start) / 1e6, b.flows, b.failed, b.warnings]),
    gaps: c.gaps.map((g) => ({ start: microsFromIso(g.start) / 1e6, end: microsFromIso(g.end) / 1e6, seconds: g.seconds })),
  }));

  const flows: HtmlFlowRow[] = s.flows.map((f) => ({
    firstSeen: stamp(f.firstSeen),
    client: f.client,
    clientPort: f.clientPort,
    server: f.server,
    serverPort: f.serverPort,
    proto: flowProto(f),
    entries: f.entries.map(label).join(', '),
    section: f.section,
    verdict: f.verdict,
    reason: f.reason === null ? '' : REASON_WORDS[f.reason],
    packets: f.packets,
    bytes: f.bytes,
    detail: [f.detail, f.tls?.sni ? `SNI ${f.tls.sni}` : null].filter((x): x is string => typeof x === 'string' && x !== '').join('; '),
  }));
  const flowsNote = s.allFlows
    ? `every flow (${count(s.flows.length)})`
    : `failed, warning and unexpected flows only (${count(s.flows.length)}${s.flowsOmitted > 0 ? `, ${count(s.flowsOmitted)} more not listed: --max-listed` : ''}); --flows lists every flow`;

  return { title: 'pantap report', facts: facts(s), health, healthCounts, channels, devices, timeline: { intervalSeconds: s.timeline.intervalSeconds, lanes }, flows, flowsNote };
}

function facts(s: Summary): string[] {
  const i = s.input;
  const out: string[] = [];
  if (s.capture) out.push(`Interface ${s.capture.interface} (live)`);
  else out.push(`${i.files.length > 1 ? 'Files' : 'File'}: ${i.files.length > 0 ? i.files.join(', ') : '(none)'}`);
  out.push(`Packets: ${count(i.packets)} (${humanBytes(i.bytes)} on the wire), ${count(i.malformed)} malformed`);
  if (i.firstSeen !== null && i.lastSeen !== null) out.push(`Time: ${stamp(i.firstSeen)} → ${stamp(i.lastSeen)} (${duration(microsFromIso(i.lastSeen) - microsFromIso(i.firstSeen))})`);
  out.push(`Channels: ${plural(channelsSeen(s), 'channel')} (entry × client → server)`);
  const omitted = omittedChannelsWords(plain, s);
  if (omitted !== null) out.push(`Warning: ${omitted}`);
  for (const n of mergeNotes(s)) out.push(`${n.level === 'warning' ? 'Warning' : 'Note'}: ${n.message}`);
  return out;
}

/** One device in one channel: its health lines summed, with the peers and reasons. */
function deviceCell(s: Summary, address: string, e: EntrySummary, label: string): HtmlDeviceChannel {
  const lines = s.health.filter((h) => h.entry === e.id && (h.client === address || h.server === address));
  let flows = 0;
  let failed = 0;
  let degraded = 0;
  const servers: string[] = [];
  const clients: string[] = [];
  const reasons = new Set<string>();
  for (const h of lines) {
    flows += h.flows;
    failed += h.failed;
    degraded += h.degraded;
    if (h.client === address) servers.push(h.server);
    else clients.push(h.client);
    if (h.reason !== null && h.status !== 'up') reasons.add(REASON_WORDS[h.reason]);
  }
  const peers = [servers.length > 0 ? `client of ${servers.join(', ')}` : '', clients.length > 0 ? `server for ${clients.join(', ')}` : ''].filter((x) => x !== '').join('; ');
  return { entry: e.id, label, status: channelStatus(flows, failed, degraded), flows, failed, peers, reasons: [...reasons] };
}

/** IPv4 numerically, then everything else (IPv6, MAC) as text. */
function compareAddress(a: string, b: string): number {
  const v4 = (x: string) => (/^\d+\.\d+\.\d+\.\d+$/.test(x) ? x.split('.').reduce((n, o) => n * 256 + Number(o), 0) : null);
  const na = v4(a);
  const nb = v4(b);
  if (na !== null && nb !== null) return na - nb;
  if (na !== null) return -1;
  if (nb !== null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON safe inside <script>: `<` (so `</script>` and `<!--`), `>`, `&`, U+2028/2029 escaped. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text safe inside <style>/<script> of our own or a bundled library: no URL, no source map, no closing tag. */
export function neutralise(code: string): string {
  return code
    .replace(/\/[/*][#@]\s*source(?:Mapping)?URL=[^\n*]*(?:\*\/)?/g, '')
    .replace(/https?:\/\//g, '')
    .replace(/<\/(script|style)/gi, '<\\/$1');
}

const require = createRequire(import.meta.url);
let assets: { uplotJs: string; uplotCss: string; pageJs: string; pageCss: string } | null = null;

/** The libraries and the page's own code, read once (uPlot from node_modules, ours beside this module). */
function loadAssets(): NonNullable<typeof assets> {
  if (assets !== null) return assets;
  const read = (p: string) => neutralise(readFileSync(p, 'utf8'));
  const own = (name: string) => read(new URL(`./html/${name}`, import.meta.url).pathname);
  assets = {
    uplotJs: read(require.resolve('uplot/dist/uPlot.iife.min.js')),
    uplotCss: read(require.resolve('uplot/dist/uPlot.min.css')),
    pageJs: own('page.client.js'),
    pageCss: own('page.css'),
  };
  return assets;
}

/** The whole page: one file, no external reference. */
export function renderHtml(s: Summary): string {
  const a = loadAssets();
  const m = htmlModel(s);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>pantap report</title>
<style>${a.uplotCss}</style>
<style>${a.pageCss}</style>
</head>
<body>
<noscript>This report draws its tables with JavaScript: allow scripts for this file.</noscript>
<main id="app"></main>
<script type="application/json" id="pantap-data">${scriptJson(m)}</script>
<script>${a.uplotJs}</script>
<script>${a.pageJs}</script>
</body>
</html>
`;
}
