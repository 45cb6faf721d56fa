// What a flow's payload and TCP packets showed, in the words of the JSON contract
// (issue 9): per-side facts named client/server, TLS and SSH facts, and the payload
// inspection counters of a run. Classification fills them; reports print them as they are.
import type { ZeekConnState } from '../flow/tcp-health.js';
import type { TlsVersion } from '../inspect/tls.js';

import type { AppName } from '../catalog/schema.js';
import type { ReasonCode, Verdict } from './vocabulary.js';

export type { AppName } from '../catalog/schema.js';

/** A flow's verdict and what its payload and TCP packets showed: the same keys in a classified flow and a report's flow record. */
export interface FlowVerdictFacts {
  /** Application detected from the payload (null: none recognised, or no payload kept). */
  app: AppName | null;
  verdict: Verdict;
  /** Why the verdict is not ok; null when it is. */
  reason: ReasonCode | null;
  /** The reason in one line of plain words with its evidence; null when ok. */
  detail: string | null;
  /** Community ID v1 (`1:…`); null for non-IP flows. */
  communityId: string | null;
  /** TCP facts (Zeek conn_state and history, per-side counters); null for other transports. */
  tcp: TcpFacts | null;
  /** TLS facts when the payload was TLS. */
  tls: TlsRecord | null;
  /** SSH identification lines when the payload was SSH. */
  ssh: SshRecord | null;
  // Application facts (issue 10): each set when the payload was that protocol.
  ldap: LdapRecord | null;
  kerberos: KerberosRecord | null;
  radius: RadiusRecord | null;
  snmp: SnmpRecord | null;
  ntp: NtpRecord | null;
  syslog: SyslogRecord | null;
  rpc: RpcRecord | null;
}

/** The application records of a flow whose payload showed none of them. */
export const NO_APP_RECORDS = { ldap: null, kerberos: null, radius: null, snmp: null, ntp: null, syslog: null, rpc: null } as const satisfies Pick<
  FlowVerdictFacts,
  'ldap' | 'kerberos' | 'radius' | 'snmp' | 'ntp' | 'syslog' | 'rpc'
>;

/** LDAP: the deciding result (a failed bind first), its RFC 4511 name and diagnostic message. */
export interface LdapRecord {
  resultCode: number | null;
  resultName: string | null;
  diagnostic: string | null;
  /** DN of the (first) bind; never the password. */
  bindDN: string | null;
  /** LDAP requests the client sent (in the bytes kept). */
  operations: number;
}

/** Kerberos: the deciding message; errorCode and errorName from a KRB-ERROR (RFC 4120 7.5.9). */
export interface KerberosRecord {
  errorCode: number | null;
  errorName: string | null;
  realm: string | null;
  /** Client principal, name components joined by '/'. */
  client: string | null;
  /** AS-REQ, AS-REP, TGS-REQ, TGS-REP or KRB-ERROR. */
  messageType: string | null;
}

export interface RadiusRecord {
  /** The last response to an Access-Request. */
  code: 'Access-Accept' | 'Access-Reject' | 'Access-Challenge' | null;
  requests: number;
  responses: number;
}

export interface SnmpRecord {
  version: 'v1' | 'v2c' | 'v3';
  requests: number;
  responses: number;
  /** First non-zero error-status of a response; 0 when responses were all fine; null without a response. */
  errorStatus: number | null;
  /** The deciding v3 Report PDU's counter name (usmStatsUnknownUserNames...). */
  report: string | null;
}

export interface NtpRecord {
  mode: string;
  version: number;
  /** As on the wire (0: unspecified or kiss-o'-death). */
  stratum: number;
  leap: number;
  refId: string;
  kissCode: string | null;
  /** Server clock minus client clock, estimated with capture times for the client's; null without a request/reply pair. */
  offsetMs: number | null;
}

export interface SyslogRecord {
  format: 'rfc5424' | 'rfc3164' | 'unknown';
  /** TCP framing (RFC 6587); null over UDP. */
  framing: 'octet-counted' | 'lf' | null;
  messages: number;
  /** Messages over 8000 bytes (the User-ID syslog limit). */
  oversize: number;
}

export interface RpcRecord {
  /** A bind to the endpoint mapper interface. */
  endpointMapper: boolean;
  /** The TCP port the endpoint mapper handed out. */
  dynamicPort: number | null;
  /** ok, or the bind_nak / fault / ept_map status. */
  status: string | null;
}

export interface SidePair<T> {
  client: T;
  server: T;
}

export interface TcpFacts {
  /** Zeek conn.log conn_state. */
  connState: ZeekConnState;
  /** Zeek conn.log history (upper case: the originator, the side that sent the first packet). */
  history: string;
  /** Frames tshark's tcp.analysis.retransmission matches, per sender. */
  retransmissions: SidePair<number>;
  /** Segments advertising a zero window, per sender. */
  zeroWindows: SidePair<number>;
  duplicateAcks: SidePair<number>;
  /** Handshake halves in ms; null without a SYN-ACK. */
  rttMs: { synToSynAck: number | null; synAckToAck: number | null } | null;
  mss: SidePair<number | null>;
  /** Largest TCP payload of one segment, bytes. */
  maxSegment: SidePair<number>;
}

export interface CertificateRecord {
  /** RFC 4514 strings; null when the DER did not parse. */
  subject: string | null;
  issuer: string | null;
  /** ISO-8601 UTC, `2029-02-28T11:26:20Z`. */
  notBefore: string | null;
  notAfter: string | null;
  /** SHA-256 of the DER, 64 lowercase hex digits. */
  sha256: string;
  /** Whole days from the flow's first packet to notAfter; negative once expired. */
  daysLeft: number | null;
}

export type TlsAlertRecord =
  | { encrypted: false; level: 'warning' | 'fatal' | 'unknown'; description: string; from: 'client' | 'server' }
  | { encrypted: true; from: 'client' | 'server' };

export interface TlsRecord {
  version: TlsVersion | null;
  sni: string | null;
  alpn: string[];
  cipher: string | null;
  established: boolean;
  alert: TlsAlertRecord | null;
  serverCertificate: CertificateRecord | null;
  clientCertificate: CertificateRecord | null;
}

export interface SshRecord {
  clientBanner: string | null;
  serverBanner: string | null;
}

/** A run's payload inspection: flows whose payload was kept, bytes kept, cap hits. */
export interface InspectionCounts {
  /** Flows with payload bytes kept for a decoder. */
  flows: number;
  /** Payload bytes kept (the sum of the reassembled prefixes). */
  bytesKept: number;
  /** Times a per-flow or the global cap stopped keeping bytes. */
  capHit: number;
}
