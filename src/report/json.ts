// The JSON summary ("pantap.summary.v1", DESIGN.md): scripts rely on its keys, so every
// object is rebuilt here with its keys in a fixed order (contract keys first, then the
// additions) instead of trusting the insertion order of whoever built the Summary. Nullable
// contract keys are written as null, never dropped (JSON.stringify drops undefined). Flows
// follow the one key list of flow-record.ts. One exception, the CLI's writer
// (renderJsonChunks): its summary went to no caller, so the flow records and timeline
// channels a run made in order are written as they are (no copy).
import { orderedFlow, rebuiltFlow } from './flow-record.js';
import { chunkUtf8, isAsWritten, jsonParts, Mapped } from './json-parts.js';
import type { EntrySummary, HealthLine, InputSummary, SectionSummary, Summary } from './model.js';

/** The text of a summary a caller holds (the library's): every object rebuilt, whatever the caller edited. */
export function renderJson(s: Summary): string {
  return `${[...jsonParts(orderedSummary(s))].join('')}\n`;
}

/**
 * renderJson's text as UTF-8 chunks, made as they are written (json-parts.ts): no 21 MB string
 * and no copy of it. The chunks are one buffer refilled: each is valid until the next is asked for.
 */
export function renderJsonChunks(s: Summary): Iterable<Uint8Array> {
  return chunkUtf8(withNewline(jsonParts(orderedSummary(s, true))), true);
}

function* withNewline(parts: Iterable<string>): Generator<string> {
  yield* parts;
  yield '\n';
}

/**
 * `asBuilt`: the summary went to no caller (the CLI's), so the flow records and timeline
 * channels marked as made in order (flow-record.ts, timeline.ts) are written as they are.
 */
export function orderedSummary(s: Summary, asBuilt = false): Record<string, unknown> {
  return {
    schema: s.schema,
    input: orderedInput(s.input),
    sections: s.sections.map(orderedSection),
    // The long lists as Mapped: each element is made when it is written.
    entries: new Mapped(s.entries, orderedEntry),
    health: new Mapped(s.health, orderedHealth),
    // --max-channels left channels out of health (and timeline): absent when none.
    ...(s.healthOmitted ? { healthOmitted: { channels: s.healthOmitted.channels, failing: s.healthOmitted.failing, partial: s.healthOmitted.partial, degraded: s.healthOmitted.degraded, up: s.healthOmitted.up } } : {}),
    flows: new Mapped(s.flows, asBuilt ? orderedFlow : rebuiltFlow),
    other: { flows: s.other.flows, packets: s.other.packets, bytes: s.other.bytes },
    nonIp: s.nonIp.map((n) => ({ ethertype: n.ethertype, name: n.name, flows: n.flows, packets: n.packets, bytes: n.bytes })),
    ipv6Infrastructure: s.ipv6Infrastructure.map((n) => ({ kind: n.kind, flows: n.flows, packets: n.packets, bytes: n.bytes })),
    roles: new Mapped(s.roles, (r) => ({ address: r.address, roles: [...r.roles], source: r.source, evidence: [...r.evidence], possible: [...r.possible] })),
    allFlows: s.allFlows,
    flowsOmitted: s.flowsOmitted,
    ha: orderedHa(s.ha),
    timeline: orderedTimeline(s.timeline, asBuilt),
    // Live captures only; absent (not null) for files, as the model has it.
    ...(s.capture ? { capture: orderedCapture(s.capture) } : {}),
    // Merged summaries only (pantap merge): how many went in, which figures are lower bounds.
    ...(s.merge ? { merge: { summaries: s.merge.summaries, lowerBound: [...s.merge.lowerBound] } } : {}),
  };
}

/** HA cadence: the keys first (peers, transport, entry, intervalMs, unanswered, gaps), then the additions. */
function orderedHa(ha: Summary['ha']): Record<string, unknown> {
  return {
    heartbeats: new Mapped(ha.heartbeats, (h) => ({
      peers: [...h.peers],
      transport: h.transport,
      entry: h.entry,
      intervalMs: h.intervalMs === null ? null : { median: h.intervalMs.median, p99: h.intervalMs.p99, max: h.intervalMs.max },
      unanswered: h.unanswered,
      gaps: h.gaps.map((g) => ({ start: g.start, end: g.end, seconds: g.seconds, missed: g.missed })),
      flows: h.flows,
      heartbeats: h.heartbeats,
      capHit: h.capHit,
      // Merged only: the channel's cadence per input, side by side (intervalMs is then null).
      ...(h.parts
        ? {
            parts: h.parts.map((p) => ({
              flows: p.flows,
              heartbeats: p.heartbeats,
              intervalMs: p.intervalMs === null ? null : { median: p.intervalMs.median, p99: p.intervalMs.p99, max: p.intervalMs.max },
              unanswered: p.unanswered,
              gaps: p.gaps.map((g) => ({ start: g.start, end: g.end, seconds: g.seconds, missed: g.missed })),
              capHit: p.capHit,
            })),
          }
        : {}),
    })),
  };
}

/** The timeline: the keys, in its order. */
function orderedTimeline(t: Summary['timeline'], asBuilt: boolean): Record<string, unknown> {
  return {
    intervalSeconds: t.intervalSeconds,
    // A run's channels are in this order already (timelineChannel, asWritten): written as
    // they are when no caller has held the summary.
    channels: new Mapped(t.channels, (c) => (asBuilt && isAsWritten(c) ? c : {
      entry: c.entry,
      client: c.client,
      server: c.server,
      buckets: c.buckets.map((b) => ({ start: b.start, flows: b.flows, started: b.started, failed: b.failed, warnings: b.warnings })),
      gaps: c.gaps.map((g) => ({ start: g.start, end: g.end, seconds: g.seconds })),
      clipped: c.clipped,
      ...(c.lowerBound ? { lowerBound: true } : {}),
    })),
    ...(t.channelsOmitted ? { channelsOmitted: t.channelsOmitted } : {}),
  };
}

function orderedCapture(x: NonNullable<Summary['capture']>): Record<string, unknown> {
  return {
    interface: x.interface,
    backend: x.backend,
    filter: x.filter ?? null,
    received: x.received ?? null,
    dropped: x.dropped ?? null,
    ifDropped: x.ifDropped ?? null,
  };
}

function orderedInput(i: InputSummary): Record<string, unknown> {
  return {
    files: [...i.files],
    packets: i.packets,
    bytes: i.bytes,
    malformed: i.malformed,
    truncated: i.truncated,
    capturedBytes: i.capturedBytes,
    firstSeen: i.firstSeen ?? null,
    lastSeen: i.lastSeen ?? null,
    details: i.details.map((d) => ({
      file: d.file,
      format: d.format ?? null,
      gzip: d.gzip,
      packets: d.packets,
      truncatedAt: d.truncatedAt ?? null,
      error: d.error ?? null,
      warnings: [...d.warnings],
    })),
    linktypes: i.linktypes.map((l) => ({ linktype: l.linktype, name: l.name, packets: l.packets, decoded: l.decoded })),
    malformedReasons: i.malformedReasons.map((r) => ({ reason: r.reason, packets: r.packets })),
    fragments: { attributed: i.fragments.attributed, orphans: i.fragments.orphans, dropped: i.fragments.dropped },
    flowTable: {
      flows: i.flowTable.flows,
      maxFlows: i.flowTable.maxFlows,
      overflowFlows: i.flowTable.overflowFlows,
      overflowPackets: i.flowTable.overflowPackets,
    },
    inspection: { flows: i.inspection.flows, bytesKept: i.inspection.bytesKept, capHit: i.inspection.capHit },
    // analyze with filters only; absent (not null) otherwise, as the model has it.
    ...(i.filter ? { filter: orderedFilter(i.filter) } : {}),
    // capture sets: absent (not empty) when nothing was skipped, and without --dedup
    ...(i.skipped ? { skipped: i.skipped.map((x) => ({ file: x.file, why: x.why })) } : {}),
    ...(i.dedup ? { dedup: { windowMs: i.dedup.windowMs, dropped: i.dedup.dropped } } : {}),
  };
}

function orderedFilter(f: NonNullable<InputSummary['filter']>): Record<string, unknown> {
  return { bpf: f.bpf, hosts: [...f.hosts], since: f.since, until: f.until, count: f.count, filteredOut: f.filteredOut, stoppedEarly: f.stoppedEarly };
}

function orderedSection(x: SectionSummary): Record<string, unknown> {
  return {
    id: x.id,
    flows: x.flows,
    packets: x.packets,
    bytes: x.bytes,
    failed: x.failed,
    degraded: x.degraded,
    title: x.title,
    firstSeen: x.firstSeen ?? null,
    lastSeen: x.lastSeen ?? null,
  };
}

function orderedHealth(h: HealthLine): Record<string, unknown> {
  return {
    entry: h.entry,
    client: h.client,
    server: h.server,
    status: h.status,
    reason: h.reason ?? null,
    flows: h.flows,
    failed: h.failed,
    degraded: h.degraded,
    lastSuccess: h.lastSuccess ?? null,
    lastFailure: h.lastFailure ?? null,
  };
}

function orderedEntry(e: EntrySummary): Record<string, unknown> {
  return {
    id: e.id,
    section: e.section,
    transport: e.transport,
    port: e.port ?? null,
    ipProtocol: e.ipProtocol ?? null,
    ethertype: e.ethertype ?? null,
    flows: e.flows,
    packets: e.packets,
    bytes: e.bytes,
    failed: e.failed,
    status: e.status,
    degraded: e.degraded,
    name: e.name,
    portRange: e.portRange ? [e.portRange[0], e.portRange[1]] : null,
    firstSeen: e.firstSeen ?? null,
    lastSeen: e.lastSeen ?? null,
    pairs: e.pairs.map((p) => ({ client: p.client, server: p.server, flows: p.flows, packets: p.packets, bytes: p.bytes, failed: p.failed, status: p.status, degraded: p.degraded })),
    pairCount: e.pairCount,
    failures: e.failures.map((f) => ({ client: f.client, server: f.server, reason: f.reason, state: f.state ?? null, flows: f.flows })),
    failureCount: e.failureCount,
    ...(e.lowerBound ? { lowerBound: true } : {}),
  };
}
