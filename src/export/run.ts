// An export run: the store opened before anything is read (an unreachable server or a bad
// URL is one StoreError, exit 2, before a long run), a run id, and the rows of an analysis.
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import { StoreError } from '../errors.js';
import type { Summary } from '../report/model.js';
import { connectStore } from './client.js';
import { parseStoreUrl, type StoreUrl } from './clickhouse-url.js';
import { flowRow, healthRows, runRow, type FileOfSeq, type RowContext } from './rows.js';
import { ensureSchema } from './schema.js';
import { DEFAULT_BATCH_ROWS } from './defaults.js';
import { BatchWriter } from './sink.js';

export interface ExportTarget {
  readonly url: StoreUrl;
  readonly client: ClickHouseClient;
  readonly ctx: RowContext;
  /** Wall-clock start of the run (ms). */
  readonly startedMs: number;
}

/** A sensor name: 1–255 characters, no control characters. */
export function checkSensor(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > 255 || /[\u0000-\u001f\u007f]/.test(name)) throw new StoreError(`--sensor: a name of 1 to 255 printable characters is needed (got ${JSON.stringify(name.slice(0, 40))})`);
  return name;
}

/** Parses the URL, reaches the server, creates the tables when missing. */
export async function openExport(urlText: string, sensor: string, o: { env?: NodeJS.ProcessEnv; requestTimeoutMs?: number } = {}): Promise<ExportTarget> {
  const url = parseStoreUrl(urlText, o.env ?? process.env);
  const name = checkSensor(sensor);
  const client = await connectStore(url, { requestTimeoutMs: o.requestTimeoutMs });
  try {
    await ensureSchema(client, url);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  return { url, client, ctx: { sensor: name, runId: randomUUID() }, startedMs: Date.now() };
}

export async function closeExport(t: ExportTarget): Promise<void> {
  await t.client.close().catch(() => undefined);
}

export interface AnalysisRows {
  flows: readonly ClassifiedFlow[];
  catalog: Catalog;
  summary: Summary;
  fileOf: FileOfSeq;
  /** The run's input names (runs.files). */
  files: readonly string[];
}

/** Exports every flow, the channel health at the summary's interval, and the run's row. */
export async function exportAnalysis(t: ExportTarget, a: AnalysisRows, batchRows = DEFAULT_BATCH_ROWS): Promise<{ flows: number; channelHealth: number; runs: number }> {
  const w = new BatchWriter(t.client, t.url, batchRows);
  // Built a batch at a time: the record JSON of a million flows is not held at once.
  for (let i = 0; i < a.flows.length; i += batchRows) {
    await w.add('flows', a.flows.slice(i, i + batchRows).map((f) => flowRow(t.ctx, f, a.catalog, a.fileOf)));
  }
  await w.add('channel_health', healthRows(t.ctx, a.flows, a.catalog, a.summary.timeline.intervalSeconds));
  await w.add('runs', [runRow(t.ctx, a.summary, t.startedMs, Date.now(), a.files)]);
  await w.flush();
  return { flows: w.written.flows, channelHealth: w.written.channel_health, runs: w.written.runs };
}
