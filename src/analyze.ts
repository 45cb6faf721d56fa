// The library entry point: analyze capture files into a Summary. The CLI is a thin shell
// around this (plus progress and rendering).
import { CatalogMatcher } from './catalog/matcher.js';
import { loadCatalog } from './catalog/load.js';
import type { Catalog } from './catalog/schema.js';
import { classifyFlows, type ClassifiedFlow } from './classify/classify.js';
import { loadInventory, type Inventory } from './classify/inventory.js';
import { DEFAULT_MAX_FLOWS } from './flow/table.js';
import { defaultWorkers } from './pipeline/pool.js';
import { runAnalysis, type RunResult } from './pipeline/run.js';
import { buildSummary } from './report/build.js';
import type { Summary } from './report/model.js';

export const DEFAULT_MAX_LISTED = 10_000;

export interface AnalyzeOptions {
  workers?: number;
  maxFlows?: number;
  allFlows?: boolean;
  /** Without allFlows, at most this many unexpected/failed flows are listed (default 10000). */
  maxListed?: number;
  topPairs?: number;
  /** Catalog override file (JSON or YAML). */
  catalogFile?: string;
  /** Roles inventory file (JSON or YAML). */
  rolesFile?: string;
  signal?: AbortSignal;
  onProgress?(fileIndex: number, bytesRead: number, size: number | null): void;
  stdin?: NodeJS.ReadableStream;
  batchBytes?: number;
}

export interface Analysis {
  summary: Summary;
  run: RunResult;
  catalog: Catalog;
  /** Every classified flow, in capture order (for NDJSON streaming). */
  flows: ClassifiedFlow[];
}

export async function analyze(paths: string[], opts: AnalyzeOptions = {}): Promise<Analysis> {
  // Option files are checked before any capture is read: a typo should not cost a long run.
  const catalog = loadCatalog(opts.catalogFile);
  const inventory: Inventory | null = opts.rolesFile ? loadInventory(opts.rolesFile) : null;
  const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
  const run = await runAnalysis(paths, {
    workers: opts.workers ?? defaultWorkers(),
    maxFlows,
    signal: opts.signal,
    onProgress: opts.onProgress,
    stdin: opts.stdin,
    batchBytes: opts.batchBytes,
  });
  const { flows, roles } = classifyFlows(run.table, new CatalogMatcher(catalog), inventory);
  const summary = buildSummary(run, catalog, flows, roles, { allFlows: opts.allFlows ?? false, maxListed: opts.maxListed ?? DEFAULT_MAX_LISTED, topPairs: opts.topPairs ?? 5, maxFlows });
  return { summary, run, catalog, flows };
}
