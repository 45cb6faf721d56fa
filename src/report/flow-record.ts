// The flow record: the one shape of a flow that every output renders (JSON `flows[]`,
// NDJSON lines, protobuf `Flow`, the text report). FLOW_RECORD_KEYS is the order of the
// "pantap.summary.v1" contract (then the additions), which JSON and NDJSON follow.
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import type { DirectionRule, FlowSection, FlowState, FlowTransport } from '../classify/vocabulary.js';
import { isoMicros } from './format.js';

export interface FlowRecord {
  transport: FlowTransport;
  client: string;
  server: string;
  clientPort: number | null;
  serverPort: number | null;
  ipProtocol: number | null;
  ethertype: number | null;
  packets: number;
  bytes: number;
  firstSeen: string;
  lastSeen: string;
  state: FlowState | null;
  section: FlowSection;
  entries: string[];
  clientPackets: number;
  serverPackets: number;
  clientBytes: number;
  serverBytes: number;
  /** ICMP errors that came back about this flow. */
  icmpErrors: number;
  /** Why the server side was chosen (see README, "Direction"). */
  direction: DirectionRule;
}

/** Every key of FlowRecord, in output order (the type check below keeps it complete). */
export const FLOW_RECORD_KEYS = [
  'transport',
  'client',
  'server',
  'clientPort',
  'serverPort',
  'ipProtocol',
  'ethertype',
  'packets',
  'bytes',
  'firstSeen',
  'lastSeen',
  'state',
  'section',
  'entries',
  'clientPackets',
  'serverPackets',
  'clientBytes',
  'serverBytes',
  'icmpErrors',
  'direction',
] as const satisfies readonly (keyof FlowRecord)[];

// A key added to FlowRecord but not to FLOW_RECORD_KEYS fails to compile here.
const complete: Exclude<keyof FlowRecord, (typeof FLOW_RECORD_KEYS)[number]> extends never ? true : never = true;
void complete;

/** The record with its keys in output order, nullable ones as null (never dropped). */
export function orderedFlow(f: FlowRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of FLOW_RECORD_KEYS) out[k] = f[k] ?? null;
  return out;
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
