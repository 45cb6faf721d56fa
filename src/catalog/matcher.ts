// Lookup tables from a catalog: for each port (IP protocol, ethertype) a typed-array slot
// holds the number of a precomputed, frozen list of entry indices. A lookup is one array
// read and allocates nothing; slot 0 is the shared empty list.
import type { Catalog } from './schema.js';

const EMPTY: readonly number[] = Object.freeze([]);

/** One matcher per catalog object: building one fills 1.5 MB of tables. */
const built = new WeakMap<Catalog, CatalogMatcher>();

export class CatalogMatcher {
  /** The matcher of `catalog`, built on first use. */
  static for(catalog: Catalog): CatalogMatcher {
    let m = built.get(catalog);
    if (m === undefined) built.set(catalog, (m = new CatalogMatcher(catalog)));
    return m;
  }

  private readonly lists: (readonly number[])[] = [EMPTY];
  private readonly tcpSlots = new Uint32Array(65536);
  private readonly udpSlots = new Uint32Array(65536);
  private readonly ipSlots = new Uint32Array(256);
  private readonly etherSlots = new Uint32Array(65536);
  // Range entries (RPC dynamic ports) are kept apart: they span the ephemeral ports, so
  // they must not make every high port look like a catalog port to the direction rule.
  private readonly tcpRangeSlots = new Uint32Array(65536);
  private readonly udpRangeSlots = new Uint32Array(65536);

  constructor(readonly catalog: Catalog) {
    // Maps, not sparse arrays: a port up to 65535 made each a holey array that took ~4 ms to
    // walk, paid by every run (and every fuzz input) at start-up.
    const tcp = new Map<number, number[]>();
    const udp = new Map<number, number[]>();
    const ip = new Map<number, number[]>();
    const ether = new Map<number, number[]>();
    const add = (table: Map<number, number[]>, key: number, index: number) => {
      let list = table.get(key);
      if (list === undefined) table.set(key, (list = []));
      list.push(index);
    };
    catalog.entries.forEach((e, i) => {
      if (e.transport === 'ip' && e.ipProtocol !== null) add(ip, e.ipProtocol, i);
      else if (e.transport === 'ethertype' && e.ethertype !== null) add(ether, e.ethertype, i);
      else if (e.port !== null) add(e.transport === 'tcp' ? tcp : udp, e.port, i);
    });
    this.fill(this.tcpSlots, tcp);
    this.fill(this.udpSlots, udp);
    this.fill(this.ipSlots, ip);
    this.fill(this.etherSlots, ether);
    this.fillRanges(this.tcpRangeSlots, 'tcp');
    this.fillRanges(this.udpRangeSlots, 'udp');
  }

  /** Entries listening on TCP `port`. */
  tcp(port: number): readonly number[] {
    return this.lists[this.tcpSlots[port]];
  }

  /** Entries listening on UDP `port`. */
  udp(port: number): readonly number[] {
    return this.lists[this.udpSlots[port]];
  }

  ipProtocol(protocol: number): readonly number[] {
    return this.lists[this.ipSlots[protocol]];
  }

  ethertype(type: number): readonly number[] {
    return this.lists[this.etherSlots[type]];
  }

  /** True if some entry listens on this exact port (ranges excluded, see above). */
  isCatalogPort(proto: 6 | 17, port: number): boolean {
    return (proto === 6 ? this.tcpSlots : this.udpSlots)[port] !== 0;
  }

  /** Range entries covering `port`; the classifier decides whether their `after` holds. */
  rangeEntries(proto: 6 | 17, port: number): readonly number[] {
    return this.lists[(proto === 6 ? this.tcpRangeSlots : this.udpRangeSlots)[port]];
  }

  private fill(slots: Uint32Array, table: Map<number, number[]>): void {
    // In key order, so list numbers do not depend on the catalog's entry order.
    for (const key of [...table.keys()].sort((a, b) => a - b)) slots[key] = this.lists.push(Object.freeze(table.get(key)!)) - 1;
  }

  /** One list per stretch of ports covered by the same set of ranges. */
  private fillRanges(slots: Uint32Array, transport: 'tcp' | 'udp'): void {
    const ranges: [number, number, number][] = [];
    this.catalog.entries.forEach((e, i) => {
      if (e.transport === transport && e.portRange) ranges.push([e.portRange[0], e.portRange[1], i]);
    });
    const bounds = [...new Set(ranges.flatMap(([lo, hi]) => [lo, hi + 1]))].sort((a, b) => a - b);
    for (let b = 0; b + 1 < bounds.length; b++) {
      const [from, to] = [bounds[b], bounds[b + 1]];
      const indices = ranges.filter(([lo, hi]) => lo <= from && to - 1 <= hi).map(([, , i]) => i);
      if (indices.length === 0) continue;
      const slot = this.lists.push(Object.freeze(indices)) - 1;
      slots.fill(slot, from, to);
    }
  }
}
