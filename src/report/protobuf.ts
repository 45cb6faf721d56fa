// The protobuf summary (summary.proto, package pantap.v1). The schema is loaded at run time
// rather than compiled into code, so the .proto file that ships is the only definition; the
// build copies it next to this module. Conventions (enums, optional, *_us) are documented in
// summary.proto.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { microsFromIso } from './format.js';
import type {
  AppName,
  CertificateRecord,
  ChannelStatus,
  EntrySummary,
  FlowRecord,
  HealthLine,
  FlowSection,
  FlowState,
  FlowTransport,
  InputFile,
  InputSummary,
  MergeState,
  ReasonCode,
  RoleAssignment,
  SectionSummary,
  Summary,
  TcpFacts,
  TlsAlertRecord,
  TlsRecord,
  Verdict,
} from './model.js';

/**
 * Model value → .proto enum value name. Typed as complete records, so a value added to the
 * model without its enum value here fails type-checking instead of encoding as 0; a test
 * checks that every name exists in summary.proto.
 */
export const PROTO_ENUMS = {
  SectionId: {
    management: 'SECTION_ID_MANAGEMENT',
    ha: 'SECTION_ID_HA',
    panorama: 'SECTION_ID_PANORAMA',
    'user-id': 'SECTION_ID_USER_ID',
    unexpected: 'SECTION_ID_UNEXPECTED',
    other: 'SECTION_ID_OTHER',
  } satisfies Record<FlowSection, string>,
  Transport: {
    tcp: 'TRANSPORT_TCP',
    udp: 'TRANSPORT_UDP',
    icmp: 'TRANSPORT_ICMP',
    icmpv6: 'TRANSPORT_ICMPV6',
    ip: 'TRANSPORT_IP',
    ethertype: 'TRANSPORT_ETHERTYPE',
  } satisfies Record<FlowTransport, string>,
  State: {
    established: 'STATE_ESTABLISHED',
    rejected: 'STATE_REJECTED',
    unanswered: 'STATE_UNANSWERED',
    reset: 'STATE_RESET',
    closed: 'STATE_CLOSED',
    midstream: 'STATE_MIDSTREAM',
  } satisfies Record<FlowState, string>,
  Direction: {
    handshake: 'DIRECTION_HANDSHAKE',
    'catalog-port': 'DIRECTION_CATALOG_PORT',
    'well-known-port': 'DIRECTION_WELL_KNOWN_PORT',
    'dominant-sender': 'DIRECTION_DOMINANT_SENDER',
    'icmp-request': 'DIRECTION_ICMP_REQUEST',
    'first-packet': 'DIRECTION_FIRST_PACKET',
  } satisfies Record<FlowRecord['direction'], string>,
  RoleSource: {
    inventory: 'ROLE_SOURCE_INVENTORY',
    inferred: 'ROLE_SOURCE_INFERRED',
  } satisfies Record<RoleAssignment['source'], string>,
  CaptureFormat: {
    pcap: 'CAPTURE_FORMAT_PCAP',
    pcapng: 'CAPTURE_FORMAT_PCAPNG',
    live: 'CAPTURE_FORMAT_LIVE',
  } satisfies Record<NonNullable<InputFile['format']>, string>,
  App: {
    tls: 'APP_TLS',
    ssh: 'APP_SSH',
    http: 'APP_HTTP',
    ldap: 'APP_LDAP',
    kerberos: 'APP_KERBEROS',
    ntp: 'APP_NTP',
    snmp: 'APP_SNMP',
    radius: 'APP_RADIUS',
    syslog: 'APP_SYSLOG',
    dcerpc: 'APP_DCERPC',
    smb: 'APP_SMB',
    icmp: 'APP_ICMP',
  } satisfies Record<AppName, string>,
  Verdict: {
    ok: 'VERDICT_OK',
    warning: 'VERDICT_WARNING',
    failed: 'VERDICT_FAILED',
  } satisfies Record<Verdict, string>,
  Reason: {
    'pmtu-blackhole': 'REASON_PMTU_BLACKHOLE',
    'tls-alert': 'REASON_TLS_ALERT',
    'ldap-bind-failed': 'REASON_LDAP_BIND_FAILED',
    'ldap-error': 'REASON_LDAP_ERROR',
    'kerberos-error': 'REASON_KERBEROS_ERROR',
    'radius-reject': 'REASON_RADIUS_REJECT',
    'snmp-error': 'REASON_SNMP_ERROR',
    'ntp-unsynchronized': 'REASON_NTP_UNSYNCHRONIZED',
    'ntp-refused': 'REASON_NTP_REFUSED',
    'rpc-error': 'REASON_RPC_ERROR',
    rejected: 'REASON_REJECTED',
    unanswered: 'REASON_UNANSWERED',
    'icmp-error': 'REASON_ICMP_ERROR',
    'reset-after-connect': 'REASON_RESET_AFTER_CONNECT',
    'tls-incomplete': 'REASON_TLS_INCOMPLETE',
    'unexpected-protocol': 'REASON_UNEXPECTED_PROTOCOL',
    'no-reply': 'REASON_NO_REPLY',
    'heartbeat-gap': 'REASON_HEARTBEAT_GAP',
    'certificate-expired': 'REASON_CERTIFICATE_EXPIRED',
    'ldap-unauthenticated-bind': 'REASON_LDAP_UNAUTHENTICATED_BIND',
    'ntp-rate-limited': 'REASON_NTP_RATE_LIMITED',
    'syslog-format': 'REASON_SYSLOG_FORMAT',
    retransmissions: 'REASON_RETRANSMISSIONS',
    'zero-window': 'REASON_ZERO_WINDOW',
  } satisfies Record<ReasonCode, string>,
  ChannelStatus: {
    up: 'CHANNEL_STATUS_UP',
    degraded: 'CHANNEL_STATUS_DEGRADED',
    failing: 'CHANNEL_STATUS_FAILING',
    partial: 'CHANNEL_STATUS_PARTIAL',
    'not-seen': 'CHANNEL_STATUS_NOT_SEEN',
  } satisfies Record<ChannelStatus, string>,
  ConnState: {
    S0: 'CONN_STATE_S0',
    S1: 'CONN_STATE_S1',
    SF: 'CONN_STATE_SF',
    REJ: 'CONN_STATE_REJ',
    S2: 'CONN_STATE_S2',
    S3: 'CONN_STATE_S3',
    RSTO: 'CONN_STATE_RSTO',
    RSTR: 'CONN_STATE_RSTR',
    RSTOS0: 'CONN_STATE_RSTOS0',
    RSTRH: 'CONN_STATE_RSTRH',
    SH: 'CONN_STATE_SH',
    SHR: 'CONN_STATE_SHR',
    OTH: 'CONN_STATE_OTH',
  } satisfies Record<TcpFacts['connState'], string>,
  TlsVersion: {
    'SSL 3.0': 'TLS_VERSION_SSL_3_0',
    'TLS 1.0': 'TLS_VERSION_TLS_1_0',
    'TLS 1.1': 'TLS_VERSION_TLS_1_1',
    'TLS 1.2': 'TLS_VERSION_TLS_1_2',
    'TLS 1.3': 'TLS_VERSION_TLS_1_3',
  } satisfies Record<NonNullable<TlsRecord['version']>, string>,
  AlertLevel: {
    warning: 'ALERT_LEVEL_WARNING',
    fatal: 'ALERT_LEVEL_FATAL',
    unknown: 'ALERT_LEVEL_UNKNOWN',
  } satisfies Record<Extract<TlsAlertRecord, { encrypted: false }>['level'], string>,
  Side: {
    client: 'SIDE_CLIENT',
    server: 'SIDE_SERVER',
  } satisfies Record<TlsAlertRecord['from'], string>,
};

type EnumName = keyof typeof PROTO_ENUMS;

interface Loaded {
  summary: protobuf.Type;
  /** Model string → enum number, per enum. */
  numbers: Map<EnumName, Map<string, number>>;
}

let loaded: Loaded | null = null;

function load(): Loaded {
  if (loaded === null) {
    const root = protobuf.loadSync(fileURLToPath(new URL('./summary.proto', import.meta.url)));
    const numbers = new Map<EnumName, Map<string, number>>();
    for (const [name, map] of Object.entries(PROTO_ENUMS) as [EnumName, Record<string, string>][]) {
      const values = root.lookupEnum(`pantap.v1.${name}`).values;
      const m = new Map<string, number>();
      for (const [model, protoName] of Object.entries(map)) {
        // A name missing from the .proto is a bug in this file: fail on first use, loudly.
        if (values[protoName] === undefined) throw new Error(`summary.proto: enum ${name} has no ${protoName}`);
        m.set(model, values[protoName]);
      }
      numbers.set(name, m);
    }
    loaded = { summary: root.lookupType('pantap.v1.Summary'), numbers };
  }
  return loaded;
}

/** A model string as its enum number; null is 0 (*_UNSPECIFIED). Unknown values throw. */
function enumValue<E extends EnumName>(name: E, value: keyof (typeof PROTO_ENUMS)[E] | null): number {
  if (value === null) return 0;
  const id = load().numbers.get(name)!.get(value as string);
  if (id === undefined) throw new RangeError(`summary.proto: ${name} has no value for ${JSON.stringify(value)}`);
  return id;
}

/** Both forms of a nullable timestamp: the ISO string and microseconds since the epoch. */
function times(firstSeen: string | null, lastSeen: string | null): Record<string, unknown> {
  return {
    firstSeen,
    firstSeenUs: firstSeen === null ? null : microsFromIso(firstSeen),
    lastSeen,
    lastSeenUs: lastSeen === null ? null : microsFromIso(lastSeen),
  };
}

function input(i: InputSummary): Record<string, unknown> {
  return {
    ...i,
    ...times(i.firstSeen, i.lastSeen),
    details: i.details.map((d) => ({ ...d, format: enumValue('CaptureFormat', d.format) })),
    skipped: i.skipped ?? [],
    dedup: i.dedup ?? null,
    filter: i.filter ? { ...i.filter, sinceUs: i.filter.since === null ? null : microsFromIso(i.filter.since), untilUs: i.filter.until === null ? null : microsFromIso(i.filter.until) } : null,
  };
}

function section(x: SectionSummary): Record<string, unknown> {
  return { ...x, id: enumValue('SectionId', x.id), ...times(x.firstSeen, x.lastSeen) };
}

/** A certificate's validity both ways, as other timestamps: ISO string and microseconds. */
function certificate(c: CertificateRecord | null): Record<string, unknown> | null {
  if (c === null) return null;
  const us = (iso: string | null) => (iso === null ? null : microsFromIso(iso));
  return { ...c, notBeforeUs: us(c.notBefore), notAfterUs: us(c.notAfter) };
}

function tcp(t: TcpFacts | null): Record<string, unknown> | null {
  if (t === null) return null;
  return { ...t, connState: enumValue('ConnState', t.connState) };
}

function tls(t: TlsRecord | null): Record<string, unknown> | null {
  if (t === null) return null;
  const a = t.alert;
  return {
    ...t,
    version: enumValue('TlsVersion', t.version),
    alert: a === null ? null : { encrypted: a.encrypted, level: a.encrypted ? 0 : enumValue('AlertLevel', a.level), description: a.encrypted ? null : a.description, from: enumValue('Side', a.from) },
    serverCertificate: certificate(t.serverCertificate),
    clientCertificate: certificate(t.clientCertificate),
  };
}

function entry(e: EntrySummary): Record<string, unknown> {
  return {
    ...e,
    section: enumValue('SectionId', e.section),
    transport: enumValue('Transport', e.transport),
    portRange: e.portRange === null ? null : { first: e.portRange[0], last: e.portRange[1] },
    ...times(e.firstSeen, e.lastSeen),
    status: enumValue('ChannelStatus', e.status),
    pairs: e.pairs.map((p) => ({ ...p, status: enumValue('ChannelStatus', p.status) })),
    failures: e.failures.map((f) => ({ ...f, state: enumValue('State', f.state), reason: enumValue('Reason', f.reason) })),
  };
}

function health(h: HealthLine): Record<string, unknown> {
  const us = (iso: string | null) => (iso === null ? null : microsFromIso(iso));
  return {
    ...h,
    status: enumValue('ChannelStatus', h.status),
    reason: enumValue('Reason', h.reason),
    lastSuccessUs: us(h.lastSuccess),
    lastFailureUs: us(h.lastFailure),
  };
}

function flow(f: FlowRecord): Record<string, unknown> {
  return {
    ...f,
    transport: enumValue('Transport', f.transport),
    firstSeenUs: microsFromIso(f.firstSeen),
    lastSeenUs: microsFromIso(f.lastSeen),
    state: enumValue('State', f.state),
    section: enumValue('SectionId', f.section),
    direction: enumValue('Direction', f.direction),
    app: enumValue('App', f.app),
    verdict: enumValue('Verdict', f.verdict),
    reason: enumValue('Reason', f.reason),
    tcp: tcp(f.tcp),
    tls: tls(f.tls),
    // The .proto's bind_dn is bindDn to protobufjs; the model says bindDN.
    ldap: f.ldap === null ? null : { ...f.ldap, bindDn: f.ldap.bindDN },
  };
}

/** A gap's times both ways. */
function gapUs<G extends { start: string; end: string }>(g: G): G & { startUs: number; endUs: number } {
  return { ...g, startUs: microsFromIso(g.start), endUs: microsFromIso(g.end) };
}

/** Merge state (issue 12): enums as numbers. */
function mergeState(m: MergeState): Record<string, unknown> {
  return {
    overflowSketch: m.overflowSketch,
    channels: m.channels.map((c) => ({
      ...c,
      reasons: c.reasons.map((r) => ({ reason: enumValue('Reason', r.reason), flows: r.flows })),
      failures: c.failures.map((f) => ({ reason: enumValue('Reason', f.reason), state: enumValue('State', f.state), flows: f.flows })),
    })),
  };
}

export function encodeSummary(s: Summary): Uint8Array {
  const { summary } = load();
  const plain = {
    ...s,
    input: input(s.input),
    sections: s.sections.map(section),
    entries: s.entries.map(entry),
    health: s.health.map(health),
    flows: s.flows.map(flow),
    roles: s.roles.map((r) => ({ ...r, source: enumValue('RoleSource', r.source) })),
    capture: s.capture ?? null,
    ha: {
      heartbeats: s.ha.heartbeats.map((h) => ({
        ...h,
        gaps: h.gaps.map(gapUs),
        parts: (h.parts ?? []).map((p) => ({ ...p, gaps: p.gaps.map(gapUs) })),
      })),
    },
    timeline: {
      intervalSeconds: s.timeline.intervalSeconds,
      channels: s.timeline.channels.map((c) => ({
        ...c,
        buckets: c.buckets.map((b) => ({ ...b, startUs: microsFromIso(b.start) })),
        gaps: c.gaps.map(gapUs),
      })),
      channelsOmitted: s.timeline.channelsOmitted ?? 0,
    },
    healthOmitted: s.healthOmitted ?? null,
    mergeState: s.mergeState ? mergeState(s.mergeState) : null,
    merge: s.merge ?? null,
    revision: 1,
    complete: true,
  };
  // verify() names the field when the model and the .proto disagree (a string where a
  // number belongs...), instead of fromObject coercing it to a default without a word.
  const problem = summary.verify(plain);
  if (problem !== null) throw new TypeError(`summary.proto: ${problem}`);
  return summary.encode(summary.fromObject(plain)).finish();
}

/**
 * A plain object with the .proto's field names in camelCase, enums as their names, int64 as
 * numbers, and defaults filled in (optional fields stay absent when they were null).
 */
export function decodeSummary(buf: Uint8Array): Record<string, unknown> {
  const { summary } = load();
  const obj = summary.toObject(summary.decode(buf), { longs: Number, enums: String, defaults: true });
  // Any buffer of valid protobuf framing decodes to something; a pantap summary says so.
  if (obj.schema !== 'pantap.summary.v1') throw new TypeError(`not a pantap summary (schema ${JSON.stringify(obj.schema)})`);
  return obj;
}

// --- Decoding into the model (issue 12, `pantap merge`) ---

/** Per enum: .proto value name → model string (the inverse of PROTO_ENUMS). */
let modelNames: Map<string, Map<string, string>> | null = null;

function enumModelNames(): Map<string, Map<string, string>> {
  if (modelNames === null) {
    modelNames = new Map();
    for (const [name, map] of Object.entries(PROTO_ENUMS) as [string, Record<string, string>][]) {
      modelNames.set(name, new Map(Object.entries(map).map(([model, proto]) => [proto, model])));
    }
  }
  return modelNames;
}

/** Fields whose protobufjs (camelCase) name is not the model's. */
const MODEL_KEYS: Record<string, string> = { bindDn: 'bindDN' };

/**
 * One decoded message as the model has it, driven by the .proto's reflection: enum names
 * back to the model's strings (*_UNSPECIFIED to null), absent optional fields and messages
 * to null, the `*_us` twins of timestamps dropped (the ISO strings are the model's).
 */
function toModel(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    // protobufjs names fields in camelCase: first_seen_us is firstSeenUs.
    if (/[a-z]Us$/.test(field.name)) continue;
    const key = field.name;
    const v = obj[key];
    const modelKey = MODEL_KEYS[key] ?? key;
    const rt = field.resolve().resolvedType;
    const one = (x: unknown): unknown => {
      if (rt instanceof protobuf.Type) return toModel(rt, x as Record<string, unknown>);
      if (rt instanceof protobuf.Enum) {
        const model = enumModelNames().get(rt.name)?.get(x as string);
        if (model === undefined && x !== rt.valuesById[0]) throw new TypeError(`summary.proto: ${rt.name} value ${String(x)} unknown to this pantap`);
        return model ?? null;
      }
      return x;
    };
    if (field.repeated) out[modelKey] = ((v as unknown[] | undefined) ?? []).map(one);
    else if (v === undefined || v === null) out[modelKey] = field.type === 'bytes' ? new Uint8Array(0) : null;
    else out[modelKey] = one(v);
  }
  return out;
}

/**
 * A protobuf summary as the model's Summary, for `pantap merge`: what decodeSummary checks
 * (framing, the schema), then every message in the model's shape. Throws TypeError when the
 * buffer is not a pantap summary of this schema.
 */
export function summaryFromProtobuf(buf: Uint8Array): Summary {
  const { summary } = load();
  const decoded = summary.toObject(summary.decode(buf), { longs: Number, enums: String, defaults: true });
  const schema = decoded.schema as string;
  if (schema !== 'pantap.summary.v1') {
    throw new TypeError(schema.startsWith('pantap.summary.') ? `summary schema ${schema} is not pantap.summary.v1, the one this pantap reads` : 'not a pantap protobuf summary');
  }
  // A summary of this revision ends with `complete`; one written before (revision 0) at least has its timeline.
  if (decoded.revision > 0 ? decoded.complete !== true : decoded.timeline === null) throw new TypeError('ends early: the summary was cut short');
  const s = toModel(summary, decoded) as Record<string, unknown> & Summary;
  delete s.complete;
  delete s.revision;
  // Shapes the reflection cannot know: a port range is a pair; absent optional parts are left out.
  for (const e of s.entries) {
    const r = e.portRange as unknown as { first: number; last: number } | null;
    e.portRange = r === null ? null : [r.first, r.last];
    if (!e.lowerBound) delete e.lowerBound;
  }
  for (const f of s.flows) {
    // An encrypted TLS alert has no level or description in the model.
    const a = f.tls?.alert;
    if (a?.encrypted) f.tls!.alert = { encrypted: true, from: a.from };
  }
  for (const h of s.ha.heartbeats) if (h.parts?.length === 0) delete h.parts;
  for (const c of s.timeline.channels) if (!c.lowerBound) delete c.lowerBound;
  if (!s.timeline.channelsOmitted) delete s.timeline.channelsOmitted;
  for (const k of ['capture', 'mergeState', 'merge', 'healthOmitted'] as const) if (s[k] === null) delete s[k];
  if (s.input.filter === null) delete s.input.filter;
  // Capture sets: absent when nothing was skipped, and without --dedup (as in JSON).
  if (s.input.skipped?.length === 0) delete s.input.skipped;
  if (s.input.dedup === null) delete s.input.dedup;
  if (s.mergeState) s.mergeState.overflowSketch = Uint8Array.from(s.mergeState.overflowSketch);
  return s;
}
