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
import { RoleLearner, type RoleBook } from './roles.js';
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
      this.strings.push(ipv4String(w));
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

/**
 * What learning roles needs of a flow, made for every flow before any is judged: the rest of
 * its ClassifiedFlow is made when it is judged (classifiedFlow), so that a table's flows are
 * not all alive at once as classified flows (bench/README.md, "flood-1M").
 */
type BaseFacts = Pick<ClassifiedFlow, 'transport' | 'client' | 'server' | 'clientId' | 'serverId' | 'serverPort' | 'firstTs' | 'firstSeq' | 'state' | 'failed' | 'direction'>;

/**
 * The direction, outcome and candidate entries of a flow (roles not applied yet): one object
 * per flow, all of them alive until each is judged (so they reach the old generation), so it
 * holds nothing else (bench/README.md, "Report phase, fourth pass").
 */
interface BaseFlow extends BaseFacts {
  /** The matcher's frozen list until entries are added to it (then a copy of its own). */
  candidates: readonly number[];
  slot: number;
  /** Canonical side of the server. */
  serverAt: Side;
}

/**
 * Flows prepared for classify() (FlowClassifier.prepare), for one classification: it takes
 * them (take()) and drops each as it judges it, so that judged flows die young.
 */
export class PreparedFlows {
  private base: BaseFlow[] | null;
  constructor(
    readonly src: FlowSlots,
    base: BaseFlow[],
  ) {
    this.base = base;
  }

  /** The flows, handed over once (a second classification of them is an error, not an empty result). */
  take(): BaseFlow[] {
    const base = this.base;
    if (base === null) throw new Error('PreparedFlows: classified already');
    this.base = null;
    return base;
  }
}

function baseFlows(src: FlowSlots, matcher: CatalogMatcher, interner: AddressInterner, only?: (slot: number) => boolean): BaseFlow[] {
  const out: BaseFlow[] = [];
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
    const transport: FlowTransport = l2
      ? 'ethertype'
      : proto === IPPROTO_TCP
        ? 'tcp'
        : proto === IPPROTO_UDP
          ? 'udp'
          : proto === IPPROTO_ICMP
            ? 'icmp'
            : proto === IPPROTO_ICMPV6
              ? 'icmpv6'
              : 'ip';
    const finalState = udpRefused ? 'rejected' : state;
    const serverPort = ports ? ports[s] : null;
    let candidates: readonly number[];
    if (l2) candidates = matcher.ethertype(src.ethertype(slot));
    else if (proto === IPPROTO_TCP) candidates = matcher.tcp(serverPort!);
    else if (proto === IPPROTO_UDP) candidates = matcher.udp(serverPort!);
    else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) candidates = NO_CANDIDATES;
    else candidates = matcher.ipProtocol(proto);
    out.push({
      transport,
      client: interner.strings[clientId],
      server: interner.strings[serverId],
      clientId,
      serverId,
      serverPort,
      firstTs: src.flowFirstTs(slot),
      firstSeq: src.flowFirstSeq(slot),
      state: finalState,
      failed: isFailureState(finalState),
      direction: dir.rule,
      candidates,
      slot,
      serverAt: s,
    });
  }
  return out;
}

/** A flow as classification judges it, from its base facts and its slot (baseFlows). */
function classifiedFlow(src: FlowSlots, b: BaseFlow): ClassifiedFlow {
  const slot = b.slot;
  const s = b.serverAt;
  const c: Side = s === 0 ? 1 : 0;
  const kind = src.kind(slot);
  const proto = src.proto(slot);
  const l2 = kind === KIND_L2;
  const hasPorts = !l2 && (proto === IPPROTO_TCP || proto === IPPROTO_UDP);
  const state = b.state;
  return {
    transport: b.transport,
    client: b.client,
    server: b.server,
    clientId: b.clientId,
    serverId: b.serverId,
    clientPort: hasPorts ? src.port(slot, c) : null,
    serverPort: b.serverPort,
    ipProtocol: l2 ? null : proto,
    ethertype: l2 ? src.ethertype(slot) : null,
    clientPackets: src.packets(slot, c),
    serverPackets: src.packets(slot, s),
    clientBytes: src.bytes(slot, c),
    serverBytes: src.bytes(slot, s),
    firstTs: b.firstTs,
    lastTs: Math.max(src.lastTs(slot, 0), src.lastTs(slot, 1)),
    firstSeq: b.firstSeq,
    state,
    failed: b.failed,
    icmpErrors: src.icmpErrors(slot, s),
    direction: b.direction,
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

/** The flows by first record (firstSeq), a new array: RecordOrder, or a comparator sort where that is not exact. */
function inCaptureOrder<T extends { firstSeq: number }>(base: readonly T[]): T[] {
  const n = base.length;
  const order = new RecordOrder(n, n);
  for (let i = 0; i < n; i++) if (!order.add(base[i].firstSeq, i)) return [...base].sort((a, b) => a.firstSeq - b.firstSeq);
  // A session's snapshot comes in capture order already (FlowTable.snapshotInCaptureOrder).
  if (order.sorted) return base.slice();
  order.sort();
  const out: T[] = [];
  for (let j = 0; j < n; j++) out.push(base[order.at(j)]);
  return out;
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

/** Flows that prove their endpoints' roles: a completed handshake, or any non-TCP exchange. */
function proves(flow: BaseFacts): boolean {
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
  private learn(base: BaseFlow[], facts?: (slot: number) => FlowFacts | null): void {
    const entries = this.entries;
    const matcher = this.matcher;
    const inventory = this.inventory;
    const n = base.length;
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
      const flow = base[k];
      if (any(flow.candidates, isEpm) && proves(flow)) {
        const key = `${flow.client}|${flow.server}`;
        epm.set(key, Math.min(epm.get(key) ?? Infinity, flow.firstTs));
        // The port its ept_map answer named, when the payload was kept.
        const f = facts?.(flow.slot) ?? null;
        const rpc = f !== null && f.kind === 'tcp' ? inspectRpcStream(payloadOf(f, flow.serverAt)) : null;
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
        const flow = base[k];
        if (flow.serverPort === null || (flow.transport !== 'tcp' && flow.transport !== 'udp')) continue;
        const ranged = matcher.rangeEntries(flow.transport === 'tcp' ? 6 : 17, flow.serverPort);
        if (ranged.length === 0) continue;
        const since = epm.get(`${flow.client}|${flow.server}`);
        if (since === undefined || flow.firstTs < since) continue;
        // The endpoint mapper named its ports: only those follow from it.
        const ports = this.epmPorts.get(`${flow.client}|${flow.server}`);
        if (ports !== undefined && ports !== null && !ports.has(flow.serverPort)) continue;
        const added = ranged.filter((i) => entries[i].after !== undefined);
        if (added.length > 0) flow.candidates = flow.candidates.concat(added);
      }
    }

    // Roles: the inventory first, then what distinctive entries prove, then the listeners
    // a port alone does not decide (5007), from the other channels of both ends.
    const learner = this.learner;
    if (inventory !== null) {
      for (let k = 0; k < n; k++) {
        const flow = base[k];
        for (const addr of [flow.client, flow.server]) for (const role of inventory.rolesOf(addr)) learner.inventory(addr, role);
      }
    }
    for (let k = 0; k < n; k++) {
      const flow = base[k];
      const c = flow.candidates;
      if (c.length === 0 || !proves(flow)) continue;
      for (let j = 0; j < c.length; j++) learner.learn(flow, entries[c[j]]);
    }
    for (let k = 0; k < n; k++) {
      const flow = base[k];
      if (any(flow.candidates, haPlain) && proves(flow)) learner.learnHa(flow);
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
    const base = inCaptureOrder(prepBase);
    // The order is a new array: the prepared one would keep every flow alive to the end.
    prepBase.length = 0;
    const kerberos = new Map<string, ClassifiedFlow>();
    let flows: ClassifiedFlow[] = [];
    // One judge input for all flows (judge keeps nothing of it).
    const judging: JudgeInput = { src, slot: 0, server: 0, facts: null, entries: [], catalog: entries, active: false, listable };
    for (let b = 0; b < base.length; b++) {
      const item = base[b];
      let candidates = item.candidates;
      const slot = item.slot;
      const server = item.serverAt;
      const flow = classifiedFlow(src, item);
      // Dropped as it is judged: the flow lives on only where `each` keeps it.
      (base as (BaseFlow | null)[])[b] = null;
      // ICMP echo between HA peers is the HA1 heartbeat (derived entries of IP protocol 1/58).
      if (flow.direction === 'icmp-request' && this.learner.haPeers(flow.client, flow.server)) {
        const echo = flow.ipProtocol === IPPROTO_ICMP ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
        if (src.port(slot, server === 0 ? 1 : 0) === echo) candidates = candidates.concat(this.matcher.ipProtocol(flow.ipProtocol!).filter((i) => entries[i].section === 'ha'));
      }
      const sr = roles.roles.get(flow.server)?.roles;
      const cr = roles.roles.get(flow.client)?.roles;
      if (candidates.length === 1) {
        // One candidate fits best whatever the roles.
        flow.entries = [candidates[0]];
        flow.section = entries[candidates[0]].section;
      } else if (candidates.length > 0) {
        // Keep the candidates that fit the roles best; with no roles, all of them.
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
        flow.section = pan(sr) || pan(cr) ? 'unexpected' : 'other';
      } else flow.section = 'unexpected';
      const asked = early.get(slot);
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
    base.length = 0;
    linkKerberosRetries(flows, kerberos);
    if (flows.length > 0) each(flows);
  }
}

