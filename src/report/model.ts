// The summary model: what every renderer (text, JSON, NDJSON, protobuf) prints. Keys of
// the "pantap.summary.v1" JSON contract (../shared/DESIGN.md) are kept verbatim; the
// extra keys are additions the contract allows.

export type SectionId = 'management' | 'ha' | 'panorama' | 'user-id' | 'unexpected';
export type FlowSection = SectionId | 'other';
export type FlowTransport = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'ip' | 'ethertype';
export type TcpState = 'established' | 'rejected' | 'unanswered' | 'reset' | 'closed' | 'midstream';

export interface InputFile {
  file: string;
  format: 'pcap' | 'pcapng' | 'live' | null;
  gzip: boolean;
  packets: number;
  /** Set when the file ends inside a record. */
  truncatedAt: number | null;
  /** Why reading stopped early or never started. */
  error: string | null;
  warnings: string[];
}

export interface InputSummary {
  files: string[];
  packets: number;
  /** Wire bytes (original lengths). */
  bytes: number;
  malformed: number;
  truncated: boolean;
  capturedBytes: number;
  firstSeen: string | null;
  lastSeen: string | null;
  details: InputFile[];
  linktypes: { linktype: number; name: string; packets: number; decoded: boolean }[];
  malformedReasons: { reason: string; packets: number }[];
  fragments: { attributed: number; orphans: number; dropped: number };
  flowTable: { flows: number; maxFlows: number; overflowFlows: number; overflowPackets: number };
}

export interface SectionSummary {
  id: SectionId;
  title: string;
  flows: number;
  packets: number;
  bytes: number;
  failed: number;
  firstSeen: string | null;
  lastSeen: string | null;
}

export interface PairSummary {
  client: string;
  server: string;
  flows: number;
  packets: number;
  bytes: number;
  failed: number;
}

export interface EntrySummary {
  id: string;
  section: Exclude<SectionId, 'unexpected'>;
  transport: 'tcp' | 'udp' | 'ip' | 'ethertype';
  port: number | null;
  ipProtocol: number | null;
  ethertype: number | null;
  portRange: [number, number] | null;
  name: string;
  flows: number;
  packets: number;
  bytes: number;
  failed: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Distinct client → server pairs, most bytes first, at most `topPairs`. */
  pairs: PairSummary[];
  /** Distinct pairs in all (pairs may be cut to the top N). */
  pairCount: number;
  /** Failed attempts by who tried: client → server with the outcome (top `topPairs`). */
  failures: { client: string; server: string; state: TcpState | 'icmp-error'; flows: number }[];
  /** Distinct (client, server, outcome) failures in all. */
  failureCount: number;
}

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
  state: TcpState | null;
  section: FlowSection;
  entries: string[];
  clientPackets: number;
  serverPackets: number;
  clientBytes: number;
  serverBytes: number;
  /** ICMP errors that came back about this flow. */
  icmpErrors: number;
  /** Why the server side was chosen (see README, "Direction"). */
  direction: 'handshake' | 'catalog-port' | 'well-known-port' | 'dominant-sender' | 'first-packet';
}

export interface RoleAssignment {
  address: string;
  roles: string[];
  source: 'inventory' | 'inferred';
}

export interface Summary {
  schema: 'pantap.summary.v1';
  input: InputSummary;
  sections: SectionSummary[];
  entries: EntrySummary[];
  flows: FlowRecord[];
  /** Traffic that touches no PAN device, when an inventory says which hosts are PAN devices. */
  other: { flows: number; packets: number; bytes: number };
  /** Non-IP frames matching no entry, by ethertype (0 = 802.3/LLC without SNAP). */
  nonIp: { ethertype: number; name: string; flows: number; packets: number; bytes: number }[];
  roles: RoleAssignment[];
  /** Whether `flows` lists every flow (--flows) or only unexpected and failed ones. */
  allFlows: boolean;
  /** Flows the listing rule selected but --max-listed left out (most bytes kept); 0 with --flows. */
  flowsOmitted: number;
  /** Live capture only: where and what the kernel counted (null where the backend cannot tell). */
  capture?: {
    interface: string;
    backend: 'native' | 'cap';
    filter: string | null;
    received: number | null;
    dropped: number | null;
    ifDropped: number | null;
  };
}
