// Which application protocol a flow speaks, from its first payload bytes — never from its
// ports (the port only says what was expected there). A table of detectors, tried in order;
// a protocol is added with one entry.
import { looksLikeDcerpc, looksLikeDcerpcResponse } from './dcerpc.js';
import { looksLikeHttpRequest, looksLikeHttpResponse } from './http.js';
import { looksLikeKerberos } from './kerberos.js';
import { looksLikeLdap } from './ldap.js';
import { looksLikeNtp } from './ntp.js';
import { looksLikeRadius } from './radius.js';
import { looksLikeSnmp } from './snmp.js';
import { looksLikeSsh } from './ssh.js';
import { looksLikeSyslog } from './syslog.js';
import type { FlowPayload } from './stream.js';
import { looksLikeTls } from './tls.js';

import type { AppName } from '../catalog/schema.js';

export type { AppName } from '../catalog/schema.js';

export interface Detector {
  app: AppName;
  /**
   * Tests the client's first bytes. Null when the protocol cannot be told from them (the
   * server speaks first).
   */
  client: ((first: Uint8Array) => boolean) | null;
  /**
   * Tests the server's first bytes, or null. Used when the client sent nothing (a one-sided
   * capture or a server that speaks first), and always when `serverFirst` is set.
   */
  server: ((first: Uint8Array) => boolean) | null;
  /** The server's greeting alone identifies the protocol, whatever the client sent. */
  serverFirst: boolean;
}

const kerberosTcp = (b: Uint8Array) => looksLikeKerberos(b, true);
const kerberosUdp = (b: Uint8Array) => looksLikeKerberos(b, false);

/** TCP streams, in priority order: the first detector that matches wins. */
export const DETECTORS: readonly Detector[] = [
  { app: 'tls', client: looksLikeTls, server: looksLikeTls, serverFirst: false },
  { app: 'ssh', client: looksLikeSsh, server: looksLikeSsh, serverFirst: true },
  { app: 'http', client: looksLikeHttpRequest, server: looksLikeHttpResponse, serverFirst: false },
  { app: 'ldap', client: looksLikeLdap, server: looksLikeLdap, serverFirst: false },
  { app: 'kerberos', client: kerberosTcp, server: kerberosTcp, serverFirst: false },
  { app: 'dcerpc', client: looksLikeDcerpc, server: looksLikeDcerpcResponse, serverFirst: false },
  { app: 'syslog', client: looksLikeSyslog, server: null, serverFirst: false },
];

/**
 * UDP flows, tried on each side's first datagram. NTP's test is the loosest (about 2 % of
 * random 48-byte payloads pass it), so it comes last.
 */
export const DATAGRAM_DETECTORS: readonly Detector[] = [
  { app: 'kerberos', client: kerberosUdp, server: kerberosUdp, serverFirst: false },
  { app: 'snmp', client: looksLikeSnmp, server: looksLikeSnmp, serverFirst: false },
  { app: 'ldap', client: looksLikeLdap, server: looksLikeLdap, serverFirst: false },
  { app: 'radius', client: looksLikeRadius, server: looksLikeRadius, serverFirst: false },
  { app: 'syslog', client: looksLikeSyslog, server: null, serverFirst: false },
  { app: 'ntp', client: looksLikeNtp, server: looksLikeNtp, serverFirst: false },
];

/** Detectors look at most this many bytes of each direction. */
export const DETECT_BYTES = 16384;

/** The first DETECT_BYTES of `b` (itself when it is no longer). */
function head(b: Uint8Array): Uint8Array {
  return b.length > DETECT_BYTES ? b.subarray(0, DETECT_BYTES) : b;
}

/** The application protocol of a flow, or null when no detector recognises its bytes. */
export function detectApp(payload: FlowPayload, detectors: readonly Detector[] = DETECTORS): AppName | null {
  // Every flow with payload comes here once: no view where the bytes are short enough
  // already (kept prefixes are at most 16 KiB by default), no iterator.
  const client = head(payload.client.bytes);
  const server = head(payload.server.bytes);
  for (let i = 0; i < detectors.length; i++) {
    const d = detectors[i];
    if (client.length > 0 && d.client !== null && d.client(client)) return d.app;
    if (server.length > 0 && d.server !== null && (d.serverFirst || client.length === 0) && d.server(server)) return d.app;
  }
  return null;
}
