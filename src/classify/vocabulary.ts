// The words classification produces, defined once: a flow's transport, TCP outcome, the
// rule that chose its server side, its section, and which outcomes are failures. Reports
// import them from here; nothing here knows how they are printed.

export type SectionId = 'management' | 'ha' | 'panorama' | 'user-id' | 'unexpected';
/** A flow's section: a catalog section, unexpected, or other (touches no PAN device, with roles known). */
export type FlowSection = SectionId | 'other';
export type FlowTransport = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'ip' | 'ethertype';

/**
 * A flow's outcome, in Zeek's terms: established ~ S1, closed ~ SF, reset ~ RSTO/RSTR,
 * rejected ~ REJ (for UDP and others: answered only by ICMP errors), unanswered ~ S0,
 * midstream ~ OTH. null for flows without an outcome (non-TCP flows that were answered).
 */
export type FlowState = 'established' | 'rejected' | 'unanswered' | 'reset' | 'closed' | 'midstream';

/**
 * The outcomes that fail at the handshake (TCP rejected or unanswered, UDP answered only by
 * ICMP): the verdict before anything above the handshake is looked at (judge.ts refines it).
 */
export type FailureState = Extract<FlowState, 'rejected' | 'unanswered'>;

export function isFailureState(state: FlowState | null): state is FailureState {
  return state === 'rejected' || state === 'unanswered';
}

/** Why the server side of a flow was chosen (README, "Direction"). */
export type DirectionRule = 'handshake' | 'catalog-port' | 'well-known-port' | 'dominant-sender' | 'icmp-request' | 'first-packet';

/** Sections in report order. */
export const SECTION_ORDER: readonly SectionId[] = ['management', 'ha', 'panorama', 'user-id', 'unexpected'];

// --- Verdicts above the TCP handshake (issue 9).

/** A flow's verdict: ok (reason null), warning, or failed. */
export type Verdict = 'ok' | 'warning' | 'failed';

/**
 * Reason codes in priority order: when several apply to a flow, the first one listed wins.
 * The failed reasons come first, then the warnings. Application reasons (LDAP, Kerberos...)
 * go between `tls-alert` and `rejected`.
 */
export const REASONS = [
  'pmtu-blackhole',
  'tls-alert',
  'ldap-bind-failed',
  'ldap-error',
  'kerberos-error',
  'radius-reject',
  'snmp-error',
  'ntp-unsynchronized',
  'ntp-refused',
  'rpc-error',
  'rejected',
  'unanswered',
  'icmp-error',
  'reset-after-connect',
  'tls-incomplete',
  'unexpected-protocol',
  'no-reply',
  'heartbeat-gap',
  'certificate-expired',
  'ldap-unauthenticated-bind',
  'ntp-rate-limited',
  'syslog-format',
  'retransmissions',
  'zero-window',
] as const;
export type ReasonCode = (typeof REASONS)[number];

/** Each reason's place in REASONS (reports order and count reasons by it). */
export const REASON_RANK: ReadonlyMap<string, number> = new Map(REASONS.map((r, i) => [r, i]));

/** The verdict each reason gives. */
export const REASON_VERDICT: Readonly<Record<ReasonCode, Exclude<Verdict, 'ok'>>> = {
  'pmtu-blackhole': 'failed',
  'tls-alert': 'failed',
  'ldap-bind-failed': 'failed',
  'ldap-error': 'failed',
  'kerberos-error': 'failed',
  'radius-reject': 'failed',
  'snmp-error': 'failed',
  'ntp-unsynchronized': 'failed',
  'ntp-refused': 'failed',
  'rpc-error': 'failed',
  rejected: 'failed',
  unanswered: 'failed',
  'icmp-error': 'failed',
  'reset-after-connect': 'failed',
  'tls-incomplete': 'failed',
  'unexpected-protocol': 'failed',
  'no-reply': 'failed',
  'heartbeat-gap': 'warning',
  'certificate-expired': 'warning',
  'ldap-unauthenticated-bind': 'warning',
  'ntp-rate-limited': 'warning',
  'syslog-format': 'warning',
  retransmissions: 'warning',
  'zero-window': 'warning',
};

/** The status of an entry or a client → server pair, from its flows' verdicts. */
export type ChannelStatus = 'up' | 'degraded' | 'failing' | 'partial' | 'not-seen';

/**
 * failing: every flow failed; partial: some did; degraded: none failed, some warned; up:
 * otherwise; not-seen: no flows.
 */
export function channelStatus(flows: number, failed: number, degraded: number): ChannelStatus {
  if (flows === 0) return 'not-seen';
  if (failed === flows) return 'failing';
  if (failed > 0) return 'partial';
  return degraded > 0 ? 'degraded' : 'up';
}
