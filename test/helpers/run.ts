// A whole analysis run for tests that check the merged flow table and the reader's reports
// rather than the summary: the file adapter into a flow session, as `analyze` does.
import type { FileReport } from '../../src/capture/reader.js';
import { loadCatalog } from '../../src/catalog/load.js';
import type { DecodeStats } from '../../src/decode/stats.js';
import type { CaptureError } from '../../src/errors.js';
import type { FragmentResolution } from '../../src/flow/fragments.js';
import type { FlowTable } from '../../src/flow/table.js';
import { feedFiles } from '../../src/session/files.js';
import { FlowSession } from '../../src/session/session.js';

export interface RunOptions {
  workers: number;
  maxFlows: number;
  batchBytes?: number;
  batchRecords?: number;
  signal?: AbortSignal;
  stdin?: NodeJS.ReadableStream;
}

export interface RunResult {
  files: FileReport[];
  failed: CaptureError[];
  stats: DecodeStats;
  table: FlowTable;
  fragments: FragmentResolution;
  interrupted: boolean;
}

const catalog = loadCatalog();

export async function runAnalysis(paths: string[], o: RunOptions): Promise<RunResult> {
  const session = new FlowSession({
    catalog,
    inventory: null,
    maxFlows: o.maxFlows,
    allFlows: false,
    maxListed: 0,
    topPairs: 1,
    timeouts: null,
    workers: o.workers,
    batchBytes: o.batchBytes,
    batchRecords: o.batchRecords,
    inputNames: paths,
  });
  let read;
  try {
    read = await feedFiles(session, paths, { signal: o.signal, stdin: o.stdin });
  } catch (err) {
    await session.abort();
    throw err;
  }
  await session.finish(read);
  return { ...read, stats: session.decodeStats, table: session.table, fragments: session.fragmentResult };
}
