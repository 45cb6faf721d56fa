// The roles of the endpoints and what each rests on: the inventory (--roles), then what
// distinctive catalog entries prove (HA ports, Panorama 3978, collector groups...). A port
// that more than one kind of host listens on proves nothing by itself: on User-ID 5007 a
// Windows User-ID agent listens and the firewall connects, or a firewall (or collector)
// that redistributes mappings listens itself. Such a listener is decided only by other
// channels of the listener or of its client; otherwise it is left open, and said to be so.
//
// A PAN MAC prefix is not used: flows are keyed by IP address, and behind a router the MAC
// of every remote host is the router's, so it could only ever be weak evidence.
import type { CatalogEntry, Role } from '../catalog/schema.js';

/** Roles of PAN-OS devices that distinctive channels can prove (a User-ID agent may be Windows). */
const DEVICE_ROLES: ReadonlySet<Role> = new Set<Role>(['firewall', 'panorama', 'log-collector']);

/** Evidence kept per address: a few facts are what a reader needs (the alphabetically first, whatever the flow order). */
const MAX_EVIDENCE = 4;
/** Clients remembered per open listener (the first one with evidence decides). */
const MAX_OPEN_CLIENTS = 16;

export interface RoleRecord {
  roles: Set<Role>;
  source: 'inventory' | 'inferred';
  /** What the roles rest on, in words: "3978 client to panorama 10.99.1.5". */
  evidence: string[];
  /** Roles the traffic allows but does not decide (a 5007 listener with nothing else to go on). */
  possible: Set<Role>;
}

export interface RoleBook {
  /** Roles per address (IP or MAC string), with where they came from. */
  roles: Map<string, RoleRecord>;
}

/** The flow facts role learning needs. */
export interface RoleFlow {
  client: string;
  server: string;
}

/** How evidence names an entry's channel: "3978", "29281/udp", "IP protocol 99". */
export function channelName(e: CatalogEntry): string {
  if (e.transport === 'ip') return `IP protocol ${e.ipProtocol}`;
  if (e.transport === 'ethertype') return `ethertype 0x${(e.ethertype ?? 0).toString(16).padStart(4, '0')}`;
  const port = e.port !== null ? String(e.port) : e.portRange ? `${e.portRange[0]}-${e.portRange[1]}` : '?';
  return e.transport === 'udp' ? `${port}/udp` : port;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Adds `item` to a sorted list kept to its `max` smallest items: the same list whatever the order of the additions. */
function keepSmallest(list: string[], item: string, max: number): void {
  if (list.includes(item)) return;
  if (list.length === max && item >= list[max - 1]) return;
  let i = list.length;
  while (i > 0 && list[i - 1] > item) i--;
  list.splice(i, 0, item);
  if (list.length > max) list.pop();
}

/**
 * Learns roles batch by batch (file analysis: one batch; live capture: each batch of
 * expired or active flows). Every fact is kept in a form that does not depend on the order
 * in which flows arrive (sets, the smallest few strings), and the roles decided from other
 * roles (the open listeners) are recomputed from all facts each time, so live capture
 * ends with the roles file analysis gives.
 */
export class RoleLearner {
  /** Roles the inventory and distinctive entries give. */
  private readonly base = new Map<string, RoleRecord>();
  /** `base` plus the open listeners decided from it (resolve() refills it in place: callers may hold it). */
  readonly book: RoleBook = { roles: new Map() };
  /** Addresses seen on a distinctive channel as a firewall, Panorama or log collector, with the facts. */
  private readonly device = new Map<string, string[]>();
  /** Listeners of entries with `serverOneOf`, with the entry and some clients (the smallest addresses). */
  private readonly open = new Map<string, { entry: CatalogEntry; clients: string[] }>();
  /** Unordered address pairs seen as HA peers ("a|b"). */
  private readonly haPairs = new Set<string>();
  /** Pairs seen on a non-distinctive HA entry: HA peers when both are firewalls. */
  private readonly haCandidates = new Set<string>();

  fork(): RoleLearner {
    const c = new RoleLearner();
    for (const [addr, r] of this.base) c.base.set(addr, copy(r));
    for (const [k, v] of this.device) c.device.set(k, [...v]);
    for (const [k, v] of this.open) c.open.set(k, { entry: v.entry, clients: [...v.clients] });
    for (const k of this.haPairs) c.haPairs.add(k);
    for (const k of this.haCandidates) c.haCandidates.add(k);
    c.resolve();
    return c;
  }

  /** Records `role` for `addr`, resting on `why`. */
  private note(addr: string, role: Role, source: RoleRecord['source'], why: string): void {
    let r = this.base.get(addr);
    if (r === undefined) this.base.set(addr, (r = { roles: new Set(), source, evidence: [], possible: new Set() }));
    if (source === 'inventory') r.source = 'inventory';
    r.roles.add(role);
    keepSmallest(r.evidence, why, MAX_EVIDENCE);
    if (DEVICE_ROLES.has(role)) this.deviceFact(addr, why);
  }

  private deviceFact(addr: string, why: string): void {
    let d = this.device.get(addr);
    if (d === undefined) this.device.set(addr, (d = []));
    keepSmallest(d, why, 1);
  }

  /** A role listed for `addr` in the inventory. */
  inventory(addr: string, role: Role): void {
    this.note(addr, role, 'inventory', 'inventory (--roles)');
  }

  /** What a proving flow on a distinctive entry shows of its endpoints. */
  learn(flow: RoleFlow, e: CatalogEntry): void {
    const inf = e.infer;
    if (inf === undefined) return;
    const ch = channelName(e);
    if (inf.serverOneOf !== undefined) {
      let o = this.open.get(flow.server);
      if (o === undefined) this.open.set(flow.server, (o = { entry: e, clients: [] }));
      keepSmallest(o.clients, flow.client, MAX_OPEN_CLIENTS);
      return;
    }
    const serverWhy = `${ch} server for ${flow.client}`;
    const clientWhy = `${ch} client to ${inf.server !== undefined ? `${inf.server} ` : ''}${flow.server}`;
    if (inf.server !== undefined) this.note(flow.server, inf.server, 'inferred', serverWhy);
    if (inf.client !== undefined) this.note(flow.client, inf.client, 'inferred', clientWhy);
    // A side whose every possible role is a PAN-OS device is one, even when the entry does
    // not say which (a 3978 client is a firewall or a log collector).
    if (DEVICE_ROLES.has(e.listener)) this.deviceFact(flow.server, serverWhy);
    if (e.clients.every((r) => DEVICE_ROLES.has(r))) this.deviceFact(flow.client, clientWhy);
    if (e.section === 'ha') this.haPairs.add(pairKey(flow.client, flow.server));
  }

  /** A proving flow on a non-distinctive HA entry (HA1 28769...): HA peers if both ends are firewalls. */
  learnHa(flow: RoleFlow): void {
    this.haCandidates.add(pairKey(flow.client, flow.server));
  }

  /** Whether two addresses were seen as HA peers (HA1/HA2 traffic between them). */
  haPeers(a: string, b: string): boolean {
    const k = pairKey(a, b);
    if (this.haPairs.has(k)) return true;
    const fw = (x: string) => this.book.roles.get(x)?.roles.has('firewall') === true;
    return this.haCandidates.has(k) && fw(a) && fw(b);
  }

  /**
   * The book from all facts so far: the base roles, then each open listener decided. Its
   * own device channels make it the entry's first role; a client with device channels
   * makes it the second; a client proven to be the second makes it the first; otherwise
   * it stays open. The inventory always wins.
   */
  resolve(): void {
    const book = this.book.roles;
    book.clear();
    for (const [addr, r] of this.base) book.set(addr, copy(r));
    const record = (addr: string): RoleRecord => {
      let r = book.get(addr);
      if (r === undefined) book.set(addr, (r = { roles: new Set(), source: 'inferred', evidence: [], possible: new Set() }));
      return r;
    };
    const decide = (addr: string, role: Role, ...why: string[]): void => {
      const r = record(addr);
      r.roles.add(role);
      for (const w of why) keepSmallest(r.evidence, w, MAX_EVIDENCE);
    };
    for (const [server, o] of this.open) {
      const r = this.base.get(server);
      if (r?.source === 'inventory') continue;
      const [own, agent] = o.entry.infer!.serverOneOf!;
      const ch = channelName(o.entry);
      const listens = `listens on ${ch} (${o.entry.name}) for ${o.clients[0]}`;
      const mine = this.device.get(server);
      if (mine !== undefined) {
        if (r !== undefined && [...r.roles].some((x) => DEVICE_ROLES.has(x))) keepSmallest(record(server).evidence, listens, MAX_EVIDENCE);
        else decide(server, own, mine[0], listens);
        continue;
      }
      const client = o.clients.find((c) => this.device.has(c));
      if (client !== undefined) {
        decide(server, agent, `${ch} listener reached by PAN device ${client} (${this.device.get(client)![0]})`);
        continue;
      }
      // A client proven to be the second role (a User-ID agent, by its own 5006 listener...)
      // pushes to the first: the agent -> firewall direction of the catalog entry.
      const peer = o.clients.find((c) => this.base.get(c)?.roles.has(agent) === true);
      if (peer !== undefined) {
        decide(server, own, `${ch} listener for ${agent} ${peer} (${this.base.get(peer)!.evidence[0]})`);
        continue;
      }
      if (r !== undefined && r.roles.size > 0) continue;
      const left = record(server);
      left.possible = new Set([own, agent]);
      left.evidence = [`${listens}; no other channel says which`];
    }
  }
}

function copy(r: RoleRecord): RoleRecord {
  return { roles: new Set(r.roles), source: r.source, evidence: [...r.evidence], possible: new Set(r.possible) };
}
