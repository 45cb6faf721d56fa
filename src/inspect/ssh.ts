// SSH identification strings (RFC 4253 §4.2): each side starts with
// "SSH-protoversion-softwareversion SP comments CR LF", at most 255 characters with the CR LF.
// The server may send other lines first (none starting with "SSH-"); the client may not.
import type { FlowPayload } from './stream.js';
import { escapeAscii, indexOfByte, startsWithAscii } from './text.js';

export interface SshBanners {
  /** The identification line without CR LF, printable ASCII (`\xHH` for other bytes). */
  clientBanner: string | null;
  serverBanner: string | null;
}

export interface SshIdentification {
  /** The whole line without CR LF, escaped as in SshBanners. */
  banner: string;
  /** "2.0", "1.99", ... */
  protoVersion: string;
  softwareVersion: string;
  /** Text after the first space, or null. */
  comments: string | null;
  /** Lines the server sent before it. */
  linesBefore: number;
}

/** RFC 4253: the identification line, CR LF included, is at most 255 characters. */
const MAX_IDENT = 255;
/** Lines before the identification: RFC 4253 sets no limit; these bound the search. */
const MAX_LINES_BEFORE = 32;
const MAX_LINE_BEFORE = 1024;

/** Both sides' identification lines (server: after any lines before it). */
export function sshBanners(payload: FlowPayload): SshBanners {
  return {
    clientBanner: parseSshIdentification(payload.client.bytes, false)?.banner ?? null,
    serverBanner: parseSshIdentification(payload.server.bytes, true)?.banner ?? null,
  };
}

/**
 * The identification line at the start of `bytes` (after up to 32 other lines when
 * `linesBefore` is allowed, as for a server), or null. The line must end with LF (CR LF per
 * the RFC; a bare LF is accepted as OpenSSH does) within 255 bytes.
 */
export function parseSshIdentification(bytes: Uint8Array, allowLinesBefore: boolean): SshIdentification | null {
  let start = 0;
  for (let line = 0; line <= MAX_LINES_BEFORE; line++) {
    if (startsWithAscii(bytes, start, 'SSH-')) return identification(bytes, start, line);
    if (!allowLinesBefore || start >= bytes.length) return null;
    const lf = indexOfByte(bytes, 0x0a, start, start + MAX_LINE_BEFORE);
    if (lf < 0) return null;
    start = lf + 1;
  }
  return null;
}

function identification(bytes: Uint8Array, start: number, linesBefore: number): SshIdentification | null {
  const lf = indexOfByte(bytes, 0x0a, start, start + MAX_IDENT);
  if (lf < 0) return null;
  const end = lf > start && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
  // protoversion and softwareversion: printable, no space, no minus (the first two dashes
  // after "SSH-" delimit them); comments follow the first space
  const protoStart = start + 4;
  const dash = indexOfByte(bytes, 0x2d, protoStart, end);
  if (dash <= protoStart) return null;
  const space = indexOfByte(bytes, 0x20, dash + 1, end);
  const softEnd = space < 0 ? end : space;
  if (softEnd <= dash + 1) return null;
  for (let i = protoStart; i < softEnd; i++) if (bytes[i] <= 0x20 || bytes[i] >= 0x7f) return null;
  return {
    banner: escapeAscii(bytes, start, end, MAX_IDENT),
    protoVersion: escapeAscii(bytes, protoStart, dash, MAX_IDENT),
    softwareVersion: escapeAscii(bytes, dash + 1, softEnd, MAX_IDENT),
    comments: space < 0 ? null : escapeAscii(bytes, space + 1, end, MAX_IDENT),
    linesBefore,
  };
}

/** Content detection: "SSH-" and a digit (the protocol version) at the start. */
export function looksLikeSsh(first: Uint8Array): boolean {
  return startsWithAscii(first, 0, 'SSH-') && first.length > 4 && first[4] >= 0x30 && first[4] <= 0x39;
}
