// live --export: flows go to the store as they end (the hook --flows-ndjson uses), channel
// health and the run's counters every RUN_ROW_EVERY_MS, the rest when the capture ends.
// Nothing here waits for the server: rows go into LiveExporter's bounded buffer.
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import type { Summary } from '../report/model.js';
import { DEFAULT_EXPORT_GRACE_MS, LIVE_HEALTH_INTERVAL_S, RUN_ROW_EVERY_MS } from './defaults.js';
import { flowRow, HealthCounter, runRow, runRowOf, type RunCounters } from './rows.js';
import type { ExportTarget } from './run.js';
import { LiveExporter, type LiveExportStats } from './sink.js';

export interface LiveExportOptions {
  /** The capture's name (`live:eth0`): the flows' `file` and the run's `files`. */
  input: string;
  /** Rows held while the server is away. */
  bufferRows: number;
  /** Channel health interval (s); default LIVE_HEALTH_INTERVAL_S. */
  intervalSeconds?: number;
  /** Said on stderr when the server goes away and comes back. */
  onNote(message: string): void;
  /** Tests: faster retries. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

/** What the run counted so far (for the run row between flushes). */
export type LiveCounters = RunCounters;

export class LiveExport {
  private readonly sink: LiveExporter;
  private readonly health: HealthCounter;
  private readonly widthS: number;
  private lastPeriodic = Date.now();

  constructor(
    readonly target: ExportTarget,
    private readonly catalog: Catalog,
    private readonly o: LiveExportOptions,
  ) {
    this.sink = new LiveExporter(target.client, target.url, { bufferRows: o.bufferRows, onNote: o.onNote, backoffMinMs: o.backoffMinMs, backoffMaxMs: o.backoffMaxMs });
    this.health = new HealthCounter(catalog);
    this.widthS = o.intervalSeconds ?? LIVE_HEALTH_INTERVAL_S;
  }

  /** Flows that ended: their rows are queued now, their channel health at the next period. */
  flows(flows: readonly ClassifiedFlow[]): void {
    if (flows.length === 0) return;
    const file = this.o.input;
    this.sink.push(
      'flows',
      flows.map((f) => flowRow(this.target.ctx, f, this.catalog, () => file)),
    );
    this.health.add(flows);
  }

  /** About once per read: every RUN_ROW_EVERY_MS, the channel health so far and the run's counters. */
  tick(counters: () => LiveCounters): void {
    const now = Date.now();
    if (now - this.lastPeriodic < RUN_ROW_EVERY_MS) return;
    this.lastPeriodic = now;
    this.sink.push('channel_health', this.health.take(this.target.ctx, this.widthS));
    const c = counters();
    this.sink.setRun(runRowOf(this.target.ctx, c, this.target.startedMs, now, [this.o.input]));
  }

  /** The counters of the rows so far. */
  stats(): LiveExportStats {
    return this.sink.snapshot();
  }

  /**
   * The capture ended: the remaining flows, the channel health and the final run row are
   * queued and the buffer is given `graceMs` to reach the server.
   */
  async finish(remaining: readonly ClassifiedFlow[], summary: Summary, graceMs = DEFAULT_EXPORT_GRACE_MS): Promise<LiveExportStats> {
    this.flows(remaining);
    this.sink.push('channel_health', this.health.take(this.target.ctx, this.widthS));
    this.sink.setRun(runRow(this.target.ctx, summary, this.target.startedMs, Date.now(), [this.o.input]));
    return this.sink.close(graceMs);
  }

  /** The capture failed: stop at once, nothing more is sent (the process must not wait on a server that is away). */
  async abandon(): Promise<void> {
    await this.sink.close(0);
  }
}

/** The stderr line(s) after a live export: what was sent, what was lost and why. Null when all went. */
export function liveExportProblem(s: LiveExportStats, shown: string): string | null {
  const dropped = s.dropped.flows + s.dropped.channel_health;
  const lost = s.buffered;
  if (dropped === 0 && lost === 0) return null;
  const parts: string[] = [];
  if (dropped > 0) parts.push(`${dropped} rows (${s.dropped.flows} flows, ${s.dropped.channel_health} channel health) dropped while the server was away and the buffer was full (raise --export-buffer)`);
  if (lost > 0) parts.push(`${lost} rows still buffered when the capture ended were not sent${s.lastError ? ` (${s.lastError})` : ''}`);
  return `${shown}: export incomplete: ${s.exported.flows} flow rows sent; ${parts.join('; ')}`;
}
