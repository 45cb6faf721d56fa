// Builds the Summary model from a run's merged, classified flows. Strings (addresses,
// times, names) first appear here, once per flow or entry. The per-flow part is the
// SummaryAccumulator (accumulate.ts), which live capture feeds as flows expire.
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow, RoleBook } from '../classify/classify.js';
import { REASON_NAMES } from '../decode/fields.js';
import { DECODED_LINKTYPES } from '../decode/link.js';
import type { RunResult } from '../pipeline/run.js';
import { SummaryAccumulator, type AccumulateOptions } from './accumulate.js';
import { isoMicros } from './format.js';
import { linktypeName } from './names.js';
import type { InputSummary, Summary } from './model.js';

export { flowRecord } from './accumulate.js';

export interface BuildOptions extends AccumulateOptions {
  maxFlows: number;
}

/** The `input` part of a summary: what was read and decoded, and the flow table's counts. */
export function buildInput(run: RunResult, maxFlows: number): InputSummary {
  const st = run.stats;
  const decoded = new Set(DECODED_LINKTYPES);
  const unsupported = new Map(st.unsupported);
  return {
    files: [...run.files.map((f) => f.file), ...run.failed.map((e) => e.file)],
    packets: st.packets,
    bytes: st.bytes,
    malformed: st.malformed,
    truncated: run.files.some((f) => f.truncatedAt !== null || f.error !== null) || run.interrupted,
    capturedBytes: st.capturedBytes,
    firstSeen: st.packets > 0 ? isoMicros(st.firstTs) : null,
    lastSeen: st.packets > 0 ? isoMicros(st.lastTs) : null,
    details: [
      ...run.files.map((f) => ({
        file: f.file,
        format: f.format,
        gzip: f.gzip,
        packets: f.records,
        truncatedAt: f.truncatedAt,
        error: f.error,
        warnings: f.warningsSuppressed > 0 ? [...f.warnings, `(${f.warningsSuppressed} more warnings)`] : f.warnings,
      })),
      ...run.failed.map((e) => ({ file: e.file, format: null, gzip: false, packets: 0, truncatedAt: null, error: e.message, warnings: [] })),
    ],
    linktypes: st.linktypes.map(([lt, n]) => ({ linktype: lt, name: linktypeName(lt), packets: n, decoded: decoded.has(lt) && !unsupported.has(lt) })),
    malformedReasons: st.reasons.flatMap((n, code) => (n > 0 ? [{ reason: REASON_NAMES[code] ?? `reason ${code}`, packets: n }] : [])),
    fragments: run.fragments,
    flowTable: { flows: run.table.size, maxFlows, overflowFlows: run.table.overflowFlows, overflowPackets: run.table.overflowPackets },
  };
}

/** The summary of a whole run: one accumulator fed every flow once. */
export function buildSummary(run: RunResult, catalog: Catalog, flows: ClassifiedFlow[], roles: RoleBook, opts: BuildOptions): Summary {
  const acc = new SummaryAccumulator(catalog, opts);
  acc.addFlows(flows);
  return acc.summary(buildInput(run, opts.maxFlows), roles);
}
