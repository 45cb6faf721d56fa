// The bounded BER reader (X.690 subset).
import { describe, expect, it } from 'vitest';
import {
  children,
  escapeText,
  field,
  inner,
  isTag,
  readGeneralizedTime,
  readHeader,
  readInt,
  readOid,
  readTaggedInt,
  readText,
  readTlv,
  scanBer,
  T,
  UNIVERSAL,
} from '../../src/inspect/ber.js';
import { ascii, bytes, cat, ctx, gtime, int, octets, oid, seq, tlv } from './asn1-build.js';

const whole = (b: Uint8Array) => readTlv(b, 0, b.length);

describe('readHeader', () => {
  it('reads short and long-form lengths, classes and forms', () => {
    expect(readHeader(bytes(0x30, 0x03, 2, 1, 5), 0, 5)).toEqual({ cls: 0, constructed: true, tag: 16, start: 0, valueStart: 2, end: 5 });
    expect(readHeader(bytes(0x30, 0x84, 0, 0, 1, 0), 0, 6)).toEqual({ cls: 0, constructed: true, tag: 16, start: 0, valueStart: 6, end: 262 });
    expect(readHeader(bytes(0x30, 0x81, 0x80), 0, 3)).toMatchObject({ valueStart: 3, end: 131 });
    expect(readHeader(bytes(0x7e, 0x00), 0, 2)).toMatchObject({ cls: 1, constructed: true, tag: 30 });
    expect(readHeader(bytes(0x8a, 0x00), 0, 2)).toMatchObject({ cls: 2, constructed: false, tag: 10 });
    expect(readHeader(bytes(0xfe, 0x00), 0, 2)).toMatchObject({ cls: 3, constructed: true, tag: 30 });
  });

  it('reads high tag numbers up to three octets and refuses longer ones', () => {
    expect(readHeader(bytes(0x9f, 0x21, 0x00), 0, 3)).toMatchObject({ cls: 2, tag: 33, valueStart: 3, end: 3 });
    expect(readHeader(bytes(0x1f, 0x81, 0x00, 0x00), 0, 4)).toMatchObject({ tag: 128 });
    expect(readHeader(bytes(0x1f, 0xff, 0xff, 0x7f, 0x00), 0, 5)).toMatchObject({ tag: 2 ** 21 - 1 });
    expect(readHeader(bytes(0x1f, 0x81, 0x81, 0x81, 0x01, 0x00), 0, 6)).toBe('bad');
    expect(readHeader(bytes(0x1f, 0x80, 0x01, 0x00), 0, 4)).toBe('bad');
    expect(readHeader(bytes(0x1f, 0x81), 0, 2)).toBe('short');
  });

  it('refuses indefinite and over-long lengths, tells a short header', () => {
    expect(readHeader(bytes(0x30, 0x80, 0, 0), 0, 4)).toBe('bad');
    expect(readHeader(bytes(0x30, 0x85, 1, 0, 0, 0, 0), 0, 7)).toBe('bad');
    expect(readHeader(bytes(0x30, 0xff), 0, 2)).toBe('bad');
    expect(readHeader(bytes(0x30, 0x84, 0, 0), 0, 4)).toBe('short');
    expect(readHeader(bytes(0x30), 0, 1)).toBe('short');
    expect(readHeader(bytes(0x30, 0x01, 0x00), 0, 1)).toBe('short'); // the limit, not the buffer
    expect(readHeader(bytes(0x30, 0x01), 2, 2)).toBe('short');
    expect(readHeader(bytes(0x30, 0x01), -1, 2)).toBe('short');
    expect(readHeader(bytes(0x30, 0x01), NaN, 2)).toBe('short');
  });

  it('gives the end even past the limit; readTlv does not', () => {
    const b = bytes(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02);
    expect(readHeader(b, 0, b.length)).toMatchObject({ end: 6 + 0xffffffff });
    expect(readTlv(b, 0, b.length)).toBeNull();
    expect(readTlv(bytes(0x04, 0x02, 0x41, 0x42), 0, 3)).toBeNull();
    expect(readTlv(bytes(0x04, 0x02, 0x41, 0x42), 0, 99)).toMatchObject({ end: 4 });
  });
});

describe('children, field, inner', () => {
  it('lists children within the parent, stops at a broken one, caps the count', () => {
    const b = seq(int(1), octets('ab'), ctx(3, int(7)));
    const kids = children(b, whole(b));
    expect(kids.map((k) => [k.cls, k.tag])).toEqual([[0, 2], [0, 4], [2, 3]]);
    expect(readTaggedInt(b, field(kids, 3))).toBe(7);
    expect(field(kids, 4)).toBeNull();
    expect(children(b, whole(b), 2)).toHaveLength(2);
    // a child claiming more than the parent holds ends the list
    const broken = tlv(0x30, cat(int(1), bytes(0x04, 0x09, 0x41)));
    expect(children(broken, whole(broken))).toHaveLength(1);
    expect(children(b, kids[0])).toEqual([]); // primitive
    expect(inner(b, kids[0])).toBeNull();
    expect(isTag(inner(b, kids[2]), UNIVERSAL, T.integer, false)).toBe(true);
  });
});

describe('readInt', () => {
  const v = (b: Uint8Array) => readInt(b, whole(b));
  it('reads two\'s complement of 1 to 8 octets, clamped to the safe range', () => {
    expect(v(int(0))).toBe(0);
    expect(v(int(127))).toBe(127);
    expect(v(int(128))).toBe(128);
    expect(v(int(-1))).toBe(-1);
    expect(v(int(-129))).toBe(-129);
    expect(v(int(2 ** 31 - 1))).toBe(2 ** 31 - 1);
    expect(v(int(-(2 ** 31)))).toBe(-(2 ** 31));
    expect(v(int(2 ** 47))).toBe(2 ** 47);
    expect(v(tlv(0x02, bytes(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))).toBe(Number.MAX_SAFE_INTEGER);
    expect(v(tlv(0x02, bytes(0x80, 0, 0, 0, 0, 0, 0, 0)))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(v(tlv(0x02, bytes(0x00, 0x01, 0, 0, 0, 0, 0)))).toBe(2 ** 40);
  });
  it('refuses empty, 9-octet and constructed values', () => {
    expect(v(bytes(0x02, 0x00))).toBeNull();
    expect(v(tlv(0x02, new Uint8Array(9)))).toBeNull();
    expect(v(tlv(0x22, int(1)))).toBeNull();
    expect(readInt(bytes(0x02, 0x01, 0x05), null)).toBeNull();
  });
});

describe('readText', () => {
  const s = (b: Uint8Array, max?: number) => readText(b, whole(b), max);
  it('decodes UTF-8, else Latin-1, and escapes controls', () => {
    expect(s(octets('cn=Ünïcode,dc=lab'))).toBe('cn=Ünïcode,dc=lab');
    expect(s(octets(bytes(0x4a, 0xe9, 0x72)))).toBe('Jér'); // not UTF-8: Latin-1
    expect(s(octets('a\r\nb\u0000\u202ec\u0085'))).toBe('a\\x0d\\x0ab\\x00\\u{202e}c\\x85');
    expect(s(octets('LAB\\alice'))).toBe('LAB\\alice');
    expect(s(octets(bytes(0xef, 0xbb, 0xbf, 0x41)))).toBe('\\u{feff}A');
    expect(s(octets(''))).toBe('');
    expect(readText(seq(), whole(seq()))).toBeNull();
  });
  it('caps the length, without cutting a character in two', () => {
    expect(s(octets('abcdef'), 4)).toBe('abcd...');
    expect(s(octets('abcé'), 4)).toBe('abc...'); // é is 2 octets: the cap falls inside it
    expect(s(octets('a'.repeat(10_000)))).toHaveLength(259);
  });
  it('escapeText leaves printable text alone', () => {
    expect(escapeText('CN=fw1, O=Lab')).toBe('CN=fw1, O=Lab');
  });
});

describe('readOid', () => {
  const o = (b: Uint8Array) => readOid(b, whole(b));
  it('gives the dotted form', () => {
    expect(o(oid('1.3.6.1.6.3.15.1.1.4.0'))).toBe('1.3.6.1.6.3.15.1.1.4.0');
    expect(o(oid('2.999.3'))).toBe('2.999.3');
    expect(o(oid('0.9.2342.19200300.100.1.25'))).toBe('0.9.2342.19200300.100.1.25');
    expect(o(oid('1.3.6.1.4.1.25461.2.1.2.1.19.0'))).toBe('1.3.6.1.4.1.25461.2.1.2.1.19.0');
  });
  it('refuses empty, cut, non-minimal, huge and over-long values', () => {
    expect(o(bytes(0x06, 0x00))).toBeNull();
    expect(o(bytes(0x06, 0x02, 0x2b, 0x86))).toBeNull(); // last arc unfinished
    expect(o(bytes(0x06, 0x03, 0x2b, 0x80, 0x01))).toBeNull(); // leading 0x80
    expect(o(tlv(0x06, bytes(0x2b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)))).toBeNull();
    expect(o(tlv(0x06, new Uint8Array(65).fill(1)))).toBeNull();
    expect(o(tlv(0x06, new Uint8Array(64).fill(1)))).toBe('0.1' + '.1'.repeat(63));
  });
});

describe('readGeneralizedTime', () => {
  const g = (s: string) => {
    const b = gtime(s);
    return readGeneralizedTime(b, whole(b));
  };
  it('reads KerberosTime and fractions', () => {
    expect(g('20260115093000Z')).toBe(Date.UTC(2026, 0, 15, 9, 30, 0));
    expect(g('20260115093000.25Z')).toBe(Date.UTC(2026, 0, 15, 9, 30, 0) + 250);
  });
  it('refuses other forms', () => {
    for (const bad of ['20260115093000', '2026011509300Z', '20261315093000Z', '20260115243000Z', 'x0260115093000Z', '']) expect(g(bad)).toBeNull();
    expect(readGeneralizedTime(ascii('x'), null)).toBeNull();
  });
});

describe('scanBer', () => {
  it('checks well-formed nested elements', () => {
    const b = cat(seq(int(1), seq(octets('x'), ctx(2, int(3)))), int(9));
    expect(scanBer(b, 0, b.length)).toEqual({ nodes: 7, depth: 4, ok: true });
    expect(scanBer(b, 0, b.length - 1).ok).toBe(false);
    expect(scanBer(bytes(0x30, 0x80, 0, 0), 0, 4).ok).toBe(false);
    expect(scanBer(new Uint8Array(0), 0, 0)).toEqual({ nodes: 0, depth: 0, ok: true });
  });

  it('stops at the node cap', () => {
    const b = seq(...Array.from({ length: 100 }, () => int(1)));
    expect(scanBer(b, 0, b.length, 16, 50)).toEqual({ nodes: 50, depth: 2, ok: false });
  });

  it('depth 10,000: no recursion, bounded time, deeper contents not entered', () => {
    // built iteratively from the inside out: SEQUENCE { SEQUENCE { ... INTEGER 1 } }
    let b = int(1);
    for (let i = 0; i < 10_000; i++) b = seq(b);
    const t0 = performance.now();
    const r = scanBer(b, 0, b.length);
    expect(r).toEqual({ nodes: 16, depth: 16, ok: true });
    expect(scanBer(b, 0, b.length, 20_000, 20_000)).toEqual({ nodes: 10_001, depth: 10_001, ok: true });
    const broken = b.subarray(0, b.length - 1);
    expect(scanBer(broken, 0, broken.length, 20_000, 20_000).ok).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
