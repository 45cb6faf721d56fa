// Classification of merged flows: server side, TCP outcome, matching catalog entries, the
// roles of the endpoints (inventory, or inferred from distinctive ports), and from those
// the one section each flow is reported under. Runs once per flow after merging.
import type { CatalogMatcher } from '../catalog/matcher.js';
import { entryWithEveryKey, type CatalogEntry, type Role } from '../catalog/schema.js';
import { KIND_IPV4, KIND_IPV6, KIND_L2 } from '../decode/fields.js';
import { ICMP4_ECHO_REQUEST, ICMP6_ECHO_REQUEST, icmp6Infrastructure, type Icmp6Infrastructure } from '../decode/icmp.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../decode/transport.js';
import type { FlowSlots, FlowTable, Side } from '../flow/table.js';
import { RecordOrder } from '../flow/record-order.js';
import { ipv4String, ipv6String, macString } from './address.js';
import { serverSide, tcpState } from './direction.js';
import { isPanDevice, type Inventory } from './inventory.js';
import type { ConversationFacts, FlowFacts } from '../flow/conversation.js';
import { inspectRpcStream } from '../inspect/dcerpc.js';
import { emptyStream, type FlowPayload } from '../inspect/stream.js';
import type { FlowVerdictFacts, InspectionCounts } from './flow-facts.js';
import { linkKerberosRetries } from './app-verdicts.js';
import { RoleLearner, type RoleBook, type RoleFlow } from './roles.js';
import { flowHeartbeat, isHeartbeatEntry, type FlowHeartbeat } from './cadence.js';
import { sessionGaps, type SessionGap } from './silences.js';
import { judge, type JudgeInput } from './judge.js';
import { isFailureState, type DirectionRule, type FlowSection, type FlowState, type FlowTransport } from './vocabulary.js';

export interface ClassifiedFlow extends FlowVerdictFacts {
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
  state: FlowState | null;
  /** A failed attempt: state rejected or unanswered (for UDP: only ICMP errors came back). */
  failed: boolean;
  icmpErrors: number;
  direction: DirectionRule;
  /** Indices into catalog.entries, narrowed by roles; empty when nothing matches. */
  entries: number[];
  section: FlowSection;
  /**
   * ICMPv6 neighbour/router discovery and MLD: the link's own upkeep, as ARP is for IPv4,
   * counted beside the non-IP frames and never unexpected. Absent or null otherwise.
   */
  infrastructure?: Icmp6Infrastructure | null;
  /** On an HA heartbeat entry, with its packet times logged: intervals, gaps, unanswered echoes (cadence.ts). */
  heartbeat?: FlowHeartbeat | null;
  /** A long-lived TCP session (3978, 28769, 28260, 28770, 28771, 28270): its silences longer than its usual cadence (silences.ts). */
  gaps?: SessionGap[] | null;
}

/** A shared empty list (frozen: a flow that adds to its list makes its own). */
const NO_CANDIDATES: readonly number[] = Object.freeze([]);

/** What learnFrom() looks at: the ports, IP protocols and ethertypes of entries that prove something. */
interface ProvingPorts {
  tcp: Uint8Array;
  udp: Uint8Array;
  ipProtocols: Set<number>;
  ethertypes: Set<number>;
}

export type { RoleBook, RoleRecord } from './roles.js';


function addressOf(flows: FlowSlots, slot: number, side: Side, kind: number): string {
  const w = (i: number) => flows.addressWord(slot, side, i);
  if (kind === KIND_IPV4) return ipv4String(w(0));
  if (kind === KIND_IPV6) return ipv6String(w(0), w(1), w(2), w(3));
  return macString(w(0), w(1));
}

/**
 * `s` as one string: V8 builds a concatenation of 13 characters or more (most IPv4 addresses)
 * as a tree of two or more strings, and reading a character of it makes it one, whose tree the
 * collector drops (≈ 35 bytes an address kept instead of ≈ 59; a SYN flood keeps 500,000).
 */
function flat(s: string): string {
  return s.charCodeAt(0) >= 0 ? s : '';
}

/** One string and one number per distinct address, however many flows it is in. */
class AddressInterner {
  private readonly ids = new Map<string, number>();
  /** IPv4 addresses by their word: no string is built for an address seen before. */
  private readonly v4 = new Map<number, number>();
  readonly strings: string[] = [];
  /** The number of a flow side's address. */
  of(flows: FlowSlots, slot: number, side: Side, kind: number): number {
    if (kind !== KIND_IPV4) return this.id(addressOf(flows, slot, side, kind));
    const w = flows.addressWord(slot, side, 0);
    // Keyed as an int32 (a small integer to V8, not a boxed number); not in `ids`: no other
    // kind of address reads as dotted decimal, so its string needs no lookup (a SYN flood's
    // 500,000 sources: bench/README.md, "flood-1M").
    let id = this.v4.get(w | 0);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(flat(ipv4String(w)));
      this.v4.set(w | 0, id);
    }
    return id;
  }
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

const TRANSPORTS = ['tcp', 'udp', 'icmp', 'icmpv6', 'ip', 'ethertype'] as const satisfies readonly FlowTransport[];
const STATES = [null, 'established', 'rejected', 'unanswered', 'reset', 'closed', 'midstream'] as const satisfies readonly (FlowState | null)[];
const RULES = ['handshake', 'catalog-port', 'well-known-port', 'dominant-sender', 'icmp-request', 'first-packet'] as const satisfies readonly DirectionRule[];
/** Each list names every value of its type (a value added to the vocabulary and not here fails to compile). */
type Every<T, L extends readonly unknown[]> = [Exclude<T, L[number]>] extends [never] ? true : never;
const EVERY: [Every<FlowTransport, typeof TRANSPORTS>, Every<FlowState | null, typeof STATES>, Every<DirectionRule, typeof RULES>] = [true, true, true];
void EVERY;
const STATE_CODE: ReadonlyMap<FlowState | null, number> = new Map(STATES.map((x, i) => [x, i]));
const RULE_CODE: ReadonlyMap<DirectionRule, number> = new Map(RULES.map((x, i) => [x, i]));

/**
 * The base facts of flows: what learning roles needs of a flow (direction, outcome, address
 * numbers, candidate entries; roles not applied yet), made for every flow before any is
 * judged; the rest of a ClassifiedFlow is made when it is judged (classifiedFlow). In columns
 * by row (≈ 45 bytes a flow), not an object per flow (≈ 140 bytes and a boxed time, all alive
 * until judged, so in the old generation): 500,000 flows of a SYN flood held ≈ 70 MiB of heap
 * that way (bench/README.md, "flood-1M, third pass").
 */
class BaseColumns {
  n = 0;
  readonly slot: Int32Array;
  readonly clientId: Int32Array;
  readonly serverId: Int32Array;
  /** -1: none (no ports). */
  readonly serverPort: Int32Array;
  readonly firstTs: Float64Array;
  readonly firstSeq: Float64Array;
  /** TRANSPORTS, STATES and RULES indexes; the canonical side of the server. */
  readonly transport: Uint8Array;
  readonly state: Uint8Array;
  readonly rule: Uint8Array;
  readonly serverAt: Uint8Array;
  /** Index into `lists`: the candidate entries (the matcher's frozen lists, shared, or one a flow had entries added to). */
  readonly candidates: Int32Array;
  readonly lists: (readonly number[])[] = [];
  private readonly listIds = new Map<readonly number[], number>();

  constructor(rows: number) {
    this.slot = new Int32Array(rows);
    this.clientId = new Int32Array(rows);
    this.serverId = new Int32Array(rows);
    this.serverPort = new Int32Array(rows);
    this.firstTs = new Float64Array(rows);
    this.firstSeq = new Float64Array(rows);
    this.transport = new Uint8Array(rows);
    this.state = new Uint8Array(rows);
    this.rule = new Uint8Array(rows);
    this.serverAt = new Uint8Array(rows);
    this.candidates = new Int32Array(rows);
  }

  /** Row r's candidate entries get list `c`. */
  setCandidates(r: number, c: readonly number[]): void {
    let id = this.listIds.get(c);
    if (id === undefined) {
      id = this.lists.length;
      this.lists.push(c);
      this.listIds.set(c, id);
    }
    this.candidates[r] = id;
  }

  candidatesOf(r: number): readonly number[] {
    return this.lists[this.candidates[r]];
  }

  stateOf(r: number): FlowState | null {
    return STATES[this.state[r]];
  }

  transportOf(r: number): FlowTransport {
    return TRANSPORTS[this.transport[r]];
  }

  /** A flow that proves its endpoints' roles: a completed handshake, or any non-TCP exchange. */
  proves(r: number): boolean {
    const state = STATES[this.state[r]];
    return state === null ? true : state === 'established' || state === 'closed' || state === 'reset';
  }
}

/**
 * Flows prepared for classify() (FlowClassifier.prepare), for one classification: it takes
 * them (take()) and drops each as it judges it, so that judged flows die young.
 */
export class PreparedFlows {
  private base: BaseColumns | null;
  constructor(
    readonly src: FlowSlots,
    base: BaseColumns,
  ) {
    this.base = base;
  }

  /**
   * The (entry, client, server) channels these flows can fold into a summary, one per
   * candidate entry of each (a summary's ChannelStore reserves that many). Not quite a bound:
   * classification adds a few candidates after (the endpoint mapper's dynamic ports in
   * learn(), HA entries for ICMP echo between HA peers), whose channels the store grows for.
   */
  channelBound(): number {
    const base = this.base;
    if (base === null) return 0;
    let n = 0;
    for (let r = 0; r < base.n; r++) n += base.candidatesOf(r).length;
    return n;
  }

  /** The flows, handed over once (a second classification of them is an error, not an empty result). */
  take(): BaseColumns {
    const base = this.base;
    if (base === null) throw new Error('PreparedFlows: classified already');
    this.base = null;
    return base;
  }
}

function baseFlows(src: FlowSlots, matcher: CatalogMatcher, interner: AddressInterner, only?: (slot: number) => boolean): BaseColumns {
  let rows = 0;
  for (let slot = 0; slot < src.slots; slot++) if (src.used(slot) && (only === undefined || only(slot))) rows++;
  const out = new BaseColumns(rows);
  const tcpPort = (p: number) => matcher.isCatalogPort(6, p);
  const udpPort = (p: number) => matcher.isCatalogPort(17, p);
  for (let slot = 0; slot < src.slots; slot++) {
    if (!src.used(slot) || (only !== undefined && !only(slot))) continue;
    const kind = src.kind(slot);
    const proto = src.proto(slot);
    const l2 = kind === KIND_L2;
    const hasPorts = !l2 && (proto === IPPROTO_TCP || proto === IPPROTO_UDP);
    const ports: [number, number] | null = hasPorts ? [src.port(slot, 0), src.port(slot, 1)] : null;
    const tcp = !l2 && proto === IPPROTO_TCP;
    const dir = serverSide(src, slot, tcp, ports, !l2 && (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) ? proto : 0, proto === IPPROTO_TCP ? tcpPort : udpPort);
    const s = dir.server;
    const id0 = interner.of(src, slot, 0, kind);
    const id1 = interner.of(src, slot, 1, kind);
    const clientId = s === 0 ? id1 : id0;
    const serverId = s === 0 ? id0 : id1;
    const state = tcp ? tcpState(src, slot, s) : null;
    const icmpErrors = src.icmpErrors(slot, s);
    const serverPackets = src.packets(slot, s);
    // A UDP (or other) exchange answered only by ICMP errors failed, as a refused TCP SYN does.
    const udpRefused = !tcp && icmpErrors > 0 && icmpErrors === serverPackets;
    // TRANSPORTS' indexes.
    const transport = l2 ? 5 : proto === IPPROTO_TCP ? 0 : proto === IPPROTO_UDP ? 1 : proto === IPPROTO_ICMP ? 2 : proto === IPPROTO_ICMPV6 ? 3 : 4;
    const finalState = udpRefused ? 'rejected' : state;
    const serverPort = ports ? ports[s] : null;
    let candidates: readonly number[];
    if (l2) candidates = matcher.ethertype(src.ethertype(slot));
    else if (proto === IPPROTO_TCP) candidates = matcher.tcp(serverPort!);
    else if (proto === IPPROTO_UDP) candidates = matcher.udp(serverPort!);
    else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) candidates = NO_CANDIDATES;
    else candidates = matcher.ipProtocol(proto);
    const r = out.n++;
    out.slot[r] = slot;
    out.clientId[r] = clientId;
    out.serverId[r] = serverId;
    out.serverPort[r] = serverPort ?? -1;
    out.firstTs[r] = src.flowFirstTs(slot);
    out.firstSeq[r] = src.flowFirstSeq(slot);
    out.transport[r] = transport;
    out.state[r] = STATE_CODE.get(finalState)!;
    out.rule[r] = RULE_CODE.get(dir.rule)!;
    out.serverAt[r] = s;
    out.setCandidates(r, candidates);
  }
  return out;
}

/** A flow as classification judges it, from its base facts (row r) and its slot (baseFlows). */
function classifiedFlow(src: FlowSlots, b: BaseColumns, r: number, names: readonly string[]): ClassifiedFlow {
  const slot = b.slot[r];
  const s = b.serverAt[r] as Side;
  const c: Side = s === 0 ? 1 : 0;
  const kind = src.kind(slot);
  const proto = src.proto(slot);
  const l2 = kind === KIND_L2;
  const hasPorts = !l2 && (proto === IPPROTO_TCP || proto === IPPROTO_UDP);
  const state = b.stateOf(r);
  const serverPort = b.serverPort[r];
  return {
    transport: b.transportOf(r),
    client: names[b.clientId[r]],
    server: names[b.serverId[r]],
    clientId: b.clientId[r],
    serverId: b.serverId[r],
    clientPort: hasPorts ? src.port(slot, c) : null,
    serverPort: serverPort < 0 ? null : serverPort,
    ipProtocol: l2 ? null : proto,
    ethertype: l2 ? src.ethertype(slot) : null,
    clientPackets: src.packets(slot, c),
    serverPackets: src.packets(slot, s),
    clientBytes: src.bytes(slot, c),
    serverBytes: src.bytes(slot, s),
    firstTs: b.firstTs[r],
    lastTs: Math.max(src.lastTs(slot, 0), src.lastTs(slot, 1)),
    firstSeq: b.firstSeq[r],
    state,
    failed: isFailureState(state),
    icmpErrors: src.icmpErrors(slot, s),
    direction: RULES[b.rule[r]],
    entries: [],
    section: 'unexpected',
    infrastructure: !l2 && proto === IPPROTO_ICMPV6 ? infrastructureOf(src, slot) : null,
    // Set below for some flows: present in every flow, so that all have one shape.
    heartbeat: null,
    gaps: null,
    app: null,
    verdict: isFailureState(state) ? 'failed' : 'ok',
    reason: isFailureState(state) ? state : null,
    detail: null,
    communityId: null,
    tcp: null,
    tls: null,
    ssh: null,
    // NO_APP_RECORDS written out: a spread in the literal builds every flow on V8's slow path.
    ldap: null,
    kerberos: null,
    radius: null,
    snmp: null,
    ntp: null,
    syslog: null,
    rpc: null,
  };
}

/** The rows by first record (firstSeq): RecordOrder, or a comparator sort where that is not exact. */
function inCaptureOrder(base: BaseColumns): Int32Array {
  const n = base.n;
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  const seq = base.firstSeq;
  const order = new RecordOrder(n, n);
  for (let i = 0; i < n; i++) if (!order.add(seq[i], i)) return rows.sort((a, b) => seq[a] - seq[b]);
  // A session's snapshot comes in capture order already (FlowTable.snapshotInCaptureOrder).
  if (order.sorted) return rows;
  order.sort();
  for (let j = 0; j < n; j++) rows[j] = order.at(j);
  return rows;
}

/** The kind of link infrastructure every ICMPv6 message of the flow is, or null. */
function infrastructureOf(src: FlowSlots, slot: number): Icmp6Infrastructure | null {
  // A flow's key holds its message types (decode/transport.ts), so both sides' messages
  // are of one kind; the highest message each side sent stands for it.
  let kind: Icmp6Infrastructure | null = null;
  for (const side of [0, 1] as const) {
    const msg = src.icmpMessage(slot, side);
    if (msg === 0) continue;
    const k = icmp6Infrastructure((msg >>> 8) & 0xff);
    if (k === null || (kind !== null && k !== kind)) return null;
    kind = k;
  }
  return kind;
}

/** Flows classifyEach() judges and hands over at a time: small enough to die young. */
const CLASSIFY_CHUNK = 1024;

/** A TCP conversation's kept prefixes as the decoders' input, named by the flow's server side. */
function payloadOf(f: ConversationFacts, server: Side): FlowPayload {
  const s = f.streams[server];
  const c = f.streams[server === 0 ? 1 : 0];
  return { client: c ?? emptyStream(), server: s ?? emptyStream() };
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
  const flows = classifier.classify(table);
  return { flows, roles: classifier.roles };
}

/**
 * Classification with memory: the roles (inventory and inferred) and the RPC endpoint-mapper
 * connections learnt from every batch of flows classified so far. File analysis classifies
 * all flows in one call (classifyFlows); live capture classifies each batch of expired
 * flows as it leaves the flow table, so a flow is judged by the roles known at that time.
 */
export class FlowClassifier {
  /** Roles and what they rest on, HA peers (see roles.ts). */
  private learner = new RoleLearner();
  get roles(): RoleBook {
    return this.learner.book;
  }
  /** First 135 connection per "client|server" (RPC dynamic ports count only after one). */
  private readonly epm = new Map<string, number>();
  /**
   * Per "client|server": the TCP ports the endpoint mapper handed out, read from its ept_map
   * answers; null once a 135 connection of the pair could not be read (no payload kept),
   * when only timing can link the dynamic-port flows.
   */
  private readonly epmPorts = new Map<string, Set<number> | null>();
  private readonly epmIds: Set<string>;
  /** The catalog's entries, each with every key (entryWithEveryKey): what classification and judge() read. */
  private readonly entries: readonly CatalogEntry[];
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
    this.entries = matcher.catalog.entries.map(entryWithEveryKey);
  }

  /**
   * What classify() does first and needs no facts for (direction, outcome, candidate entries
   * of each flow): a session does it while a worker hands the facts over.
   */
  prepare(src: FlowSlots): PreparedFlows {
    return new PreparedFlows(src, baseFlows(src, this.matcher, this.interner));
  }

  /** A copy whose later classifications leave this one's roles untouched. */
  fork(): FlowClassifier {
    const c = new FlowClassifier(this.matcher, this.inventory);
    c.interner = this.interner; // numbering more addresses in the fork is harmless
    c.learner = this.learner.fork();
    for (const [k, v] of this.epm) c.epm.set(k, v);
    for (const [k, v] of this.epmPorts) c.epmPorts.set(k, v === null ? null : new Set(v));
    return c;
  }

  /**
   * Learns roles and endpoint-mapper connections from the flows of `src` without
   * classifying them: live capture calls it with the flows still active before it
   * classifies the expired ones, so an expired flow is judged with what the whole capture
   * has shown so far (as file analysis judges every flow), not only what has expired.
   * Only flows on ports that can prove something are looked at.
   */
  learnFrom(src: FlowSlots): void {
    const proves = this.provingPorts();
    const base = baseFlows(src, this.matcher, this.interner, (slot) => {
      const proto = src.proto(slot);
      if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
        const t = proto === IPPROTO_TCP ? proves.tcp : proves.udp;
        return t[src.port(slot, 0)] === 1 || t[src.port(slot, 1)] === 1;
      }
      return src.kind(slot) === KIND_L2 ? proves.ethertypes.has(src.ethertype(slot)) : proves.ipProtocols.has(proto);
    });
    this.learn(base);
  }

  private proving: ProvingPorts | null = null;

  /**
   * Ports whose entries infer a role or are the RPC endpoint mapper. Inventory roles need no
   * learning pass: classify() notes them for the endpoints of the flows it classifies.
   */
  private provingPorts(): ProvingPorts {
    if (this.proving !== null) return this.proving;
    const p: ProvingPorts = { tcp: new Uint8Array(65536), udp: new Uint8Array(65536), ipProtocols: new Set(), ethertypes: new Set() };
    for (const e of this.matcher.catalog.entries) {
      if (e.infer === undefined && !this.epmIds.has(e.id)) continue;
      if (e.transport === 'ip' && e.ipProtocol !== null) p.ipProtocols.add(e.ipProtocol);
      else if (e.transport === 'ethertype' && e.ethertype !== null) p.ethertypes.add(e.ethertype);
      else {
        const t = e.transport === 'tcp' ? p.tcp : p.udp;
        if (e.portRange) t.fill(1, e.portRange[0], e.portRange[1] + 1);
        else if (e.port !== null) t[e.port] = 1;
      }
    }
    return (this.proving = p);
  }

  /** The learning half of classify(): endpoint-mapper connections, RPC candidates, roles. */
  private learn(base: BaseColumns, facts?: (slot: number) => FlowFacts | null): void {
    const entries = this.entries;
    const matcher = this.matcher;
    const inventory = this.inventory;
    const names = this.interner.strings;
    const n = base.n;
    // The one flow role learning is shown at a time (it keeps its strings, never the object).
    const flow: RoleFlow = { client: '', server: '' };
    const at = (k: number): RoleFlow => {
      flow.client = names[base.clientId[k]];
      flow.server = names[base.serverId[k]];
      return flow;
    };
    // Indexed loops and per-entry flags, no for-of or closures per flow: this runs once per
    // flow per run, mostly before V8 has optimised it, where each costs an allocation.
    const { epm: isEpm, haPlain } = this.entryFlags();
    const any = (c: readonly number[], flag: Uint8Array) => {
      for (let j = 0; j < c.length; j++) if (flag[c[j]] === 1) return true;
      return false;
    };
    // RPC dynamic ports count only after a 135 connection between the same two hosts.
    const epm = this.epm;
    for (let k = 0; k < n; k++) {
      if (any(base.candidatesOf(k), isEpm) && base.proves(k)) {
        const { client, server } = at(k);
        const key = `${client}|${server}`;
        epm.set(key, Math.min(epm.get(key) ?? Infinity, base.firstTs[k]));
        // The port its ept_map answer named, when the payload was kept.
        const f = facts?.(base.slot[k]) ?? null;
        const rpc = f !== null && f.kind === 'tcp' ? inspectRpcStream(payloadOf(f, base.serverAt[k] as Side)) : null;
        const known = this.epmPorts.get(key);
        if (rpc === null) this.epmPorts.set(key, null);
        else if (known !== null) {
          const ports = known ?? new Set<number>();
          if (rpc.dynamicPort !== null) ports.add(rpc.dynamicPort);
          this.epmPorts.set(key, ports);
        }
      }
    }
    if (epm.size > 0) {
      for (let k = 0; k < n; k++) {
        const serverPort = base.serverPort[k];
        const transport = base.transportOf(k);
        if (serverPort < 0 || (transport !== 'tcp' && transport !== 'udp')) continue;
        const ranged = matcher.rangeEntries(transport === 'tcp' ? 6 : 17, serverPort);
        if (ranged.length === 0) continue;
        const { client, server } = at(k);
        const since = epm.get(`${client}|${server}`);
        if (since === undefined || base.firstTs[k] < since) continue;
        // The endpoint mapper named its ports: only those follow from it.
        const ports = this.epmPorts.get(`${client}|${server}`);
        if (ports !== undefined && ports !== null && !ports.has(serverPort)) continue;
        const added = ranged.filter((i) => entries[i].after !== undefined);
        if (added.length > 0) base.setCandidates(k, base.candidatesOf(k).concat(added));
      }
    }

    // Roles: the inventory first, then what distinctive entries prove, then the listeners
    // a port alone does not decide (5007), from the other channels of both ends.
    const learner = this.learner;
    if (inventory !== null) {
      for (let k = 0; k < n; k++) {
        const { client, server } = at(k);
        for (const addr of [client, server]) for (const role of inventory.rolesOf(addr)) learner.inventory(addr, role);
      }
    }
    for (let k = 0; k < n; k++) {
      const c = base.candidatesOf(k);
      if (c.length === 0 || !base.proves(k)) continue;
      for (let j = 0; j < c.length; j++) learner.learn(at(k), entries[c[j]]);
    }
    for (let k = 0; k < n; k++) {
      if (any(base.candidatesOf(k), haPlain) && base.proves(k)) learner.learnHa(at(k));
    }
    learner.resolve();
  }

  private flags: { epm: Uint8Array; haPlain: Uint8Array } | null = null;

  /** Per catalog entry: the RPC endpoint mapper; an HA entry that infers nothing (learnHa). */
  private entryFlags(): { epm: Uint8Array; haPlain: Uint8Array } {
    if (this.flags !== null) return this.flags;
    const entries = this.matcher.catalog.entries;
    const epm = new Uint8Array(entries.length);
    const haPlain = new Uint8Array(entries.length);
    entries.forEach((e, i) => {
      if (this.epmIds.has(e.id)) epm[i] = 1;
      if (e.section === 'ha' && e.infer === undefined) haPlain[i] = 1;
    });
    return (this.flags = { epm, haPlain });
  }

  /**
   * Classifies the flows of `input` (a table, or a snapshot through flowSlots; or those
   * flows prepared), learning roles from them first; returns them in capture order (first
   * packet first).
   *
   * `settledBeforeUs`: the flows are still going on (the live view's snapshot); those that
   * started after this time are young, in the middle of their first exchange, and verdicts
   * that need it to be over (tls-incomplete, no-reply) are not given to them yet.
   */
  classify(input: FlowSlots | PreparedFlows, facts?: (slot: number) => FlowFacts | null, counts?: InspectionCounts, settledBeforeUs = Infinity): ClassifiedFlow[] {
    const flows: ClassifiedFlow[] = [];
    this.classifyEach(input, (chunk) => {
      for (const f of chunk) flows.push(f);
    }, facts, counts, settledBeforeUs, Infinity);
    return flows;
  }

  /**
   * classify() handing its flows to `each` in capture order, `chunk` at a time, and keeping
   * none: a caller that folds them into a summary and drops them (file analysis without
   * --flows-ndjson or --export) never has them all alive at once, and those it drops die
   * young (a SYN flood's 500,000 flows: bench/README.md, "flood-1M"). `listable`: whether the
   * caller may list a judged flow (JudgeInput.listable); absent, every flow is complete.
   */
  classifyEach(
    input: FlowSlots | PreparedFlows,
    each: (flows: ClassifiedFlow[]) => void,
    facts?: (slot: number) => FlowFacts | null,
    counts?: InspectionCounts,
    settledBeforeUs = Infinity,
    chunk = CLASSIFY_CHUNK,
    listable?: (flow: ClassifiedFlow) => boolean,
  ): void {
    const entries = this.entries;
    const inventory = this.inventory;
    const roles = this.roles;
    const prepared = input instanceof PreparedFlows ? input : this.prepare(input);
    const src = prepared.src;
    const prepBase = prepared.take();
    // Each flow's facts are asked for once (a sink may build them then, see FactsOf): those
    // learn() reads (endpoint-mapper connections) are kept here until their flow is judged.
    const early = new Map<number, FlowFacts | null>();
    this.learn(
      prepBase,
      facts === undefined
        ? undefined
        : (slot) => {
            let f = early.get(slot);
            if (f === undefined) early.set(slot, (f = facts(slot)));
            return f;
          },
    );

    // Deterministic order whatever the table layout: first packet in the capture first (no
    // two flows share one). Judged in that order, so that chunks come out in it.
    const order = inCaptureOrder(prepBase);
    const names = this.interner.strings;
    const kerberos = new Map<string, ClassifiedFlow>();
    let flows: ClassifiedFlow[] = [];
    // One judge input for all flows (judge keeps nothing of it).
    const judging: JudgeInput = { src, slot: 0, server: 0, facts: null, entries: [], catalog: entries, active: false, listable };
    for (let b = 0; b < order.length; b++) {
      const row = order[b];
      let candidates = prepBase.candidatesOf(row);
      const slot = prepBase.slot[row];
      const server = prepBase.serverAt[row] as Side;
      const flow = classifiedFlow(src, prepBase, row, names);
      // ICMP echo between HA peers is the HA1 heartbeat (derived entries of IP protocol 1/58).
      if (flow.direction === 'icmp-request' && this.learner.haPeers(flow.client, flow.server)) {
        const echo = flow.ipProtocol === IPPROTO_ICMP ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
        if (src.port(slot, server === 0 ? 1 : 0) === echo) candidates = candidates.concat(this.matcher.ipProtocol(flow.ipProtocol!).filter((i) => entries[i].section === 'ha'));
      }
      if (candidates.length === 1) {
        // One candidate fits best whatever the roles.
        flow.entries = [candidates[0]];
        flow.section = entries[candidates[0]].section;
      } else if (candidates.length > 0) {
        // Keep the candidates that fit the roles best; with no roles, all of them.
        const sr = roles.roles.get(flow.server)?.roles;
        const cr = roles.roles.get(flow.client)?.roles;
        const scores = candidates.map((i) => fit(entries[i], sr, cr));
        const best = Math.max(...scores);
        flow.entries = candidates.filter((_, j) => scores[j] === best);
        flow.section = entries[flow.entries[0]].section;
      } else if (flow.transport === 'ethertype' || flow.infrastructure) {
        // ARP, LLDP and friends, and their IPv6 counterparts (neighbour discovery, MLD):
        // counted by kind, never "unexpected".
        flow.section = 'other';
      } else if (inventory !== null) {
        const pan = (r: Set<Role> | undefined) => r !== undefined && [...r].some(isPanDevice);
        flow.section = pan(roles.roles.get(flow.server)?.roles) || pan(roles.roles.get(flow.client)?.roles) ? 'unexpected' : 'other';
      } else flow.section = 'unexpected';
      // Most runs ask learn() for no facts: no lookup then.
      const asked = early.size === 0 ? undefined : early.get(slot);
      if (asked !== undefined) early.delete(slot);
      const f = asked !== undefined ? asked : (facts?.(slot) ?? null);
      const beats = f?.beats ?? null;
      let hb = -1;
      if (beats !== null) {
        for (let j = 0; j < flow.entries.length && hb < 0; j++) if (isHeartbeatEntry(entries[flow.entries[j]])) hb = flow.entries[j];
      }
      if (hb >= 0) {
        const t = flow.transport;
        flow.heartbeat = flowHeartbeat(t === 'icmpv6' ? 'icmp' : t, entries[hb].id, beats!, server === 0 ? 1 : 0);
      }
      if (f !== null && f.kind === 'tcp' && f.silences) flow.gaps = sessionGaps(f.silences);
      judging.slot = slot;
      judging.server = server;
      judging.facts = f;
      judging.entries = flow.entries;
      judging.active = flow.firstTs > settledBeforeUs;
      const judged = judge(flow, judging);
      if (counts !== undefined) {
        if (judged.bytesKept > 0) counts.flows++;
        counts.bytesKept += judged.bytesKept;
        if (judged.capHit) counts.capHit++;
      }
      flows.push(flow);
      if (flows.length >= chunk) {
        linkKerberosRetries(flows, kerberos);
        each(flows);
        flows = [];
      }
    }
    linkKerberosRetries(flows, kerberos);
    if (flows.length > 0) each(flows);
  }
}

