// The flow record: the one shape of a flow that every output renders (JSON `flows[]`,
// NDJSON lines, protobuf `Flow`, the text report). Keys are built here in the order of the
// "pantap.summary.v1" contract, nullable ones as null (never undefined), so renderers
// serialise the object as it is instead of reshaping it.
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
