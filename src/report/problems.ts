// Failures and warnings grouped as a reader asks about them: who (client) could not reach
// what (server, port of the entry) and why (reason), with how many flows and what they were
// for (entry names), most flows first, and the evidence of the flows under each group. One
// definition for the final text report and the live view: the report groups a summary (the
// entries' failure lists, then listed flows no entry counts), the live view its newest flows.
import { REASON_RANK, type ReasonCode } from '../classify/vocabulary.js';
import { cmp, count, hostPort } from './format.js';
import { entryName, entryWhere, flowProto, type EntryShape } from './labels.js';
import type { FailureSummary, FlowRecord } from './model.js';

/** Flows of one client → target with one reason, what they were for, and their evidence. */
export interface Problem {
  client: string;
  /** `10.0.0.2:3978/tcp`, `10.0.0.2 47/ip`: the server and the entry's port (or the flow's own). */
  target: string;
  reason: ReasonCode;
  flows: number;
  /** Entry names (`Panorama ↔ device`), or `unexpected` / `other` for flows matching none. */
  what: string[];
  /** The first listed flow's `detail`, with how many other different ones there are; or null. */
  note: string | null;
}

/**
 * An entry as grouping needs it. `failures`: the entry's own failure lists (a summary's), which
 * then count its failed flows; without them (the live view) its flows are counted one by one.
 */
export type ProblemEntry = EntryShape & { failures?: readonly FailureSummary[] };

/** The fields of a flow grouping reads (a FlowRecord has them). */
export type ProblemFlow = Pick<FlowRecord, 'client' | 'server' | 'serverPort' | 'transport' | 'ipProtocol' | 'ethertype' | 'section' | 'entries' | 'verdict' | 'reason' | 'detail'>;

export interface ProblemSource {
  entries: readonly ProblemEntry[];
  flows: readonly ProblemFlow[];
}

const problemKey = (client: string, tgt: string, reason: string) => `${client}\u0000${tgt}\u0000${reason}`;

/** What was tried: `10.0.0.2:443/tcp`, `10.0.0.2 47/ip`. */
function target(server: string, port: number | string | null, where: string): string {
  return port === null ? `${server} ${where}` : `${hostPort(server, port)}/${where.slice(where.indexOf('/') + 1)}`;
}

function entryPort(e: ProblemEntry): number | string | null {
  return e.port ?? (e.portRange ? `${e.portRange[0]}-${e.portRange[1]}` : null);
}

/** The (client, target, what) a flow is reported under: one per catalog entry it matches, else its own. */
function placesOf(byId: Map<string, ProblemEntry>, f: ProblemFlow): { client: string; target: string; what: string }[] {
  const out: { client: string; target: string; what: string }[] = [];
  for (const id of f.entries) {
    const e = byId.get(id);
    if (e !== undefined) out.push({ client: f.client, target: target(f.server, entryPort(e), entryWhere(e)), what: entryName(e) });
  }
  if (out.length === 0) {
    const where = f.serverPort !== null ? `${f.serverPort}/${f.transport}` : flowProto(f);
    out.push({ client: f.client, target: target(f.server, f.serverPort, where), what: f.section === 'other' ? 'other' : 'unexpected' });
  }
  return out;
}

/** Flows of one verdict, each counted once per place however many entries share it. */
function byFlow(flows: readonly ProblemFlow[], byId: Map<string, ProblemEntry>, verdict: 'failed' | 'warning'): Problem[] {
  const byKey = new Map<string, Problem>();
  for (const f of flows) {
    // A failed or warning verdict always has its reason (classification's vocabulary).
    if (f.verdict !== verdict || f.reason === null) continue;
    const seen = new Set<string>();
    for (const at of placesOf(byId, f)) {
      const key = problemKey(at.client, at.target, f.reason);
      const had = byKey.get(key);
      if (had === undefined) byKey.set(key, { client: at.client, target: at.target, reason: f.reason, flows: 1, what: [at.what], note: null });
      else {
        if (!seen.has(key)) had.flows++;
        if (!had.what.includes(at.what)) had.what.push(at.what);
      }
      seen.add(key);
    }
  }
  return [...byKey.values()];
}

/**
 * Failed flows: catalog entries' own failure lists (what their Failed column counts), merged
 * where two entries share a port and so the same flows (443 in management and Panorama),
 * plus the failed flows no failure list counts (those matching no entry, or every flow when
 * the entries carry no lists), which only the flows know.
 */
export function failureGroups(s: ProblemSource): Problem[] {
  const byId = new Map(s.entries.map((e) => [e.id, e]));
  const byKey = new Map<string, Problem>();
  // `shared`: the same flows reported again by another entry (count once), not more flows.
  const add = (p: Problem, shared: boolean) => {
    const key = problemKey(p.client, p.target, p.reason);
    const had = byKey.get(key);
    if (had === undefined) byKey.set(key, p);
    else {
      had.flows = shared ? Math.max(had.flows, p.flows) : had.flows + p.flows;
      for (const w of p.what) if (!had.what.includes(w)) had.what.push(w);
    }
  };
  for (const e of s.entries) {
    // An entry lists one pair's flows of one reason by outcome: those add up within the entry.
    const mine = new Map<string, Problem>();
    for (const f of e.failures ?? []) {
      const p: Problem = { client: f.client, target: target(f.server, entryPort(e), entryWhere(e)), reason: f.reason, flows: f.flows, what: [entryName(e)], note: null };
      const key = problemKey(p.client, p.target, p.reason);
      const had = mine.get(key);
      if (had === undefined) mine.set(key, p);
      else had.flows += p.flows;
    }
    for (const p of mine.values()) add(p, true);
  }
  const uncounted = s.flows.filter((f) => !f.entries.some((id) => byId.get(id)?.failures !== undefined));
  for (const p of byFlow(uncounted, byId, 'failed')) add(p, false);
  return withEvidence(sortProblems([...byKey.values()]), s.flows, byId, 'failed');
}

/** Flows with warnings (no entry keeps lists of those), each counted once per place. */
export function warningGroups(s: ProblemSource): Problem[] {
  const byId = new Map(s.entries.map((e) => [e.id, e]));
  return withEvidence(sortProblems(byFlow(s.flows, byId, 'warning')), s.flows, byId, 'warning');
}

function sortProblems(list: Problem[]): Problem[] {
  return list.sort((a, b) => b.flows - a.flows || cmp(a.client, b.client) || cmp(a.target, b.target) || REASON_RANK.get(a.reason)! - REASON_RANK.get(b.reason)!);
}

/**
 * The evidence under each group: the `detail` of the flows of that client, target and reason
 * (the first, in the flows' order, and how many other different ones there are).
 */
function withEvidence(list: Problem[], flows: readonly ProblemFlow[], byId: Map<string, ProblemEntry>, verdict: 'failed' | 'warning'): Problem[] {
  const details = new Map<string, string[]>();
  for (const f of flows) {
    if (f.verdict !== verdict || f.reason === null || f.detail === null || f.detail === '') continue;
    for (const at of placesOf(byId, f)) {
      const key = problemKey(at.client, at.target, f.reason);
      let l = details.get(key);
      if (l === undefined) details.set(key, (l = []));
      if (!l.includes(f.detail)) l.push(f.detail);
    }
  }
  for (const p of list) {
    const l = details.get(problemKey(p.client, p.target, p.reason));
    if (l !== undefined) p.note = l.length > 1 ? `${l[0]} (+${count(l.length - 1)} more like it)` : l[0];
  }
  return list;
}
