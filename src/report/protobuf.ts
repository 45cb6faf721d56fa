// The protobuf summary (summary.proto, package pantap.v1). The schema is loaded at run time
// rather than compiled into code, so the .proto file that ships is the only definition; the
// build copies it next to this module. Conventions (enums, optional, *_us) are documented in
// summary.proto.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { microsFromIso } from './format.js';
import type {
  EntrySummary,
  FlowRecord,
  FlowSection,
  FlowState,
  FlowTransport,
  InputFile,
  InputSummary,
  RoleAssignment,
  SectionSummary,
  Summary,
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
  };
}

function section(x: SectionSummary): Record<string, unknown> {
  return { ...x, id: enumValue('SectionId', x.id), ...times(x.firstSeen, x.lastSeen) };
}

function entry(e: EntrySummary): Record<string, unknown> {
  return {
    ...e,
    section: enumValue('SectionId', e.section),
    transport: enumValue('Transport', e.transport),
    portRange: e.portRange === null ? null : { first: e.portRange[0], last: e.portRange[1] },
    ...times(e.firstSeen, e.lastSeen),
    failures: e.failures.map((f) => ({ ...f, state: enumValue('State', f.state) })),
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
  };
}

export function encodeSummary(s: Summary): Uint8Array {
  const { summary } = load();
  const plain = {
    ...s,
    input: input(s.input),
    sections: s.sections.map(section),
    entries: s.entries.map(entry),
    flows: s.flows.map(flow),
    roles: s.roles.map((r) => ({ ...r, source: enumValue('RoleSource', r.source) })),
    capture: s.capture ?? null,
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
