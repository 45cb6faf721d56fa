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

/** Evidence kept per address: the first few facts are what a reader needs. */
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

export class RoleLearner {
  readonly book: RoleBook = { roles: new Map() };
  /** Addresses seen on a distinctive channel as a firewall, Panorama or log collector: the first such fact. */
  private readonly device = new Map<string, string>();
  /** Listeners of entries with `serverOneOf`, with the entry and their first clients. */
  private readonly open = new Map<string, { entry: CatalogEntry; clients: string[] }>();
  /** Unordered address pairs seen as HA peers ("a|b"). */
  private readonly haPairs = new Set<string>();

  fork(): RoleLearner {
    const c = new RoleLearner();
    for (const [addr, r] of this.book.roles) c.book.roles.set(addr, { roles: new Set(r.roles), source: r.source, evidence: [...r.evidence], possible: new Set(r.possible) });
    for (const [k, v] of this.device) c.device.set(k, v);
    for (const [k, v] of this.open) c.open.set(k, { entry: v.entry, clients: [...v.clients] });
    for (const k of this.haPairs) c.haPairs.add(k);
    return c;
  }

  private record(addr: string, source: RoleRecord['source']): RoleRecord {
    let r = this.book.roles.get(addr);
    if (r === undefined) this.book.roles.set(addr, (r = { roles: new Set(), source, evidence: [], possible: new Set() }));
    return r;
  }

  private evidence(r: RoleRecord, why: string): void {
    if (r.evidence.length < MAX_EVIDENCE && !r.evidence.includes(why)) r.evidence.push(why);
  }

  /** Records `role` for `addr`, resting on `why`. */
  note(addr: string, role: Role, source: RoleRecord['source'], why: string): void {
    const r = this.record(addr, source);
    r.roles.add(role);
    r.possible.clear();
    this.evidence(r, why);
    if (DEVICE_ROLES.has(role) && !this.device.has(addr)) this.device.set(addr, why);
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
      if (o.clients.length < MAX_OPEN_CLIENTS && !o.clients.includes(flow.client)) o.clients.push(flow.client);
      return;
    }
    const serverWhy = `${ch} server for ${flow.client}`;
    const clientWhy = `${ch} client to ${inf.server !== undefined ? `${inf.server} ` : ''}${flow.server}`;
    if (inf.server !== undefined) this.note(flow.server, inf.server, 'inferred', serverWhy);
    if (inf.client !== undefined) this.note(flow.client, inf.client, 'inferred', clientWhy);
    // A side whose every possible role is a PAN-OS device is one, even when the entry does
    // not say which (a 3978 client is a firewall or a log collector).
    if (!this.device.has(flow.server) && DEVICE_ROLES.has(e.listener)) this.device.set(flow.server, serverWhy);
    if (!this.device.has(flow.client) && e.clients.every((r) => DEVICE_ROLES.has(r))) this.device.set(flow.client, clientWhy);
    if (e.section === 'ha') this.haPairs.add(pairKey(flow.client, flow.server));
  }

  /** A proving flow on a non-distinctive HA entry (HA1 28769...) counts when both ends are known firewalls. */
  learnHa(flow: RoleFlow): void {
    const fw = (a: string) => this.book.roles.get(a)?.roles.has('firewall') === true;
    if (fw(flow.client) && fw(flow.server)) this.haPairs.add(pairKey(flow.client, flow.server));
  }

  /** Whether two addresses were seen as HA peers (HA1/HA2 traffic between them). */
  haPeers(a: string, b: string): boolean {
    return this.haPairs.has(pairKey(a, b));
  }

  /**
   * Decides the open listeners with what is known now: the listener's own device channels
   * make it the entry's first role; a client with device channels makes it the second; a
   * client proven to be the second makes it the first; otherwise it stays open.
   */
  resolve(): void {
    for (const [server, o] of this.open) {
      const r = this.book.roles.get(server);
      if (r?.source === 'inventory') continue;
      const [own, agent] = o.entry.infer!.serverOneOf!;
      const listens = `listens on ${channelName(o.entry)} (${o.entry.name}) for ${o.clients[0]}`;
      const mine = this.device.get(server);
      if (mine !== undefined) {
        if (r === undefined || ![...r.roles].some((x) => DEVICE_ROLES.has(x))) this.note(server, own, 'inferred', mine);
        this.evidence(this.book.roles.get(server)!, listens);
        continue;
      }
      const client = o.clients.find((c) => this.device.has(c));
      if (client !== undefined) {
        this.note(server, agent, 'inferred', `${channelName(o.entry)} listener reached by PAN device ${client} (${this.device.get(client)})`);
        continue;
      }
      // A client proven to be the second role (a User-ID agent, by its own 5006 listener...)
      // pushes to the first: the agent → firewall direction of the catalog entry.
      const peer = o.clients.find((c) => this.book.roles.get(c)?.roles.has(agent) === true);
      if (peer !== undefined && (r === undefined || r.roles.size === 0)) {
        this.note(server, own, 'inferred', `${channelName(o.entry)} listener for ${agent} ${peer} (${this.book.roles.get(peer)!.evidence[0]})`);
        continue;
      }
      if (r !== undefined && r.roles.size > 0) continue;
      const open = this.record(server, 'inferred');
      open.possible = new Set([own, agent]);
      open.evidence = [`${listens}; no other channel says which`];
    }
  }
}
