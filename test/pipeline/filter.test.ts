// Offline filters on record batches: --host (IPv4, IPv6, CIDR, ICMP errors by the flow
// they quote, malformed-past-IP kept), the --since/--until window at its boundaries
// (absolute and +SECONDS), -c across batches, the compaction of the index and the
// filtered-out counts; the strict parsers of the option values.
import { describe, expect, it } from 'vitest';
import { REC_WORDS, type RecordBatch } from '../../src/capture/records.js';
import { ArgumentError } from '../../src/errors.js';
import { RecordFilter, type FilterSpec, type TimeBound } from '../../src/pipeline/filter.js';
import { parseHostRange, parseTimeBound } from '../../src/pipeline/filter-spec.js';
import { strictNumber } from '../../src/cli/args.js';
import { ETH_ARP, ETH_IPV4, ETH_IPV6, PROTO_ICMP, PROTO_TCP, PROTO_UDP, eth, icmpError, ipv4, ipv6, tcp, udp } from '../helpers/build.js';

interface Rec {
  frame: Buffer;
  sec?: number;
  nsec?: number;
  linktype?: number;
}

/** A batch as the reader makes one: frames at 4-byte aligned offsets, REC_WORDS per record. */
function batch(recs: Rec[]): RecordBatch {
  const data = new Uint8Array(1 << 16);
  const idx = new Uint32Array(recs.length * REC_WORDS);
  let off = 0;
  recs.forEach((r, i) => {
    data.set(r.frame, off);
    idx.set([off, r.frame.length, r.frame.length, r.sec ?? 1000, r.nsec ?? 0, r.linktype ?? 1], i * REC_WORDS);
    off = (off + r.frame.length + 3) & ~3;
  });
  return { data: data.buffer, index: idx.buffer, count: recs.length, seqBase: 0, fileIndex: 0, fileOffset: 0 };
}

/** Timestamps (sec.nsec) of the records left in a batch, in order. */
function times(b: RecordBatch): string[] {
  const idx = new Uint32Array(b.index);
  return Array.from({ length: b.count }, (_, r) => `${idx[r * REC_WORDS + 3]}.${idx[r * REC_WORDS + 4]}`);
}

const spec = (o: Partial<FilterSpec>): FilterSpec => ({ bpf: null, hosts: [], since: null, until: null, count: null, ...o });
const v4 = (src: string, dst: string, sec = 1000) => ({ frame: eth({ ethertype: ETH_IPV4, payload: ipv4({ src, dst, proto: PROTO_UDP, payload: udp({ sport: 5000, dport: 514 }) }) }), sec });
const v6 = (src: string, dst: string, sec = 1000) => ({ frame: eth({ ethertype: ETH_IPV6, payload: ipv6({ src, dst, next: PROTO_UDP, payload: udp({ sport: 5000, dport: 514 }) }) }), sec });

describe('--host', () => {
  it('keeps IPv4 packets with either end in an address or a CIDR block, drops non-IP frames', () => {
    const recs = [v4('10.0.0.1', '10.9.9.9', 1), v4('10.9.9.9', '10.0.0.1', 2), v4('10.1.2.3', '192.168.1.1', 3), v4('172.16.0.1', '172.16.0.2', 4), { frame: eth({ ethertype: ETH_ARP, payload: Buffer.alloc(28) }), sec: 5 }];
    const one = new RecordFilter(spec({ hosts: [parseHostRange('10.0.0.1')] }));
    const b1 = batch(recs);
    expect(one.apply(b1)).toBe(2);
    expect(times(b1)).toEqual(['1.0', '2.0']);
    expect(one.facts().filteredOut).toBe(3);

    const net = new RecordFilter(spec({ hosts: [parseHostRange('10.0.0.0/8'), parseHostRange('192.168.1.0/24')] }));
    const b2 = batch(recs);
    expect(net.apply(b2)).toBe(3);
    expect(times(b2)).toEqual(['1.0', '2.0', '3.0']);
  });

  it('IPv6 addresses and blocks match IPv6 packets only (an IPv4 block never matches IPv6)', () => {
    const recs = [v6('2001:db8::1', '2001:db8:1::9', 1), v6('fe80::1', 'ff02::1', 2), v6('2001:db8:ffff::5', '2001:db9::1', 3), v4('10.0.0.1', '10.0.0.2', 4)];
    const f = new RecordFilter(spec({ hosts: [parseHostRange('2001:db8::/32')] }));
    const b = batch(recs);
    expect(f.apply(b)).toBe(2);
    expect(times(b)).toEqual(['1.0', '3.0']);
    const exact = new RecordFilter(spec({ hosts: [parseHostRange('2001:db8:1::9'), parseHostRange('0.0.0.0/0')] }));
    const b2 = batch(recs);
    expect(exact.apply(b2)).toBe(2);
    expect(times(b2)).toEqual(['1.0', '4.0']);
  });

  it('an ICMP error goes with the flow it quotes (a router outside the range), a packet cut inside TCP stays (it is counted malformed later)', () => {
    const quotedUdp = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: PROTO_UDP, payload: udp({ sport: 5000, dport: 514 }) });
    const unreachable = eth({ ethertype: ETH_IPV4, payload: ipv4({ src: '192.0.2.1', dst: '172.16.0.9', proto: PROTO_ICMP, payload: icmpError(quotedUdp, { type: 3, code: 3 }) }) });
    const cutTcp = eth({ ethertype: ETH_IPV4, payload: ipv4({ src: '10.0.0.2', dst: '10.0.0.1', proto: PROTO_TCP, payload: tcp({ sport: 443, dport: 5555 }).subarray(0, 8) }) });
    const f = new RecordFilter(spec({ hosts: [parseHostRange('10.0.0.2')] }));
    const b = batch([{ frame: unreachable, sec: 1 }, { frame: cutTcp, sec: 2 }, { frame: eth({ ethertype: ETH_IPV4, payload: Buffer.alloc(10) }), sec: 3 }]);
    expect(f.apply(b)).toBe(2);
    expect(times(b)).toEqual(['1.0', '2.0']);
    expect(f.filteredOut).toBe(1);
  });
});

describe('--since / --until', () => {
  const recs = [1, 2, 3, 4, 5].map((s) => ({ ...v4('10.0.0.1', '10.0.0.2'), sec: 100 + s, nsec: 500 }));
  const run = (since: TimeBound | null, until: TimeBound | null) => {
    const f = new RecordFilter(spec({ since, until }));
    const b = batch(recs);
    f.apply(b);
    return { kept: times(b), facts: f.facts() };
  };

  it('since is inclusive and until exclusive, to the nanosecond', () => {
    expect(run({ relative: false, sec: 102, nsec: 500 }, { relative: false, sec: 104, nsec: 500 }).kept).toEqual(['102.500', '103.500']);
    expect(run({ relative: false, sec: 102, nsec: 501 }, { relative: false, sec: 104, nsec: 501 }).kept).toEqual(['103.500', '104.500']);
  });

  it('+SECONDS counts from the first packet read (101 s + 500 ns here, nanoseconds carried), and the report gets the resolved bounds', () => {
    const r = run(parseTimeBound('+1'), parseTimeBound('+3'));
    expect(r.kept).toEqual(['102.500', '103.500']);
    expect(r.facts.sinceUs).toBe(102_000_000);
    expect(r.facts.untilUs).toBe(104_000_000);
    expect(run(null, parseTimeBound('+2.999999999')).kept).toEqual(['101.500', '102.500', '103.500']);
    expect(run(null, parseTimeBound('+3.000000001')).kept).toEqual(['101.500', '102.500', '103.500', '104.500']);
    expect(run(parseTimeBound('+3.000000001'), null).kept).toEqual(['105.500']);
    expect(run(null, parseTimeBound('+0')).kept).toEqual([]);
  });
});

describe('-c', () => {
  it('stops at the Nth kept packet across batches; records after it are neither kept nor filtered', () => {
    const f = new RecordFilter(spec({ hosts: [parseHostRange('10.0.0.1')], count: 3 }));
    const b1 = batch([v4('10.0.0.1', '10.0.0.2', 1), v4('10.5.0.1', '10.0.0.2', 2), v4('10.0.0.1', '10.0.0.2', 3)]);
    expect(f.apply(b1)).toBe(2);
    expect(f.stopped).toBe(false);
    const b2 = batch([v4('10.5.0.1', '10.0.0.2', 4), v4('10.0.0.1', '10.0.0.2', 5), v4('10.5.0.1', '10.0.0.2', 6), v4('10.0.0.1', '10.0.0.2', 7)]);
    expect(f.apply(b2)).toBe(1);
    expect(times(b2)).toEqual(['5.0']);
    expect(f.examined).toBe(2);
    expect(f.stopped).toBe(true);
    expect(f.facts()).toMatchObject({ count: 3, filteredOut: 2, stoppedEarly: true });
    const b3 = batch([v4('10.0.0.1', '10.0.0.2', 8)]);
    expect(f.apply(b3)).toBe(0);
    expect(b3.count).toBe(0);
  });

  it('a limit reached on the last record of a batch stops there; one never reached does not stop', () => {
    const f = new RecordFilter(spec({ count: 2 }));
    const b = batch([v4('10.0.0.1', '10.0.0.2', 1), v4('10.0.0.1', '10.0.0.2', 2)]);
    expect(f.apply(b)).toBe(2);
    expect(f.facts()).toMatchObject({ filteredOut: 0, stoppedEarly: true });
    const g = new RecordFilter(spec({ count: 3 }));
    g.apply(batch([v4('10.0.0.1', '10.0.0.2', 1), v4('10.0.0.1', '10.0.0.2', 2)]));
    expect(g.stopped).toBe(false);
  });
});

describe('strict option values', () => {
  it('numbers: decimal digits only, within bounds', () => {
    for (const bad of ['1e3', '0x10', '010', '+5', '-1', ' 5', '5 ', '5.', '.5', 'Infinity', 'NaN', '', '1_000', '١٢']) expect(strictNumber(bad, { min: 0, max: 1e9, fraction: true }), bad).toBeNull();
    expect(strictNumber('1000', { min: 1, max: 1000 })).toBe(1000);
    expect(strictNumber('1001', { min: 1, max: 1000 })).toBeNull();
    expect(strictNumber('0.5', { min: 1, max: 1000 })).toBeNull();
    expect(strictNumber('0.5', { min: 0, max: 10, fraction: true })).toBe(0.5);
    expect(strictNumber('9007199254740993', { min: 0, max: Number.MAX_VALUE })).toBeNull();
  });

  it('hosts: addresses and blocks of either family; host bits past the prefix and junk refused', () => {
    expect(Array.from(parseHostRange('10.1.0.0/16').mask)).toEqual([0xffff0000, 0, 0, 0]);
    expect(Array.from(parseHostRange('::ffff:10.0.0.1').addr)).toEqual([0, 0, 0xffff, 0x0a000001]);
    expect(Array.from(parseHostRange('2001:db8::/33').mask)).toEqual([0xffffffff, 0x80000000, 0, 0]);
    for (const bad of ['10.1.2.3/8', '10.0.0.0/33', '10.0.0.0/08', '10.0.0', '010.0.0.1', 'fe80::1%eth0', '2001:db8::1/129', 'host', '10.0.0.0/']) {
      expect(() => parseHostRange(bad), bad).toThrow(ArgumentError);
    }
  });

  it('times: ISO-8601 with a zone (Z, ±HH:MM, ±HHMM), or +SECONDS; no zone, impossible dates and junk refused', () => {
    expect(parseTimeBound('2026-11-25T16:15:40Z')).toEqual({ relative: false, sec: 1795623340, nsec: 0 });
    expect(parseTimeBound('2026-11-25 17:15:40.123456789+01:00')).toEqual({ relative: false, sec: 1795623340, nsec: 123456789 });
    expect(parseTimeBound('2026-11-25T11:15-0500')).toEqual({ relative: false, sec: 1795623300, nsec: 0 });
    expect(parseTimeBound('+2.5')).toEqual({ relative: true, sec: 2, nsec: 500_000_000 });
    expect(() => parseTimeBound('2026-11-25T16:15:40')).toThrow('add a zone');
    for (const bad of ['2026-02-29T00:00:00Z', '2026-11-25T24:00:00Z', '2026-11-25T16:60:00Z', '2026-11-25T16:15:60Z', '+1e3', '+0x10', '-5', '+', 'yesterday', '1795623340', '2026-11-25T16:15:40+25:00', '1969-12-31T23:59:59Z']) {
      expect(() => parseTimeBound(bad), bad).toThrow(ArgumentError);
    }
  });
});
