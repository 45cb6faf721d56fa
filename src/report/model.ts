// The summary model: what every renderer (text, JSON, NDJSON, protobuf) prints. Keys of
// the "pantap.summary.v1" JSON contract (../shared/DESIGN.md) are kept verbatim; the
// extra keys are additions the contract allows. The vocabulary (sections, transports,
// outcomes) is classification's; the flow record is defined once, in flow-record.ts.
import type { InspectionCounts } from '../classify/flow-facts.js';
import type { ChannelStatus, FlowState, ReasonCode, SectionId } from '../classify/vocabulary.js';
import type { FlowRecord } from './flow-record.js';

export type { AppName, CertificateRecord, InspectionCounts, SshRecord, TcpFacts, TlsAlertRecord, TlsRecord } from '../classify/flow-facts.js';
export type { ChannelStatus, DirectionRule, FailureState, FlowSection, FlowState, FlowTransport, ReasonCode, SectionId, Verdict } from '../classify/vocabulary.js';
export type { FlowRecord } from './flow-record.js';

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
  /** Payload inspection: flows whose payload was kept, bytes kept, times a cap stopped it. */
  inspection: InspectionCounts;
  /** Offline filters of `analyze` (-f, --host, --since, --until, -c); absent without any. */
  filter?: InputFilter;
  /**
   * Capture sets: files of a directory or glob that are not captures, and files named more
   * than once (same file or same content: read once). Absent when none.
   */
  skipped?: InputSkipped[];
  /** `analyze --dedup`: the window and the copies dropped (not counted in `packets`). Absent without it. */
  dedup?: InputDedup;
}

export interface InputSkipped {
  file: string;
  why: string;
}

export interface InputDedup {
  windowMs: number;
  dropped: number;
}

/**
 * What `analyze` filtered: the options as given (times resolved to UTC, `+SECONDS` too),
 * the records dropped by them, and whether -c ended reading. `packets` above counts only
 * what was kept; `details[].packets` counts records read.
 */
export interface InputFilter {
  /** -f, the BPF expression. */
  bpf: string | null;
  /** --host addresses and CIDR blocks. */
  hosts: string[];
  /** --since (inclusive), null when not given or never resolved (no packet read). */
  since: string | null;
  /** --until (exclusive). */
  until: string | null;
  /** -c. */
  count: number | null;
  /** Records read and dropped by -f, --host, --since or --until (never counted as malformed). */
  filteredOut: number;
  /** Reading stopped at the -c limit. */
  stoppedEarly: boolean;
}

export interface SectionSummary {
  id: SectionId;
  title: string;
  flows: number;
  packets: number;
  bytes: number;
  /** Flows whose verdict is failed. */
  failed: number;
  /** Flows whose verdict is warning. */
  degraded: number;
  firstSeen: string | null;
  lastSeen: string | null;
}

export interface PairSummary {
  client: string;
  server: string;
  flows: number;
  packets: number;
  bytes: number;
  /** Flows whose verdict is failed. */
  failed: number;
  /** From the flows' verdicts: failing (all failed), partial (some), degraded (warnings only), up. */
  status: ChannelStatus;
  /** Flows whose verdict is warning. */
  degraded: number;
}

/** Failed flows of one client → server pair with one reason (and one TCP outcome). */
export interface FailureSummary {
  client: string;
  server: string;
  reason: ReasonCode;
  /** The flows' TCP outcome (`flows[].state`), kept for scripts written before reasons. */
  state: FlowState | null;
  flows: number;
}

/**
 * One channel seen: a catalog entry × client → server pair, with its flows' verdicts. The
 * summary's `health` lists them failing first, then partial, degraded, up (health.ts).
 */
export interface HealthLine {
  /** The catalog entry's id. */
  entry: string;
  client: string;
  server: string;
  status: Exclude<ChannelStatus, 'not-seen'>;
  /** Most frequent reason of the failed flows, else of the flows with warnings (ties: REASONS order), else null. */
  reason: ReasonCode | null;
  flows: number;
  /** Flows whose verdict is failed. */
  failed: number;
  /** Flows whose verdict is warning. */
  degraded: number;
  /** End (last packet) of the latest flow that did not fail (ok or warning), ISO-8601 UTC. */
  lastSuccess: string | null;
  /** End (last packet) of the latest failed flow, ISO-8601 UTC. */
  lastFailure: string | null;
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
  /** Flows whose verdict is failed. */
  failed: number;
  /** failing, partial, degraded, up, or not-seen (no flows): see channelStatus. */
  status: ChannelStatus;
  /** Flows whose verdict is warning. */
  degraded: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Distinct client → server pairs, most bytes first, at most `topPairs`. */
  pairs: PairSummary[];
  /** Distinct pairs in all (pairs may be cut to the top N). */
  pairCount: number;
  /** Failed flows by who tried: client → server with the reason and outcome (top `topPairs`). */
  failures: FailureSummary[];
  /** Distinct (client, server, reason, outcome) failures in all. */
  failureCount: number;
  /** Merged summaries only (report/merge.ts): an input listed only its top pairs and failures, so pairs, pairCount, failures and failureCount are lower bounds. */
  lowerBound?: true;
}

export interface RoleAssignment {
  address: string;
  /** Roles decided for the address (empty when the traffic leaves it open: see `possible`). */
  roles: string[];
  source: 'inventory' | 'inferred';
  /** What the roles rest on, in words: the inventory, or the channels seen in the capture. */
  evidence: string[];
  /** Roles the traffic allows but does not decide (a 5007 listener with nothing else to go on). */
  possible: string[];
}

/** ICMPv6 link upkeep counted beside the non-IP frames (ARP's IPv6 counterparts). */
export interface Ipv6Infrastructure {
  kind: 'neighbor-discovery' | 'router-discovery' | 'mld';
  flows: number;
  packets: number;
  bytes: number;
}

/** One HA heartbeat channel: catalog entry × client → server (report/ha.ts). */
export interface HeartbeatSummary {
  /** The client first (the peer that pings or connects), then the server. */
  peers: [string, string];
  transport: 'icmp' | 'tcp' | 'udp' | 'ip' | 'ethertype';
  /** Catalog entry id (ICMP: the derived ha.heartbeat-icmp.1 / ha.heartbeat-icmpv6.58). */
  entry: string;
  /** Flows of the channel that carried heartbeats. */
  flows: number;
  /** Heartbeats the intervals are taken over (echo: answered requests; others: packets of both peers). */
  heartbeats: number;
  /** Intervals between heartbeats in ms; null with fewer than two. */
  intervalMs: { median: number; p99: number; max: number } | null;
  /** Echo requests no reply answered (0 for other transports). */
  unanswered: number;
  /** Silences longer than three median intervals: ISO-8601 UTC start (last heartbeat before) and end (first after). */
  gaps: { start: string; end: string; seconds: number; missed: number }[];
  /** The per-flow time log cap was hit: the figures cover the heartbeats kept. */
  capHit: boolean;
  /**
   * Merged summaries only: the channel was seen by several merged inputs, whose intervals cannot be
   * merged (medians of medians are not medians): each input's cadence side by side; intervalMs is then null.
   */
  parts?: HeartbeatPart[];
}

/** One merged input's cadence of a heartbeat channel (HeartbeatSummary.parts). */
export interface HeartbeatPart {
  flows: number;
  heartbeats: number;
  intervalMs: HeartbeatSummary['intervalMs'];
  unanswered: number;
  gaps: HeartbeatSummary['gaps'];
  capHit: boolean;
}

export interface HaSummary {
  /** ICMP heartbeats first, then by entry, client and server. */
  heartbeats: HeartbeatSummary[];
}

/** One interval of a channel's timeline (report/timeline.ts). */
export interface TimelineBucket {
  /** Start of the interval, ISO-8601 UTC (a multiple of the width since the epoch). */
  start: string;
  /** Flows open in the interval: its first packet at or before the interval's end, its last at or after its start. */
  flows: number;
  /** Flows whose first packet is in the interval. */
  started: number;
  /** Failed flows whose last packet is in the interval. */
  failed: number;
  /** Flows with a warning verdict whose last packet is in the interval. */
  warnings: number;
}

/** A silence of a long-lived session longer than its usual cadence (classify/silences.ts). */
export interface TimelineGap {
  /** The last packet before the silence, the first after it (ISO-8601 UTC). */
  start: string;
  end: string;
  seconds: number;
}

/** One channel's timeline: catalog entry × client → server, as in the health list. */
export interface TimelineChannel {
  entry: string;
  client: string;
  server: string;
  /** Intervals with anything in them, by start. */
  buckets: TimelineBucket[];
  /** Long-lived sessions only (3978, 28769, 28260, 28770, 28771, 28270); else empty. */
  gaps: TimelineGap[];
  /** Earlier intervals with something in them left out (only the latest MAX_CHANNEL_BUCKETS are listed); 0 normally. */
  clipped: number;
  /** Merged summaries only: an input had clipped this channel or left it out (--max-channels), so its intervals' counts are lower bounds. */
  lowerBound?: true;
}

export interface TimelineSummary {
  /** The width of the intervals: 1, 10, 60, 600 or 3600. */
  intervalSeconds: number;
  /** Channels in catalog order, then client and server: those of the health list (--max-channels keeps the worst). */
  channels: TimelineChannel[];
  /** Channels --max-channels left out of the timeline (those left out of the health list); absent when none. */
  channelsOmitted?: number;
}

/** Channels --max-channels left out of the health list (it keeps the worst), in all and per status. */
export interface HealthOmitted {
  channels: number;
  failing: number;
  partial: number;
  degraded: number;
  up: number;
}

export interface Summary {
  schema: 'pantap.summary.v1';
  input: InputSummary;
  sections: SectionSummary[];
  entries: EntrySummary[];
  /** Every channel seen (entry × pair), the bad news first, at most --max-channels (the worst): see HealthLine. */
  health: HealthLine[];
  /** Channels seen but left out of `health` by --max-channels, per status; absent when none. */
  healthOmitted?: HealthOmitted;
  flows: FlowRecord[];
  /** Traffic that touches no PAN device, when an inventory says which hosts are PAN devices. */
  other: { flows: number; packets: number; bytes: number };
  /** Non-IP frames matching no entry, by ethertype (0 = 802.3/LLC without SNAP). */
  nonIp: { ethertype: number; name: string; flows: number; packets: number; bytes: number }[];
  /** ICMPv6 neighbour/router discovery and MLD flows, by kind (never unexpected). */
  ipv6Infrastructure: Ipv6Infrastructure[];
  roles: RoleAssignment[];
  /** Whether `flows` lists every flow (--flows) or only unexpected, failed and warning ones. */
  allFlows: boolean;
  /** Flows the listing rule selected but --max-listed left out (most bytes kept); 0 with --flows. */
  flowsOmitted: number;
  /** HA cadence (issue 11): heartbeat intervals, unanswered echoes and gaps. */
  ha: HaSummary;
  /** The timeline (issue 11): per channel, flows per epoch-aligned interval and gaps of long-lived sessions. */
  timeline: TimelineSummary;
  /** Live capture only: where and what the kernel counted (null where the backend cannot tell). */
  capture?: {
    interface: string;
    backend: 'native' | 'cap';
    filter: string | null;
    received: number | null;
    dropped: number | null;
    ifDropped: number | null;
  };
  // --- Merge (issue 12, report/merge.ts) ---
  /** What `pantap merge` needs beyond the rendered figures to merge exactly (protobuf only; JSON leaves it out). */
  mergeState?: MergeState;
  /** Merged summaries only: how many summaries went in, and which figures are lower bounds. */
  merge?: MergeInfo;
}

/** One channel's (entry × client → server) counts that the rendered summary cuts or folds away. */
export interface ChannelState {
  entry: string;
  client: string;
  server: string;
  packets: number;
  bytes: number;
  /** Failed and warning flows per reason (the health line's reason is chosen from these). */
  reasons: { reason: ReasonCode; flows: number }[];
  /** Failed flows per reason and TCP outcome (the entry's failures before the top-N cut). */
  failures: { reason: ReasonCode; state: FlowState | null; flows: number }[];
  /**
   * The health line's counts and times (µs since the epoch, null: none), so that a channel
   * --max-channels left out of `health` still merges exactly. 0/null in summaries written before.
   */
  flows: number;
  failed: number;
  degraded: number;
  lastSuccess: number | null;
  lastFailure: number | null;
}

export interface MergeState {
  /** The flow table's overflow HyperLogLog registers (flow/table.ts): merge by maximum. */
  overflowSketch: Uint8Array;
  /** Every channel, in health-list order of entry, client, server. */
  channels: ChannelState[];
}

export interface MergeInfo {
  /** Summaries merged (a merged input counts as the summaries it was merged from). */
  summaries: number;
  /**
   * Figures that are lower bounds because an input was cut: "flows" (an input's --max-listed cut its
   * list: larger flows may be missing), "entries" (an input without merge state listed only its top
   * pairs), "timeline" (an input clipped a timeline channel, or --max-channels left it out of its timeline). The objects concerned also say `lowerBound: true`.
   */
  lowerBound: string[];
}
