// The values of the offline filter options, parsed strictly: an address or CIDR block
// (--host) and a time bound (--since/--until: ISO-8601 with a zone, or +SECONDS from the
// first packet). Each parser returns the form the filter loop uses, or throws an
// ArgumentError saying what is wrong with the text.
import { isIPv4, isIPv6 } from 'node:net';
import { ArgumentError } from '../errors.js';
import type { HostRange, TimeBound } from './filter.js';

/** `10.1.2.3`, `10.0.0.0/8`, `2001:db8::1`, `2001:db8::/32`. */
export function parseHostRange(text: string): HostRange {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
  const ip = m?.[1] ?? '';
  const family = isIPv4(ip) ? 4 : isIPv6(ip) && !ip.includes('%') ? 6 : 0;
  if (m === null || family === 0) throw new ArgumentError(`not an IPv4 or IPv6 address or CIDR block: '${text}'`);
  const bits = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? bits : Number(m[2]);
  if (prefix > bits || (m[2] !== undefined && m[2].length > 1 && m[2].startsWith('0'))) throw new ArgumentError(`'${text}': the prefix length must be 0 to ${bits}`);
  const addr = family === 4 ? ipv4Words(ip) : ipv6Words(ip);
  const mask = new Uint32Array(4);
  for (let w = 0; w < 4; w++) {
    const left = prefix - w * 32;
    mask[w] = left >= 32 ? 0xffffffff : left <= 0 ? 0 : (0xffffffff << (32 - left)) >>> 0;
  }
  // IPv4 lives in word 0 only (the decoder's layout): the other words must match as zeros.
  if (family === 4) mask.set([mask[0], 0, 0, 0]);
  for (let w = 0; w < 4; w++) {
    if ((addr[w] & ~mask[w]) >>> 0 !== 0) throw new ArgumentError(`'${text}' has host bits set past the /${prefix} prefix`);
  }
  return { text, family, addr, mask };
}

function ipv4Words(ip: string): Uint32Array {
  const [a, b, c, d] = ip.split('.').map(Number);
  return Uint32Array.of(((a << 24) | (b << 16) | (c << 8) | d) >>> 0, 0, 0, 0);
}

/** Big-endian words of an IPv6 address (node:net has checked its syntax). */
function ipv6Words(ip: string): Uint32Array {
  let text = ip;
  // A trailing dotted quad (::ffff:10.0.0.1) is the last two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad !== null) {
    const v4 = ipv4Words(quad[1])[0];
    text = `${text.slice(0, quad.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head === '' ? [] : head.split(':');
  const t = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const words = new Uint32Array(4);
  for (let w = 0; w < 4; w++) words[w] = ((parseInt(groups[2 * w], 16) << 16) | parseInt(groups[2 * w + 1], 16)) >>> 0;
  return words;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;
const RELATIVE = /^\+(\d{1,10})(?:\.(\d{1,9}))?$/;

/**
 * `2026-11-24T10:13:46Z`, `2026-11-24 10:13:46.5+01:00`, `2026-11-24T10:13+0100` (a zone is
 * required: a capture's times are UTC, a local time would be a guess), or `+SECONDS`
 * (`+90`, `+0.25`) from the first packet read.
 */
export function parseTimeBound(text: string): TimeBound {
  const rel = RELATIVE.exec(text);
  if (rel !== null) return { relative: true, sec: Number(rel[1]), nsec: Number((rel[2] ?? '').padEnd(9, '0')) };
  const m = ISO_TIME.exec(text);
  if (m === null) {
    const hint = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? ' (add a zone: Z or +HH:MM)' : '';
    throw new ArgumentError(`not an ISO-8601 time with a zone or +SECONDS: '${text}'${hint}`);
  }
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((k) => Number(m[k] ?? 0));
  const [offH, offM] = [Number(m[10] ?? 0), Number(m[11] ?? 0)];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Date.UTC rolls over (Feb 30 → Mar 2): a field out of range shows as a different date.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59 || offH > 23 || offM > 59) {
    throw new ArgumentError(`not a valid time: '${text}'`);
  }
  const sec = (ms - (m[9] === '-' ? -1 : 1) * (offH * 60 + offM) * 60_000) / 1000;
  if (sec < 0 || sec > 0xffffffff) throw new ArgumentError(`'${text}' is outside the times a capture can hold (1970 to 2106)`);
  return { relative: false, sec, nsec: Number((m[7] ?? '').padEnd(9, '0')) };
}
