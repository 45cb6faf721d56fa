// The `input` part of a summary (what was read and decoded, the flow table's counts) and
// the one wording of input problems that the text report and the CLI's stderr both use.
// Strings (names, times) first appear here.
import type { FileReport } from '../capture/reader.js';
import type { InspectionCounts } from '../classify/flow-facts.js';
import { REASON_NAMES } from '../decode/fields.js';
import { DECODED_LINKTYPES } from '../decode/link.js';
import type { DecodeStats } from '../decode/stats.js';
import type { CaptureError } from '../errors.js';
import type { FragmentResolution } from '../flow/fragments.js';
import type { FilterFacts } from '../pipeline/filter.js';
import type { DedupFacts } from '../pipeline/dedup.js';
import type { SkippedInput } from '../capture/inputs.js';
import { count, isoMicros, plural } from './format.js';
import { linktypeName } from './names.js';
import type { InputFilter, InputSummary } from './model.js';

/** What a session knows about its input when it builds a summary. */
export interface InputFacts {
  files: FileReport[];
  /** Inputs that could not be read at all (not a capture, cannot open). */
  failed: CaptureError[];
  stats: DecodeStats;
  fragments: FragmentResolution;
  flowTable: { flows: number; maxFlows: number; overflowFlows: number; overflowPackets: number };
  /** Payload inspection counters. */
  inspection: InspectionCounts;
  interrupted: boolean;
  /** Offline filters (null without any). */
  filter?: FilterFacts | null;
  /** --dedup (null without it). */
  dedup?: DedupFacts | null;
  /** Files of directories and globs that are not captures, and files named twice. */
  skipped?: SkippedInput[];
}

/** A file's warnings as the summary lists them, with the count of those not kept. */
function fileWarnings(f: FileReport): string[] {
  return f.warningsSuppressed > 0 ? [...f.warnings, `${plural(f.warningsSuppressed, 'more warning')} of the same kind`] : f.warnings;
}

export function buildInput(run: InputFacts): InputSummary {
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
        warnings: fileWarnings(f),
      })),
      ...run.failed.map((e) => ({ file: e.file, format: null, gzip: false, packets: 0, truncatedAt: null, error: e.message, warnings: [] })),
    ],
    linktypes: st.linktypes.map(([lt, n]) => ({ linktype: lt, name: linktypeName(lt), packets: n, decoded: decoded.has(lt) && !unsupported.has(lt) })),
    malformedReasons: st.reasons.flatMap((n, code) => (n > 0 ? [{ reason: REASON_NAMES[code] ?? `reason ${code}`, packets: n }] : [])),
    fragments: { ...run.fragments },
    flowTable: { ...run.flowTable },
    inspection: { ...run.inspection },
    // Only when filtering: reports of unfiltered runs keep their shape.
    ...(run.filter ? { filter: inputFilter(run.filter) } : {}),
    // Capture sets: only when something was skipped, or with --dedup.
    ...(run.skipped && run.skipped.length > 0 ? { skipped: run.skipped.map((x) => ({ file: x.file, why: x.why })) } : {}),
    ...(run.dedup ? { dedup: { windowMs: run.dedup.windowMs, dropped: run.dedup.dropped } } : {}),
  };
}

/** The filters of the run as the summary states them (times as ISO-8601, UTC). */
function inputFilter(f: FilterFacts): InputFilter {
  return {
    bpf: f.bpf,
    hosts: [...f.hosts],
    since: f.sinceUs === null ? null : isoMicros(f.sinceUs),
    until: f.untilUs === null ? null : isoMicros(f.untilUs),
    count: f.count,
    filteredOut: f.filteredOut,
    stoppedEarly: f.stoppedEarly,
  };
}

/** One problem with the input, in the words both the text report and stderr use. */
export interface InputProblem {
  level: 'error' | 'warning';
  message: string;
}

/**
 * Every problem with the input a reader should know of: unreadable files, corruption,
 * truncation, the reader's warnings, an interrupted read (unless `interruption` is false), a
 * full flow table, link types not decoded, orphan fragments. `error` strings already name
 * their file.
 */
export function inputProblems(i: InputSummary, o: { interruption?: boolean } = {}): InputProblem[] {
  const out: InputProblem[] = [];
  const warning = (message: string) => out.push({ level: 'warning', message });
  let explained = false;
  for (const x of i.skipped ?? []) warning(`${x.file}: skipped: ${x.why}`);
  for (const d of i.details) {
    if (d.error !== null) out.push({ level: 'error', message: d.format === null ? d.error : `${d.error}; the ${plural(d.packets, 'record')} before it were kept` });
    if (d.truncatedAt !== null) warning(`${d.file}: ends inside a record at byte offset ${d.truncatedAt}; the ${plural(d.packets, 'complete record')} before it were kept`);
    for (const w of d.warnings) warning(`${d.file}: ${w}`);
    explained ||= d.error !== null || d.truncatedAt !== null;
  }
  // The report says so; stderr need not (o.interruption false): whoever sent the signal knows.
  if (i.truncated && !explained && o.interruption !== false) warning('reading stopped before the end of the input; counts are partial');
  const ft = i.flowTable;
  if (ft.overflowFlows > 0) {
    warning(`flow table full at ${count(ft.maxFlows)} flows: about ${plural(ft.overflowFlows, 'further flow')} (${plural(ft.overflowPackets, 'packet')}) not tracked (raise --max-flows)`);
  }
  for (const l of i.linktypes) if (!l.decoded) warning(`${plural(l.packets, 'packet')} of link type ${l.linktype} (${l.name}) not decoded`);
  const fr = i.fragments;
  if (fr.orphans + fr.dropped > 0) warning(`IP fragments: ${count(fr.orphans)} without a first fragment, ${count(fr.dropped)} dropped`);
  // Payload decoders saw less than they wanted: TLS facts (certificates, alerts) may be missing.
  if (i.inspection.capHit > 0) warning(`payload inspection hit a memory cap in ${plural(i.inspection.capHit, 'flow')}: ${i.inspection.capHit === 1 ? 'its' : 'their'} TLS/SSH facts may be incomplete`);
  return out;
}
