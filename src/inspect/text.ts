// Turning attacker-chosen bytes into strings that are safe to print and to put in reports:
// printable ASCII is kept, everything else becomes \xHH, and the length is capped.

const HEX = '0123456789abcdef';

/**
 * Bytes [start, end) as printable ASCII: 0x20-0x7e are kept except backslash; backslash and
 * every other byte become `\xHH`, so the text is unambiguous and one escape form exists. At
 * most `maxBytes` input bytes are converted; a longer range ends with `...`.
 */
export function escapeAscii(bytes: Uint8Array, start: number, end: number, maxBytes = 1024): string {
  const from = Math.max(0, start);
  const to = Math.min(bytes.length, end);
  const stop = Math.min(to, from + maxBytes);
  let out = '';
  for (let i = from; i < stop; i++) {
    const b = bytes[i];
    if (b >= 0x20 && b <= 0x7e && b !== 0x5c) out += String.fromCharCode(b);
    else out += '\\x' + HEX[b >> 4] + HEX[b & 15];
  }
  return stop < to ? out + '...' : out;
}

/** Index of the first `value` byte in [start, end), or -1. */
export function indexOfByte(bytes: Uint8Array, value: number, start: number, end: number): number {
  const to = Math.min(bytes.length, end);
  for (let i = Math.max(0, start); i < to; i++) if (bytes[i] === value) return i;
  return -1;
}

/** True when bytes at `at` equal the ASCII string `s` (all of it within the bytes). */
export function startsWithAscii(bytes: Uint8Array, at: number, s: string): boolean {
  if (at < 0 || at + s.length > bytes.length) return false;
  for (let i = 0; i < s.length; i++) if (bytes[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * Whether the bytes read as text lines: at least 4, none below 0x20 but tab, CR and LF
 * (bytes from 0x80 up are allowed: UTF-8).
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
    if (b === 0x7f) return false;
  }
  return true;
}

/** Bytes [start, end) as lowercase hex digits, two per byte. */
export function hexBytes(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = Math.max(0, start); i < Math.min(b.length, end); i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}
