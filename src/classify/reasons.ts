// The reasons judge() finds for one flow, each with its evidence, and the first of them in
// the order of REASONS (the one the flow gets). A bit per reason and one slot per reason
// instead of a Map: a Map's clear() allocates a new table, and finding the first reason was
// a lookup per reason (24 per flow), for every flow of a run.
import { REASONS, type ReasonCode } from './vocabulary.js';

/** Each reason's bit: its place in REASONS (a literal, so that each call site's lookup of its constant key is cached). */
const BIT: { readonly [R in ReasonCode]: number } = {
  'pmtu-blackhole': 0,
  'tls-alert': 1,
  'ldap-bind-failed': 2,
  'ldap-error': 3,
  'kerberos-error': 4,
  'radius-reject': 5,
  'snmp-error': 6,
  'ntp-unsynchronized': 7,
  'ntp-refused': 8,
  'rpc-error': 9,
  rejected: 10,
  unanswered: 11,
  'icmp-error': 12,
  'reset-after-connect': 13,
  'tls-incomplete': 14,
  'unexpected-protocol': 15,
  'no-reply': 16,
  'heartbeat-gap': 17,
  'certificate-expired': 18,
  'ldap-unauthenticated-bind': 19,
  'ntp-rate-limited': 20,
  'syslog-format': 21,
  retransmissions: 22,
  'zero-window': 23,
};

/** Whether BIT gives every reason its place in REASONS (a test holds the two together). */
export function bitsMatchReasons(): boolean {
  return REASONS.length <= 32 && REASONS.every((r, i) => BIT[r] === i) && Object.keys(BIT).length === REASONS.length;
}

/** The reasons found for a flow: set() as a Map's (a second text for a reason replaces the first). */
export class FoundReasons {
  private bits = 0;
  private readonly text: string[] = REASONS.map(() => '');

  /** Forgets every reason (the texts stay until replaced: only a set bit's text is read). */
  clear(): void {
    this.bits = 0;
  }

  set(reason: ReasonCode, detail: string): void {
    const b = BIT[reason];
    this.bits |= 1 << b;
    this.text[b] = detail;
  }

  has(reason: ReasonCode): boolean {
    return ((this.bits >>> BIT[reason]) & 1) === 1;
  }

  /** The first reason found in the order of REASONS; null when none. */
  first(): ReasonCode | null {
    const bits = this.bits;
    return bits === 0 ? null : REASONS[31 - Math.clz32(bits & -bits)];
  }

  /** The evidence of a reason found. */
  detail(reason: ReasonCode): string {
    return this.text[BIT[reason]];
  }
}
