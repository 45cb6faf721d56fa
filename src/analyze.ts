// Analysis of capture files (and stdin) into a Summary: the file adapter feeding one flow
// session. The library entry (index.ts) and `pantap analyze` both come through here.
import type { InspectLimits } from './flow/conversation.js';
import { loadCatalog } from './catalog/load.js';
import type { Catalog } from './catalog/schema.js';
import type { ClassifiedFlow } from './classify/classify.js';
import { loadInventory, type Inventory } from './classify/inventory.js';
import { DEFAULT_MAX_FLOWS } from './flow/table.js';
import { RecordFilter, filtering, type FilterSpec } from './pipeline/filter.js';
import { defaultWorkers } from './pipeline/pool.js';
import type { Summary } from './report/model.js';
import { feedFiles, type FilesRead } from './session/files.js';
import { expandInputs, type InputSet } from './capture/inputs.js';
import { Deduplicator } from './pipeline/dedup.js';
import { FlowSession } from './session/session.js';

export const DEFAULT_MAX_LISTED = 10_000;

export interface AnalyzeOptions {
  /** Decode worker threads; 0 decodes on the calling thread (default: cores − 1). */
  workers?: number;
  /** Flow table bound; further flows are counted as overflow (default 500,000). */
  maxFlows?: number;
  /** List every flow in `summary.flows`, not only unexpected, failed and warning ones. */
  allFlows?: boolean;
  /** Without allFlows, at most this many unexpected/failed/warning flows are listed (default 10,000). */
  maxListed?: number;
  /** Channels listed in the health list and timeline at most (--max-channels; the worst kept); default 10,000. */
  maxChannels?: number;
  /** Client → server pairs kept per entry (default 5). */
  topPairs?: number;
  /** Timeline interval in seconds (1, 10, 60, 600 or 3600); null or absent: chosen from the capture's duration. */
  interval?: number | null;
  /** Catalog override file (JSON or YAML). */
  catalogFile?: string;
  /** Roles inventory file (JSON or YAML). */
  rolesFile?: string;
  /** Aborting stops reading; what was read is still analysed (summary.input.truncated). */
  signal?: AbortSignal;
  /**
   * Per file as it is read: bytes consumed (compressed bytes for gzip) of its size (null for
   * stdin and FIFOs), packets so far, and whether the file is gzip.
   */
  onProgress?(fileIndex: number, bytesRead: number, size: number | null, packets: number, gzip: boolean): void;
  /** The stream '-' reads (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
  batchBytes?: number;
  batchRecords?: number;
  /** Payload inspection caps: bytes kept per direction, out-of-order ranges, all flows' bytes. */
  inspect?: InspectLimits;
  /**
   * Offline filters (BPF through the pantap-live addon, hosts, time window, packet count):
   * records they drop are never aggregated; `summary.input.filter` says what they did.
   */
  filter?: FilterSpec;
  /**
   * --dedup: drop copies of an IP packet seen again within `windowMs` (default 5 ms),
   * ignoring link headers, VLAN tags, TTL/hop limit and the IPv4 checksum;
   * `summary.input.dedup` counts them.
   */
  dedup?: { windowMs?: number };
  /**
   * The arguments already expanded (expandInputs): the CLI does it first, for its progress
   * bar. Without it, `paths` are expanded here (directories, globs, files named twice).
   */
  inputs?: InputSet;
  /**
   * Whether `Analysis.flows` holds every classified flow (default true). False when only the
   * summary is wanted: each flow is then dropped once folded into it, and `flows` is empty.
   */
  keepFlows?: boolean;
  /**
   * The process ends after this report (the CLI): V8's allocation-site pretenuring may be
   * turned off for the report phase of a large table, process-wide (SessionOptions).
   */
  exitsAfterReport?: boolean;
  /**
   * Whether listed flows carry their Community ID and TCP facts (default true): false when the
   * report never shows them (SessionOptions.listedFacts). `flows` (keepFlows) are complete.
   */
  listedFacts?: boolean;
}

export interface Analysis {
  summary: Summary;
  /** What the file adapter read: per-file reports, unreadable inputs, interruption. */
  read: FilesRead;
  catalog: Catalog;
  /** Every classified flow, in capture order (for NDJSON streaming); empty with keepFlows false. */
  flows: ClassifiedFlow[];
}

/** Reads the captures through one flow session; the CLI's path, with everything it needs. */
export async function analyzeCaptures(args: string[], opts: AnalyzeOptions = {}): Promise<Analysis> {
  // Option files are checked before any capture is read: a typo should not cost a long run.
  const catalog = loadCatalog(opts.catalogFile);
  const inventory: Inventory | null = opts.rolesFile ? loadInventory(opts.rolesFile) : null;
  const inputs = opts.inputs ?? (await expandInputs(args));
  const paths = inputs.paths;
  const session = new FlowSession({
    catalog,
    inventory,
    maxFlows: opts.maxFlows ?? DEFAULT_MAX_FLOWS,
    allFlows: opts.allFlows ?? false,
    maxListed: opts.maxListed ?? DEFAULT_MAX_LISTED,
    maxChannels: opts.maxChannels,
    topPairs: opts.topPairs ?? 5,
    interval: opts.interval ?? null,
    timeouts: null,
    workers: opts.workers ?? defaultWorkers(),
    batchBytes: opts.batchBytes,
    batchRecords: opts.batchRecords,
    inspect: opts.inspect,
    mainThreadShare: true,
    // the addon's BPF filter (-f) reads ArrayBuffers only
    sharedBatches: !opts.filter?.bpf,
    inputNames: paths.map((p) => (p === '-' ? 'stdin' : p)),
    exitsAfterReport: opts.exitsAfterReport ?? false,
    listedFacts: opts.listedFacts ?? true,
  });
  let read: FilesRead;
  try {
    const filter = opts.filter && filtering(opts.filter) ? new RecordFilter(opts.filter) : undefined;
    const dedup = opts.dedup ? new Deduplicator(opts.dedup.windowMs) : undefined;
    read = await feedFiles(session, paths, { signal: opts.signal, onProgress: opts.onProgress, stdin: opts.stdin, filter, dedup });
  } catch (err) {
    await session.abort();
    throw err;
  }
  // Arguments that named nothing to read (a glob matching no file) fail as unreadable files do.
  read.failed.unshift(...inputs.failed);
  read.skipped = inputs.skipped;
  const { summary, remaining } = await session.finish(read, opts.keepFlows ?? true);
  return { summary, read, catalog, flows: remaining };
}

/**
 * Analyzes capture files (pcap, pcapng, either gzip-compressed; '-' is stdin; directories
 * and globs stand for the capture files in them; all merged by timestamp) and returns
 * the summary (the "pantap.summary.v1" JSON contract's object). Files that cannot be read
 * are listed in `summary.input.details` with their error; option files that are invalid
 * throw a PantapError.
 */
export async function analyze(paths: string[], opts: AnalyzeOptions = {}): Promise<Summary> {
  return (await analyzeCaptures(paths, opts)).summary;
}
