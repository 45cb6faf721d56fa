// The body of `pantap live`'s refreshing screen: running counters per section with their
// status, then the newest failing flows with their reason and evidence, the newest flows
// with warnings, and the newest unexpected flows. Pure: the CLI passes what the session's
// view() holds (ClassifiedFlows, as classification judged them).
import Table from 'cli-table3';
import pc from 'picocolors';
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import { channelStatus, type SectionId } from '../classify/vocabulary.js';
import { count, hostPort } from './format.js';
import { REASON_WORDS } from './names.js';
import { statusWord } from './text.js';

export interface LiveViewData {
  /** Running counters, expired and active flows together; `degraded` (warnings) when known. */
  sections: readonly { id: SectionId; flows: number; packets: number; bytes: number; failed: number; degraded?: number }[];
  /** Newest failed flows, oldest first. */
  failing: readonly ClassifiedFlow[];
  /** Newest flows with warnings, oldest first, when known. */
  warning?: readonly ClassifiedFlow[];
  /** Newest unexpected flows, oldest first. */
  unexpected: readonly ClassifiedFlow[];
}

/** Groups shown per list. */
const MAX_GROUPS = 5;

const plain = pc.createColors(false);

/**
 * Newest first, one line per group with a count: a retrying client is one line, not five.
 * `note` (the newest flow's evidence) goes on an indented line under its group.
 */
function grouped(flows: readonly ClassifiedFlow[], key: (f: ClassifiedFlow) => string, note: (f: ClassifiedFlow) => string | null = () => null): string[] {
  const groups = new Map<string, { n: number; newest: ClassifiedFlow }>();
  for (let i = flows.length - 1; i >= 0; i--) {
    const k = key(flows[i]);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, { n: 1, newest: flows[i] });
    else g.n++;
  }
  const out: string[] = [];
  for (const [k, g] of [...groups].slice(0, MAX_GROUPS)) {
    out.push(`  ${k}${g.n > 1 ? `  ×${count(g.n)}` : ''}`);
    const n = note(g.newest);
    if (n !== null) out.push(`      ${n}`);
  }
  return out;
}

const target = (f: ClassifiedFlow) => `${f.client} → ${hostPort(f.server, f.serverPort)}/${f.transport}`;

export function liveViewBody(v: LiveViewData, catalog: Catalog): string[] {
  const lines: string[] = [];
  // The Warnings column only when the view counts them (a status without it is never degraded).
  const warned = v.sections.some((s) => s.degraded !== undefined);
  const t = new Table({ head: ['Section', 'Flows', 'Packets', 'Failed', ...(warned ? ['Warnings'] : []), 'Status'], style: { head: [], border: [] } });
  for (const s of v.sections) {
    const degraded = s.degraded ?? 0;
    t.push([s.id, s.flows, s.packets, s.failed, ...(warned ? [degraded] : []), statusWord(plain, channelStatus(s.flows, s.failed, degraded))]);
  }
  lines.push(t.toString());
  const entries = (f: ClassifiedFlow) => f.entries.map((i) => catalog.entries[i].id).join(',');
  const withReason = (f: ClassifiedFlow) => [target(f), f.reason === null ? (f.state ?? '') : REASON_WORDS[f.reason], entries(f)].filter((x) => x !== '').join('  ');
  const evidence = (f: ClassifiedFlow) => (f.detail !== null && f.detail !== '' ? f.detail : null);
  const failing = grouped(v.failing, withReason, evidence);
  const warning = grouped(v.warning ?? [], withReason, evidence);
  const unexpected = grouped(v.unexpected, target);
  if (failing.length) lines.push('Failing (newest first):', ...failing);
  if (warning.length) lines.push('Warnings (newest first):', ...warning);
  if (unexpected.length) lines.push('Unexpected (newest first):', ...unexpected);
  return lines;
}
