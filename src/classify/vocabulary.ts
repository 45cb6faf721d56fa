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

/** The outcomes that are failed attempts; `entries[].failures[].state` takes these names. */
export type FailureState = Extract<FlowState, 'rejected' | 'unanswered'>;

export function isFailureState(state: FlowState | null): state is FailureState {
  return state === 'rejected' || state === 'unanswered';
}

/** Why the server side of a flow was chosen (README, "Direction"). */
export type DirectionRule = 'handshake' | 'catalog-port' | 'well-known-port' | 'dominant-sender' | 'first-packet';

/** Sections in report order. */
export const SECTION_ORDER: readonly SectionId[] = ['management', 'ha', 'panorama', 'user-id', 'unexpected'];
