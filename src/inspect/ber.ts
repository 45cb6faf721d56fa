// A small bounded BER reader (X.690) for the ASN.1 protocols pantap decodes: LDAP, Kerberos,
// SNMP. Only what those need: definite lengths (LDAP, Kerberos and SNMP all forbid the
// indefinite form), long-form lengths of up to 4 octets, tag numbers below 2^21. Every read
// is checked against a limit and never goes past it; nothing recurses, and the one generic
// walker (scanBer) keeps its own stack with a depth cap.

/** One element: where its identifier, contents and end are. */
export interface Tlv {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  cls: number;
  constructed: boolean;
  /** Tag number within the class. */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  valueStart: number;
  /** Offset just past the contents; may exceed the limit only in readHeader's answer. */
  end: number;
}

export const UNIVERSAL = 0;
export const APPLICATION = 1;
export const CONTEXT = 2;

/** Universal tag numbers used here. */
export const T = { boolean: 1, integer: 2, octetString: 4, null: 5, oid: 6, enumerated: 10, utf8String: 12, sequence: 16, set: 17, generalizedTime: 24, generalString: 27 } as const;

/** Tag numbers take at most this many octets after the first (2^21 − 1 at most). */
const MAX_TAG_OCTETS = 3;
/** Long-form lengths take at most this many octets. */
const MAX_LENGTH_OCTETS = 4;

/**
 * The header at `at`, the element's end not checked against `limit` (a stream splitter needs
 * to tell a message cut by the end of the bytes from a malformed one): 'short' when the
 * header itself does not fit before `limit`, 'bad' for what this reader refuses (indefinite
 * or over-long lengths, over-long tag numbers).
 */
export function readHeader(b: Uint8Array, at: number, limit: number): Tlv | 'short' | 'bad' {
  const lim = Math.min(limit, b.length);
  if (!(at >= 0) || at >= lim) return 'short';
  let p = at;
  const id = b[p++];
  const cls = id >> 6;
  const constructed = (id & 0x20) !== 0;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    // high tag number form: base-128, most significant first, bit 8 set on all but the last
    tag = 0;
    for (let n = 0; ; n++) {
      if (n >= MAX_TAG_OCTETS) return 'bad';
      if (p >= lim) return 'short';
      const o = b[p++];
      if (n === 0 && o === 0x80) return 'bad'; // leading zero: not minimal, refused
      tag = tag * 128 + (o & 0x7f);
      if ((o & 0x80) === 0) break;
    }
  }
  if (p >= lim) return 'short';
  const first = b[p++];
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > MAX_LENGTH_OCTETS) return 'bad'; // indefinite (0x80), too long or reserved (0xff)
    if (p + n > lim) return 'short';
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[p++];
  }
  return { cls, constructed, tag, start: at, valueStart: p, end: p + length };
}

/** The element at `at` when its header is valid and it ends at or before `limit`, else null. */
export function readTlv(b: Uint8Array, at: number, limit: number): Tlv | null {
  const h = readHeader(b, at, limit);
  if (typeof h === 'string' || h.end > Math.min(limit, b.length)) return null;
  return h;
}

/** True when `t` is the universal, application or context element with this tag and form. */
export function isTag(t: Tlv | null | undefined, cls: number, tag: number, constructed: boolean): t is Tlv {
  return t !== null && t !== undefined && t.cls === cls && t.tag === tag && t.constructed === constructed;
}

/** The first element inside a constructed one (the value of an EXPLICIT tag), or null. */
export function inner(b: Uint8Array, t: Tlv | null | undefined): Tlv | null {
  if (t === null || t === undefined || !t.constructed) return null;
  return readTlv(b, t.valueStart, t.end);
}

/** Children of a constructed element, at most `max`; stops at the first that does not read. */
export function children(b: Uint8Array, t: Tlv | null | undefined, max = 64): Tlv[] {
  const out: Tlv[] = [];
  if (t === null || t === undefined || !t.constructed) return out;
  let p = t.valueStart;
  while (p < t.end && out.length < max) {
    const c = readTlv(b, p, t.end);
    if (c === null) break;
    out.push(c);
    p = c.end;
  }
  return out;
}

/** The child with context tag [n] (either form), or null. */
export function field(kids: readonly Tlv[], n: number): Tlv | null {
  for (const k of kids) if (k.cls === CONTEXT && k.tag === n) return k;
  return null;
}

/**
 * A primitive INTEGER or ENUMERATED content (any tag: implicit tags are common) as a
 * number: two's complement of 1 to 8 octets, clamped to the safe-integer range. Null for
 * an empty, constructed or longer value.
 */
export function readInt(b: Uint8Array, t: Tlv | null | undefined): number | null {
  if (t === null || t === undefined || t.constructed) return null;
  const n = t.end - t.valueStart;
  if (n < 1 || n > 8 || t.end > b.length) return null;
  if (n <= 6) {
    let v = b[t.valueStart] >= 0x80 ? -1 : 0;
    for (let i = t.valueStart; i < t.end; i++) v = v * 256 + b[i];
    return v;
  }
  let v = BigInt.asIntN(8 * n, BigInt('0x' + Buffer.from(b.subarray(t.valueStart, t.end)).toString('hex')));
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (v > max) v = max;
  if (v < -max) v = -max;
  return Number(v);
}

/** The INTEGER inside an EXPLICIT tag ([n] INTEGER). */
export function readTaggedInt(b: Uint8Array, t: Tlv | null | undefined): number | null {
  const i = inner(b, t);
  return isTag(i, UNIVERSAL, T.integer, false) ? readInt(b, i) : null;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Characters that must not reach a report raw: C0 and C1 controls, DEL, line and paragraph
 * separators, bidirectional overrides and the BOM (they can disguise what a name says).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** `s` with unsafe characters as `\xHH` (below U+0100) or `\u{HHHH}`. */
export function escapeText(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? '\\x' + n.toString(16).padStart(2, '0') : '\\u{' + n.toString(16) + '}';
  });
}

/**
 * A primitive string's content (OCTET STRING, GeneralString, KerberosString, LDAPString...)
 * as text: UTF-8 when the bytes are valid UTF-8, else Latin-1; at most `maxBytes` octets
 * are decoded (a longer value ends with `...`); unsafe characters escaped (escapeText).
 * Backslashes are kept as they are: they are common in names (`LAB\alice`). Null when the
 * element is constructed.
 */
export function readText(b: Uint8Array, t: Tlv | null | undefined, maxBytes = 256): string | null {
  if (t === null || t === undefined || t.constructed) return null;
  const end = Math.min(t.end, b.length);
  const stop = Math.min(end, t.valueStart + maxBytes);
  return decodeText(b.subarray(t.valueStart, stop), stop < end) + (stop < end ? '...' : '');
}

function decodeText(v: Uint8Array, capped: boolean): string {
  // the cap may have cut a multi-byte sequence: then try without up to 3 trailing octets
  for (let cut = 0; cut <= (capped ? 3 : 0) && cut <= v.length; cut++) {
    try {
      return escapeText(UTF8.decode(v.subarray(0, v.length - cut)));
    } catch {
      // not UTF-8 (yet)
    }
  }
  return escapeText(Buffer.from(v).toString('latin1'));
}

/** The text inside an EXPLICIT tag ([n] KerberosString, ...), or null. */
export function readTaggedText(b: Uint8Array, t: Tlv | null | undefined, maxBytes = 256): string | null {
  return readText(b, inner(b, t), maxBytes);
}

/** OIDs longer than this (content octets) are refused. */
const MAX_OID_BYTES = 64;

/**
 * An OBJECT IDENTIFIER's content as a dotted string ('1.3.6.1.6.3.15.1.1.4.0'). Null for a
 * constructed, empty or over-long (64 octets) value, an arc not minimally encoded, above
 * 2^53, or cut.
 */
export function readOid(b: Uint8Array, t: Tlv | null | undefined): string | null {
  if (t === null || t === undefined || t.constructed) return null;
  const end = t.end;
  if (end <= t.valueStart || end - t.valueStart > MAX_OID_BYTES || end > b.length) return null;
  const arcs: number[] = [];
  let v = 0;
  let fresh = true;
  for (let p = t.valueStart; p < end; p++) {
    const o = b[p];
    if (fresh && o === 0x80) return null;
    fresh = false;
    v = v * 128 + (o & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER) return null;
    if ((o & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = v < 40 ? 0 : v < 80 ? 1 : 2;
        arcs.push(first, v - 40 * first);
      } else {
        arcs.push(v);
      }
      v = 0;
      fresh = true;
    }
  }
  return fresh ? arcs.join('.') : null;
}

/**
 * A GeneralizedTime (YYYYMMDDHHMMSS[.f]Z, as KerberosTime) as ms since the epoch, or null.
 */
export function readGeneralizedTime(b: Uint8Array, t: Tlv | null | undefined): number | null {
  if (t === null || t === undefined || t.constructed || t.end - t.valueStart > 32) return null;
  const s = Buffer.from(b.subarray(t.valueStart, Math.min(t.end, b.length))).toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d{1,9}))?Z$/.exec(s);
  if (m === null) return null;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, se) + (m[7] === undefined ? 0 : Number('0.' + m[7]) * 1000);
  return Number.isFinite(ms) ? ms : null;
}

/** What scanBer found. */
export interface BerScan {
  /** Elements read (at most maxNodes). */
  nodes: number;
  /** Deepest nesting reached (1: top-level elements only). */
  depth: number;
  /** True when [at, end) is a sequence of well-formed elements within the caps. */
  ok: boolean;
}

/**
 * Checks that [at, end) is well-formed BER, descending into constructed elements up to
 * `maxDepth` levels (deeper contents are not looked at) and reading at most `maxNodes`
 * elements. Iterative: an explicit stack, bounded by maxDepth.
 */
export function scanBer(b: Uint8Array, at: number, end: number, maxDepth = 16, maxNodes = 4096): BerScan {
  const stack: number[] = []; // ends of the open constructed elements
  let limit = Math.min(end, b.length);
  let p = Math.max(0, at);
  let nodes = 0;
  let depth = 0;
  while (true) {
    while (p >= limit && stack.length > 0) {
      if (p > limit) return { nodes, depth, ok: false };
      p = limit;
      limit = stack.pop() as number;
    }
    if (p >= limit) return { nodes, depth, ok: p === limit };
    if (nodes >= maxNodes) return { nodes, depth, ok: false };
    const t = readTlv(b, p, limit);
    if (t === null) return { nodes, depth, ok: false };
    nodes++;
    depth = Math.max(depth, stack.length + 1);
    if (t.constructed && stack.length + 1 < maxDepth) {
      stack.push(limit);
      limit = t.end;
      p = t.valueStart;
    } else {
      p = t.end;
    }
  }
}
