// Builds the Summary model from a run's merged, classified flows. Strings (addresses,
// times, names) first appear here, once per flow or entry.
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow, RoleBook } from '../classify/classify.js';
import { REASON_NAMES } from '../decode/fields.js';
import { DECODED_LINKTYPES } from '../decode/link.js';
import type { RunResult } from '../pipeline/run.js';
import { isoMicros } from './format.js';
import { linktypeName, ethertypeName } from './names.js';
import type { EntrySummary, FlowRecord, SectionId, SectionSummary, Summary } from './model.js';

export interface BuildOptions {
  /** List every flow (--flows), not only unexpected and failed ones. */
  allFlows: boolean;
  /** Without allFlows, list at most this many unexpected/failed flows (most bytes first). */
  maxListed: number;
  /** Client → server pairs kept per entry. */
  topPairs: number;
  maxFlows: number;
}

const SECTION_ORDER: SectionId[] = ['management', 'ha', 'panorama', 'user-id', 'unexpected'];


function span(list: ClassifiedFlow[]): { firstSeen: string | null; lastSeen: string | null } {
  if (list.length === 0) return { firstSeen: null, lastSeen: null };
  let lo = Infinity;
  let hi = -Infinity;
  for (const f of list) {
    lo = Math.min(lo, f.firstTs);
    hi = Math.max(hi, f.lastTs);
  }
  return { firstSeen: isoMicros(lo), lastSeen: isoMicros(hi) };
}

function totals(list: ClassifiedFlow[]): { flows: number; packets: number; bytes: number; failed: number } {
  let packets = 0;
  let bytes = 0;
  let failed = 0;
  for (const f of list) {
    packets += f.clientPackets + f.serverPackets;
    bytes += f.clientBytes + f.serverBytes;
    if (f.failed) failed++;
  }
  return { flows: list.length, packets, bytes, failed };
}

export function flowRecord(f: ClassifiedFlow, catalog: Catalog): FlowRecord {
  return {
    transport: f.transport,
    client: f.client,
    server: f.server,
    clientPort: f.clientPort,
    serverPort: f.serverPort,
    ipProtocol: f.ipProtocol,
    ethertype: f.ethertype,
    packets: f.clientPackets + f.serverPackets,
    bytes: f.clientBytes + f.serverBytes,
    firstSeen: isoMicros(f.firstTs),
    lastSeen: isoMicros(f.lastTs),
    state: f.state,
    section: f.section,
    entries: f.entries.map((i) => catalog.entries[i].id),
    clientPackets: f.clientPackets,
    serverPackets: f.serverPackets,
    clientBytes: f.clientBytes,
    serverBytes: f.serverBytes,
    icmpErrors: f.icmpErrors,
    direction: f.direction,
  };
}

function byVolume(a: ClassifiedFlow, b: ClassifiedFlow): number {
  return b.clientBytes + b.serverBytes - (a.clientBytes + a.serverBytes) || a.firstSeq - b.firstSeq;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function topByVolume(list: ClassifiedFlow[], n: number): ClassifiedFlow[] {
  if (list.length <= n) return [...list].sort(byVolume);
  return [...list].sort(byVolume).slice(0, n);
}

type Pair = EntrySummary['pairs'][number];
type Failure = EntrySummary['failures'][number];

/** The n best items by `better` in one pass, kept sorted: a full sort of 10^5 pairs is waste. */
function topN<T>(items: Iterable<T>, n: number, order: (a: T, b: T) => number): T[] {
  const top: T[] = [];
  for (const x of items) {
    if (top.length === n && order(x, top[n - 1]) >= 0) continue;
    let i = top.length < n ? top.length : n - 1;
    while (i > 0 && order(x, top[i - 1]) < 0) i--;
    top.splice(i, 0, x);
    if (top.length > n) top.pop();
  }
  return top;
}

function entrySummary(catalog: Catalog, index: number, list: ClassifiedFlow[], topPairs: number): EntrySummary {
  const e = catalog.entries[index];
  // Pairs keyed by the interned address numbers: no string key per flow.
  const pairs = new Map<number, Pair>();
  const failures = new Map<number, Failure[]>();
  let failureCount = 0;
  for (const f of list) {
    const key = f.clientId * 2 ** 26 + f.serverId;
    let p = pairs.get(key);
    if (p === undefined) pairs.set(key, (p = { client: f.client, server: f.server, flows: 0, packets: 0, bytes: 0, failed: 0 }));
    p.flows++;
    p.packets += f.clientPackets + f.serverPackets;
    p.bytes += f.clientBytes + f.serverBytes;
    if (f.failed) {
      p.failed++;
      const state = f.state === 'rejected' && f.transport !== 'tcp' ? 'icmp-error' : (f.state ?? 'icmp-error');
      let byState = failures.get(key);
      if (byState === undefined) failures.set(key, (byState = []));
      let x = byState.find((y) => y.state === state);
      if (x === undefined) {
        byState.push((x = { client: f.client, server: f.server, state, flows: 0 }));
        failureCount++;
      }
      x.flows++;
    }
  }
  const allFailures = (function* () {
    for (const byState of failures.values()) yield* byState;
  })();
  // Code-unit order, not localeCompare: deterministic everywhere and fast.
  const pairOrder = (a: Pair, b: Pair) => b.bytes - a.bytes || cmp(a.client, b.client) || cmp(a.server, b.server);
  const failOrder = (a: Failure, b: Failure) => b.flows - a.flows || cmp(a.client, b.client) || cmp(a.server, b.server) || cmp(a.state, b.state);
  return {
    id: e.id,
    section: e.section,
    transport: e.transport,
    port: e.port,
    ipProtocol: e.ipProtocol,
    ethertype: e.ethertype,
    portRange: e.portRange ? [e.portRange[0], e.portRange[1]] : null,
    name: e.name,
    ...totals(list),
    ...span(list),
    pairs: topN(pairs.values(), topPairs, pairOrder),
    pairCount: pairs.size,
    failures: topN(allFailures, topPairs, failOrder),
    failureCount,
  };
}

export function buildSummary(run: RunResult, catalog: Catalog, flows: ClassifiedFlow[], roles: RoleBook, opts: BuildOptions): Summary {
  const st = run.stats;
  const sectionTitles = new Map(catalog.sections.map((s) => [s.id as string, s.title]));
  sectionTitles.set('unexpected', 'Unexpected (matches no catalog entry)');
  const sections: SectionSummary[] = SECTION_ORDER.map((id) => {
    const list = flows.filter((f) => f.section === id);
    return { id, title: sectionTitles.get(id) ?? id, ...totals(list), ...span(list) };
  });
  const perEntry = catalog.entries.map(() => [] as ClassifiedFlow[]);
  for (const f of flows) for (const i of f.entries) perEntry[i].push(f);
  const entries = catalog.entries.map((_, i) => entrySummary(catalog, i, perEntry[i], opts.topPairs));

  const selected = opts.allFlows ? flows : flows.filter((f) => f.section === 'unexpected' || f.failed);
  // A scan or SYN flood makes every probe a failed flow: without --flows the list keeps the
  // largest ones, counts the rest, and --flows-ndjson still has every flow.
  const listed = opts.allFlows ? [...selected].sort(byVolume) : topByVolume(selected, opts.maxListed);
  const other = totals(flows.filter((f) => f.section === 'other' && f.transport !== 'ethertype'));
  const nonIpMap = new Map<number, ClassifiedFlow[]>();
  for (const f of flows) {
    if (f.transport !== 'ethertype' || f.entries.length > 0) continue;
    const list = nonIpMap.get(f.ethertype!) ?? [];
    list.push(f);
    nonIpMap.set(f.ethertype!, list);
  }
  const decoded = new Set(DECODED_LINKTYPES);
  const unsupported = new Map(st.unsupported);
  return {
    schema: 'pantap.summary.v1',
    input: {
      files: [...run.files.map((f) => f.file), ...run.failed.map((e) => e.file)],
      packets: st.packets,
      bytes: st.bytes,
      malformed: st.malformed,
      truncated: run.files.some((f) => f.truncatedAt !== null || f.error !== null) || run.interrupted,
      capturedBytes: st.capturedBytes,
      firstSeen: st.packets > 0 ? isoMicros(st.firstTs) : null,
      lastSeen: st.packets > 0 ? isoMicros(st.lastTs) : null,
      details: [
        ...run.files.map((f) => ({
          file: f.file,
          format: f.format,
          gzip: f.gzip,
          packets: f.records,
          truncatedAt: f.truncatedAt,
          error: f.error,
          warnings: f.warningsSuppressed > 0 ? [...f.warnings, `(${f.warningsSuppressed} more warnings)`] : f.warnings,
        })),
        ...run.failed.map((e) => ({ file: e.file, format: null, gzip: false, packets: 0, truncatedAt: null, error: e.message, warnings: [] })),
      ],
      linktypes: st.linktypes.map(([lt, n]) => ({ linktype: lt, name: linktypeName(lt), packets: n, decoded: decoded.has(lt) && !unsupported.has(lt) })),
      malformedReasons: st.reasons.flatMap((n, code) => (n > 0 ? [{ reason: REASON_NAMES[code] ?? `reason ${code}`, packets: n }] : [])),
      fragments: run.fragments,
      flowTable: { flows: run.table.size, maxFlows: opts.maxFlows, overflowFlows: run.table.overflowFlows, overflowPackets: run.table.overflowPackets },
    },
    sections,
    entries,
    flows: listed.map((f) => flowRecord(f, catalog)),
    other: { flows: other.flows, packets: other.packets, bytes: other.bytes },
    nonIp: [...nonIpMap.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([et, list]) => {
        const t = totals(list);
        return { ethertype: et, name: ethertypeName(et), flows: t.flows, packets: t.packets, bytes: t.bytes };
      }),
    roles: [...roles.roles.entries()]
      .sort((a, b) => cmp(a[0], b[0]))
      .map(([address, r]) => ({ address, roles: [...r.roles].sort(), source: r.source })),
    allFlows: opts.allFlows,
    flowsOmitted: selected.length - listed.length,
  };
}
