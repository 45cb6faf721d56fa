// Formatting helpers: exact strings, whatever the locale and time zone of the machine.
import { describe, expect, it } from 'vitest';
import { count, duration, hex16, humanBytes, isoMicros, microsFromIso, stamp } from '../../src/report/format.js';

describe('isoMicros / microsFromIso', () => {
  const us = Date.UTC(2026, 10, 24, 10, 13, 46) * 1000 + 350948;

  it('prints microseconds, always 6 digits, in UTC', () => {
    expect(isoMicros(us)).toBe('2026-11-24T10:13:46.350948Z');
    expect(isoMicros(Date.UTC(2026, 0, 1) * 1000 + 7)).toBe('2026-01-01T00:00:00.000007Z');
    expect(isoMicros(0)).toBe('1970-01-01T00:00:00.000000Z');
    expect(isoMicros(-1)).toBe('1969-12-31T23:59:59.999999Z');
  });

  it('parses back to the same microsecond', () => {
    for (const x of [us, 0, -1, us + 999_999, 1_700_000_000_123_456]) expect(microsFromIso(isoMicros(x))).toBe(x);
    expect(microsFromIso('2026-11-24T11:13:46.35+01:00')).toBe(us - 948);
    expect(microsFromIso('2026-11-24T10:13:46Z')).toBe(us - 350948);
  });

  it('rejects what is not an ISO date-time with a zone', () => {
    expect(() => microsFromIso('2026-11-24 10:13:46')).toThrow(RangeError);
    expect(() => microsFromIso('2026-13-45T10:13:46Z')).toThrow(RangeError);
  });
});

describe('stamp', () => {
  it('gives date, time to the second and the UTC offset, from any ISO time with a zone', () => {
    expect(stamp('2026-11-24T10:13:46.350948Z')).toBe('2026-11-24 10:13:46 +00:00');
    expect(stamp('2026-11-24T11:13:46.999+01:00')).toBe('2026-11-24 10:13:46 +00:00');
    expect(stamp('2027-01-01T00:30:00-01:00')).toBe('2027-01-01 01:30:00 +00:00');
  });
});

describe('humanBytes / count / duration / hex16', () => {
  it.each([
    [0, '0 B'], [999, '999 B'], [1000, '1.0 kB'], [1536, '1.5 kB'], [22018, '22.0 kB'],
    [999_499, '999 kB'], [999_500, '1.0 MB'], [946_000_000, '946 MB'], [3.2e12, '3.2 TB'],
  ])('humanBytes(%d) = %s', (n, s) => expect(humanBytes(n)).toBe(s));

  it('groups digits without the locale', () => {
    expect(count(2_000_000)).toBe('2,000,000');
    expect(count(999)).toBe('999');
    expect(count(-1234)).toBe('-1,234');
  });

  it.each([
    [8_531_815, '8.53 s'], [42_000_000, '42.0 s'], [192e6, '3 min 12 s'], [7500e6, '2 h 05 min'], [277_200e6, '3 d 5 h'],
  ])('duration(%d) = %s', (us, s) => expect(duration(us)).toBe(s));

  it('writes ethertypes as 4 hex digits', () => {
    expect(hex16(0x806)).toBe('0x0806');
    expect(hex16(0x7261)).toBe('0x7261');
  });
});
