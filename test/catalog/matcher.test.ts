import { describe, expect, it } from 'vitest';
import { builtinCatalog, validateCatalog } from '../../src/catalog/load.js';
import { CatalogMatcher } from '../../src/catalog/matcher.js';

const catalog = builtinCatalog();
const matcher = new CatalogMatcher(catalog);
const ids = (indices: readonly number[]) => indices.map((i) => catalog.entries[i].id);

describe('CatalogMatcher', () => {
  it('finds every candidate of a port shared between sections', () => {
    expect(ids(matcher.tcp(22))).toEqual(['management.ssh.22', 'panorama.ssh.22']);
    expect(ids(matcher.tcp(443))).toEqual(['management.https.443', 'panorama.https.443']);
    expect(ids(matcher.udp(514))).toEqual(['management.syslog-udp.514', 'user-id.syslog-udp.514']);
    expect(ids(matcher.tcp(28769))).toEqual(['ha.ha1-clear.28769', 'panorama.ha-clear.28769']);
  });

  it('keeps TCP and UDP apart', () => {
    expect(ids(matcher.udp(123))).toEqual(['management.ntp.123']);
    expect(matcher.tcp(123)).toHaveLength(0);
    expect(ids(matcher.tcp(514))).toEqual(['management.syslog-tcp.514', 'user-id.syslog-tcp.514']);
  });

  it('returns the one shared empty list for unknown ports', () => {
    expect(matcher.tcp(12345)).toEqual([]);
    expect(matcher.tcp(12345)).toBe(matcher.udp(9));
    expect(matcher.ipProtocol(6)).toBe(matcher.ethertype(0x0800));
  });

  it('matches IP protocol 99 and ethertype 0x7261', () => {
    expect(ids(matcher.ipProtocol(99))).toEqual(['ha.ha2-ip.99']);
    expect(ids(matcher.ethertype(0x7261))).toEqual(['ha.ha2-ether.7261']);
  });

  it('tells catalog ports for the direction rule, ranges excluded', () => {
    expect(matcher.isCatalogPort(6, 3978)).toBe(true);
    expect(matcher.isCatalogPort(17, 2055)).toBe(true);
    expect(matcher.isCatalogPort(6, 2055)).toBe(false);
    expect(matcher.isCatalogPort(6, 50000)).toBe(false);
    expect(matcher.isCatalogPort(17, 50000)).toBe(false);
  });

  it('finds the RPC dynamic range apart from exact ports', () => {
    expect(ids(matcher.rangeEntries(6, 49152))).toEqual(['user-id.rpc-dynamic.49152-65535']);
    expect(ids(matcher.rangeEntries(6, 65535))).toEqual(['user-id.rpc-dynamic.49152-65535']);
    expect(matcher.rangeEntries(6, 49151)).toHaveLength(0);
    expect(matcher.rangeEntries(17, 50000)).toHaveLength(0);
    expect(matcher.tcp(50000)).toHaveLength(0);
    // 49160 is both an exact Panorama port and inside the range.
    expect(ids(matcher.tcp(49160))).toEqual(['panorama.ha-clear.49160']);
  });

  it('handles overlapping ranges', () => {
    const entry = (id: string, portRange: [number, number]) => ({
      id, section: 'user-id', transport: 'udp', portRange, name: id, listener: 'directory-server', clients: ['user-id-agent'],
    });
    const c = validateCatalog({
      sections: [{ id: 'user-id', title: 'User-ID' }],
      entries: [entry('user-id.a.1-10', [1, 10]), entry('user-id.b.5-20', [5, 20])],
    }, 'test');
    const m = new CatalogMatcher(c);
    expect([1, 4, 5, 10, 11, 20, 21].map((p) => m.rangeEntries(17, p))).toEqual([[0], [0], [0, 1], [0, 1], [1], [1], []]);
  });
});
