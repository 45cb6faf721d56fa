// Classification of merged flows: server side, TCP outcome, matching catalog entries, the
// roles of the endpoints (inventory, or inferred from distinctive ports), and from those
// the one section each flow is reported under. Runs once per flow after merging.
import type { CatalogMatcher } from '../catalog/matcher.js';
import type { CatalogEntry, Role } from '../catalog/schema.js';
import { KIND_IPV4, KIND_IPV6, KIND_L2 } from '../decode/fields.js';
import {
  FW,
  K_A,
  K_B,
  K_KP,
  K_PORTS,
  KW,
  U_ICMPERR,
  UW,
  V_BYTES,
  V_FIRST_SEQ,
  V_FIRST_TS,
  V_LAST_TS,
  V_PKTS,
  type FlowTable,
} from '../flow/table.js';
import type { FlowSection, FlowTransport, TcpState } from '../report/model.js';
import { ipv4String, ipv6String, macString } from './address.js';
import { serverSide, tcpState, type DirectionRule } from './direction.js';
import { isPanDevice, type Inventory } from './inventory.js';

export interface ClassifiedFlow {
  transport: FlowTransport;
  client: string;
  server: string;
  /** Interned numbers of `client` and `server` (same address, same number), for cheap keys. */
  clientId: number;
  serverId: number;
  clientPort: number | null;
  serverPort: number | null;
  ipProtocol: number | null;
  ethertype: number | null;
  clientPackets: number;
  serverPackets: number;
  clientBytes: number;
  serverBytes: number;
  firstTs: number;
  lastTs: number;
  firstSeq: number;
  state: TcpState | null;
  /** rejected or unanswered (for UDP: only ICMP errors came back). */
  failed: boolean;
  icmpErrors: number;
  direction: DirectionRule;
  /** Indices into catalog.entries, narrowed by roles; empty when nothing matches. */
  entries: number[];
  section: FlowSection;
}

export interface RoleBook {
  /** Roles per address (IP or MAC string), with where they came from. */
  roles: Map<string, { roles: Set<Role>; source: 'inventory' | 'inferred' }>;
}

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMP = 1;
const PROTO_ICMPV6 = 58;

function addressOf(keys: Uint32Array, o: number, kind: number): string {
  if (kind === KIND_IPV4) return ipv4String(keys[o]);
  if (kind === KIND_IPV6) return ipv6String(keys[o], keys[o + 1], keys[o + 2], keys[o + 3]);
  return macString(keys[o], keys[o + 1]);
}

/** One string and one number per distinct address, however many flows it is in. */
class AddressInterner {
  private readonly ids = new Map<string, number>();
  readonly strings: string[] = [];
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.ids.set(s, id);
      this.strings.push(s);
    }
    return id;
  }
}

/**
 * Flow slots in the flow table's layout: a FlowTable (`slots` = its capacity, empty slots
 * skipped) or a packed FlowSnapshot (`slots` = its count).
 */
export interface FlowSlots {
  keys: Uint32Array;
  f64: Float64Array;
  u32: Uint32Array;
}

/** Builds the direction, outcome and candidate entries of every flow (roles not applied yet). */
function baseFlows(src: FlowSlots, slots: number, matcher: CatalogMatcher, interner: AddressInterner): { flow: ClassifiedFlow; candidates: number[] }[] {
  const out: { flow: ClassifiedFlow; candidates: number[] }[] = [];
  const { keys, f64, u32 } = src;
  for (let slot = 0; slot < slots; slot++) {
    const k = slot * KW;
    const kp = keys[k + K_KP];
    if (kp === 0) continue;
    const kind = kp & 0xff;
    const proto = kp >>> 8;
    const l2 = kind === KIND_L2;
    const hasPorts = !l2 && (proto === PROTO_TCP || proto === PROTO_UDP);
    const ports: [number, number] | null = hasPorts ? [keys[k + K_PORTS] & 0xffff, keys[k + K_PORTS] >>> 16] : null;
    const tcp = !l2 && proto === PROTO_TCP;
    const dir = serverSide(f64, u32, slot, tcp, ports, !l2 && (proto === PROTO_ICMP || proto === PROTO_ICMPV6), (p) => matcher.isCatalogPort(proto as 6 | 17, p));
    const s = dir.server;
    const c = (1 - s) as 0 | 1;
    const f = slot * FW;
    const ids = [interner.id(addressOf(keys, k + K_A, kind)), interner.id(addressOf(keys, k + K_B, kind))];
    const state = tcp ? tcpState(f64, u32, slot, s) : null;
    const icmpErrors = u32[slot * UW + U_ICMPERR + s];
    const serverPackets = f64[f + V_PKTS + s];
    // A UDP (or other) exchange answered only by ICMP errors failed, as a refused TCP SYN does.
    const udpRefused = !tcp && icmpErrors > 0 && icmpErrors === serverPackets;
    const transport: FlowTransport = l2
      ? 'ethertype'
      : proto === PROTO_TCP
        ? 'tcp'
        : proto === PROTO_UDP
          ? 'udp'
          : proto === PROTO_ICMP
            ? 'icmp'
            : proto === PROTO_ICMPV6
              ? 'icmpv6'
              : 'ip';
    const flow: ClassifiedFlow = {
      transport,
      client: interner.strings[ids[c]],
      server: interner.strings[ids[s]],
      clientId: ids[c],
      serverId: ids[s],
      clientPort: ports ? ports[c] : null,
      serverPort: ports ? ports[s] : null,
      ipProtocol: l2 ? null : proto,
      ethertype: l2 ? keys[k + K_PORTS] : null,
      clientPackets: f64[f + V_PKTS + c],
      serverPackets,
      clientBytes: f64[f + V_BYTES + c],
      serverBytes: f64[f + V_BYTES + s],
      firstTs: minSeen(f64, f, V_FIRST_TS),
      lastTs: Math.max(f64[f + V_LAST_TS], f64[f + V_LAST_TS + 1]),
      firstSeq: minSeen(f64, f, V_FIRST_SEQ),
      state: udpRefused ? 'rejected' : state,
      failed: state === 'rejected' || state === 'unanswered' || udpRefused,
      icmpErrors,
      direction: dir.rule,
      entries: [],
      section: 'unexpected',
    };
    let candidates: readonly number[];
    if (l2) candidates = matcher.ethertype(flow.ethertype!);
    else if (proto === PROTO_TCP) candidates = matcher.tcp(flow.serverPort!);
    else if (proto === PROTO_UDP) candidates = matcher.udp(flow.serverPort!);
    else if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) candidates = [];
    else candidates = matcher.ipProtocol(proto);
    out.push({ flow, candidates: [...candidates] });
  }
  return out;
}

function minSeen(f64: Float64Array, f: number, field: number): number {
  const p0 = f64[f + V_PKTS] > 0;
  const p1 = f64[f + V_PKTS + 1] > 0;
  if (p0 && p1) return Math.min(f64[f + field], f64[f + field + 1]);
  return p0 ? f64[f + field] : f64[f + field + 1];
}

/** Flows that prove their endpoints' roles: a completed handshake, or any non-TCP exchange. */
function proves(flow: ClassifiedFlow): boolean {
  return flow.state === null ? !flow.failed : flow.state === 'established' || flow.state === 'closed' || flow.state === 'reset';
}

/** How well an entry fits the known roles of a flow's endpoints. */
function fit(e: CatalogEntry, serverRoles: Set<Role> | undefined, clientRoles: Set<Role> | undefined): number {
  let score = 0;
  if (serverRoles?.has(e.listener)) score += 2;
  else if (serverRoles && isPanDevice(e.listener) && [...serverRoles].some(isPanDevice)) score -= 2;
  if (clientRoles && e.clients.some((r) => clientRoles.has(r))) score += 1;
  return score;
}

export function classifyFlows(table: FlowTable, matcher: CatalogMatcher, inventory: Inventory | null): { flows: ClassifiedFlow[]; roles: RoleBook } {
  const classifier = new FlowClassifier(matcher, inventory);
  const flows = classifier.classify(table, table.capacity);
  return { flows, roles: classifier.roles };
}

/**
 * Classification with memory: the roles (inventory and inferred) and the RPC endpoint-mapper
 * connections learnt from every batch of flows classified so far. File analysis classifies
 * all flows in one call (classifyFlows); live capture classifies each batch of expired
 * flows as it leaves the flow table, so a flow is judged by the roles known at that time.
 */
export class FlowClassifier {
  readonly roles: RoleBook = { roles: new Map() };
  /** First 135 connection per "client|server" (RPC dynamic ports count only after one). */
  private readonly epm = new Map<string, number>();
  private readonly epmIds: Set<string>;
  /**
   * Address numbers (ClassifiedFlow.clientId/serverId) stay the same across calls and forks,
   * so a summary accumulator can key pairs by them whichever call classified a flow.
   */
  private interner = new AddressInterner();

  constructor(
    readonly matcher: CatalogMatcher,
    readonly inventory: Inventory | null,
  ) {
    this.epmIds = new Set(matcher.catalog.entries.filter((e) => e.port === 135 && e.transport === 'tcp').map((e) => e.id));
  }

  /** A copy whose later classifications leave this one's roles untouched. */
  fork(): FlowClassifier {
    const c = new FlowClassifier(this.matcher, this.inventory);
    c.interner = this.interner; // numbering more addresses in the fork is harmless
    for (const [addr, r] of this.roles.roles) c.roles.roles.set(addr, { roles: new Set(r.roles), source: r.source });
    for (const [k, v] of this.epm) c.epm.set(k, v);
    return c;
  }

  /**
   * Classifies the flows in slots [0, slots) of `src` (empty slots skipped), learning roles
   * from them first; returns them in capture order (first packet first).
   */
  classify(src: FlowSlots, slots: number): ClassifiedFlow[] {
    const entries = this.matcher.catalog.entries;
    const matcher = this.matcher;
    const inventory = this.inventory;
    const base = baseFlows(src, slots, matcher, this.interner);

    // RPC dynamic ports count only after a 135 connection between the same two hosts.
    const epm = this.epm;
    const epmIds = this.epmIds;
    for (const { flow, candidates } of base) {
      if (candidates.some((i) => epmIds.has(entries[i].id)) && proves(flow)) {
        const key = `${flow.client}|${flow.server}`;
        epm.set(key, Math.min(epm.get(key) ?? Infinity, flow.firstTs));
      }
    }
    for (const item of base) {
      const { flow } = item;
      if (flow.serverPort === null || (flow.transport !== 'tcp' && flow.transport !== 'udp')) continue;
      const ranged = matcher.rangeEntries(flow.transport === 'tcp' ? 6 : 17, flow.serverPort);
      if (ranged.length === 0) continue;
      const since = epm.get(`${flow.client}|${flow.server}`);
      if (since === undefined || flow.firstTs < since) continue;
      for (const i of ranged) if (entries[i].after !== undefined) item.candidates.push(i);
    }

    // Roles: the inventory first, then what distinctive entries prove.
    const roles = this.roles;
    const note = (addr: string, role: Role, source: 'inventory' | 'inferred'): void => {
      let r = roles.roles.get(addr);
      if (r === undefined) roles.roles.set(addr, (r = { roles: new Set(), source }));
      r.roles.add(role);
    };
    if (inventory !== null) {
      for (const { flow } of base) {
        for (const addr of [flow.client, flow.server]) for (const role of inventory.rolesOf(addr)) note(addr, role, 'inventory');
      }
    }
    for (const { flow, candidates } of base) {
      if (!proves(flow)) continue;
      for (const i of candidates) {
        const inf = entries[i].infer;
        if (inf?.server) note(flow.server, inf.server, 'inferred');
        if (inf?.client) note(flow.client, inf.client, 'inferred');
      }
    }

    const flows: ClassifiedFlow[] = [];
    for (const { flow, candidates } of base) {
      const sr = roles.roles.get(flow.server)?.roles;
      const cr = roles.roles.get(flow.client)?.roles;
      if (candidates.length > 0) {
        // Keep the candidates that fit the roles best; with no roles, all of them.
        const scores = candidates.map((i) => fit(entries[i], sr, cr));
        const best = Math.max(...scores);
        flow.entries = candidates.filter((_, j) => scores[j] === best);
        flow.section = entries[flow.entries[0]].section;
      } else if (flow.transport === 'ethertype') {
        flow.section = 'other'; // ARP, LLDP and friends: counted by ethertype, never "unexpected"
      } else if (inventory !== null) {
        const pan = (r: Set<Role> | undefined) => r !== undefined && [...r].some(isPanDevice);
        flow.section = pan(sr) || pan(cr) ? 'unexpected' : 'other';
      } else flow.section = 'unexpected';
      flows.push(flow);
    }
    // Deterministic order whatever the table layout: first packet in the capture first.
    flows.sort((a, b) => a.firstSeq - b.firstSeq);
    return flows;
  }
}

