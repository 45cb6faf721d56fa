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

function entrySummary(catalog: Catalog, index: number, list: ClassifiedFlow[], topPairs: number): EntrySummary {
  const e = catalog.entries[index];
  const pairs = new Map<string, { client: string; server: string; flows: number; packets: number; bytes: number; failed: number }>();
  const failures = new Map<string, { client: string; server: string; state: EntrySummary['failures'][number]['state']; flows: number }>();
  for (const f of list) {
    const key = `${f.client}\u0000${f.server}`;
    let p = pairs.get(key);
    if (p === undefined) pairs.set(key, (p = { client: f.client, server: f.server, flows: 0, packets: 0, bytes: 0, failed: 0 }));
    p.flows++;
    p.packets += f.clientPackets + f.serverPackets;
    p.bytes += f.clientBytes + f.serverBytes;
    if (f.failed) {
      p.failed++;
      const state = f.state === 'rejected' && f.transport !== 'tcp' ? 'icmp-error' : (f.state ?? 'icmp-error');
      const fk = `${key}\u0000${state}`;
      let x = failures.get(fk);
      if (x === undefined) failures.set(fk, (x = { client: f.client, server: f.server, state, flows: 0 }));
      x.flows++;
    }
  }
  const pairList = [...pairs.values()].sort((a, b) => b.bytes - a.bytes || a.client.localeCompare(b.client) || a.server.localeCompare(b.server));
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
    pairs: pairList.slice(0, topPairs),
    pairCount: pairList.length,
    failures: [...failures.values()].sort((a, b) => b.flows - a.flows || a.client.localeCompare(b.client)),
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

  const listed = opts.allFlows ? flows : flows.filter((f) => f.section === 'unexpected' || f.failed);
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
    flows: [...listed].sort(byVolume).map((f) => flowRecord(f, catalog)),
    other: { flows: other.flows, packets: other.packets, bytes: other.bytes },
    nonIp: [...nonIpMap.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([et, list]) => {
        const t = totals(list);
        return { ethertype: et, name: ethertypeName(et), flows: t.flows, packets: t.packets, bytes: t.bytes };
      }),
    roles: [...roles.roles.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([address, r]) => ({ address, roles: [...r.roles].sort(), source: r.source })),
    allFlows: opts.allFlows,
  };
}
