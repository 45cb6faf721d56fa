// Payload decoders: pure functions from a flow's reassembled bytes to facts. They know no
// ports and no catalog; the session decides what to run them on. None of them throws, on
// any bytes: reads are bounded, every length is checked before use, counts are capped.
//
//   const payload: FlowPayload = { client, server, flowTimeMs };  // StreamPrefix per direction
//   switch (detectApp(payload)) {
//     case 'tls':  facts = inspectTls(payload); break;   // versions, SNI, cipher, certs, alerts
//     case 'ssh':  facts = sshBanners(payload); break;   // identification lines
//     case 'http': facts = inspectHttp(payload); break;  // request and status lines
//   }
//
// A StreamPrefix is the contiguous start of one direction (bytes from the first segment on)
// with one SegmentMark per contributing segment: its offset and the capture-wide record
// number, which is how a decoder orders events of the two directions (TLS 1.3 completion).
export { emptyStream, prefixFromSegments, recordAt } from './stream.js';
export type { FlowPayload, SegmentMark, StreamPrefix } from './stream.js';
export { DATAGRAM_DETECTORS, DETECT_BYTES, DETECTORS, detectApp } from './detect.js';
export type { AppName, Detector } from './detect.js';
export { alertDescriptionName, cipherSuiteName, inspectTls, looksLikeTls, tlsVersionName } from './tls.js';
export type { TlsAlert, TlsFacts, TlsOptions, TlsSide, TlsVersion } from './tls.js';
export { certificateFacts, rfc4514FromNode } from './x509.js';
export type { CertificateFacts } from './x509.js';
export { looksLikeSsh, parseSshIdentification, sshBanners } from './ssh.js';
export type { SshBanners, SshIdentification } from './ssh.js';
export { inspectHttp, looksLikeHttpRequest, looksLikeHttpResponse, parseHttpRequestLine, parseHttpStatusLine } from './http.js';
export type { HttpFacts, HttpRequestLine, HttpStatusLine } from './http.js';
export type { AppMessage } from './datagram.js';
export { inspectRadius, looksLikeRadius, radiusCodeName } from './radius.js';
export type { RadiusFacts, RadiusResponseCode } from './radius.js';
export { inspectNtp, looksLikeNtp, ntpModeName } from './ntp.js';
export type { NtpFacts, NtpMode } from './ntp.js';
export { inspectSyslogMessages, inspectSyslogStream, looksLikeSyslog, SYSLOG_FACILITIES, SYSLOG_SEVERITIES, SYSLOG_USERID_MAX_BYTES } from './syslog.js';
export type { SyslogFacts, SyslogFormat, SyslogFraming } from './syslog.js';
export { inspectRpcStream, looksLikeDcerpc, looksLikeDcerpcResponse, rpcRejectReasonName, rpcStatusName } from './dcerpc.js';
export type { RpcFacts } from './dcerpc.js';
export { AD_DATA_CODES, inspectLdapMessages, inspectLdapStream, LDAP_RESULT_NAMES, ldapResultName, looksLikeLdap, STARTTLS_OID } from './ldap.js';
export type { LdapBind, LdapError, LdapFacts } from './ldap.js';
export { inspectKerberosMessages, inspectKerberosStream, KRB_ERROR_NAMES, krbErrorName, looksLikeKerberos, normalStep } from './kerberos.js';
export type { KerberosFacts, KrbMessageType } from './kerberos.js';
export { inspectSnmp, looksLikeSnmp, SNMP_ERROR_STATUS_NAMES, SNMP_REPORT_NAMES, snmpErrorStatusName } from './snmp.js';
export type { SnmpFacts, SnmpVersion } from './snmp.js';
