// Writing rows to the store. BatchWriter (analyze): inserts as it is given rows, in batches,
// and throws the first failure. LiveExporter (live): never makes capture wait: push() only
// queues rows in a bounded buffer; a pump inserts them in the background and, while the
// server is away, retries with exponential backoff; rows that arrive with the buffer full
// are dropped and counted. A run row (cumulative counters of the run so far) has a slot of
// its own: only the newest matters, so it is never dropped.
import type { ClickHouseClient } from '@clickhouse/client';
import { storeError, storeReason } from './client.js';
import type { StoreUrl } from './clickhouse-url.js';
import type { FlowRow, HealthRow, RunRow } from './rows.js';
import { TABLES, q } from './schema.js';

import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, DEFAULT_BATCH_ROWS, DEFAULT_EXPORT_BUFFER } from './defaults.js';

export type RowTable = 'flows' | 'channel_health' | 'runs';
type Row = FlowRow | HealthRow | RunRow;

const TABLE_NAME: Record<RowTable, string> = { flows: TABLES.flows, channel_health: TABLES.channelHealth, runs: TABLES.runs };

async function insertRows(client: ClickHouseClient, url: StoreUrl, table: RowTable, rows: readonly Row[]): Promise<void> {
  await client.insert({ table: `${q(url.database)}.${TABLE_NAME[table]}`, values: rows as Row[], format: 'JSONEachRow' });
}

/** analyze: rows in batches of `batchRows`; the first failed INSERT throws a StoreError. */
export class BatchWriter {
  /** Rows written so far, per table. */
  readonly written: Record<RowTable, number> = { flows: 0, channel_health: 0, runs: 0 };
  private readonly pending: Record<RowTable, Row[]> = { flows: [], channel_health: [], runs: [] };

  constructor(
    private readonly client: ClickHouseClient,
    private readonly url: StoreUrl,
    private readonly batchRows = DEFAULT_BATCH_ROWS,
  ) {}

  /** Queues rows; full batches are inserted before it resolves. */
  async add(table: RowTable, rows: readonly Row[]): Promise<void> {
    for (const r of rows) {
      // send() starts a new array: look it up each time.
      const p = this.pending[table];
      p.push(r);
      if (p.length >= this.batchRows) await this.send(table);
    }
  }

  /** Inserts what is queued. */
  async flush(): Promise<void> {
    for (const t of ['flows', 'channel_health', 'runs'] as const) if (this.pending[t].length > 0) await this.send(t);
  }

  private async send(table: RowTable): Promise<void> {
    const rows = this.pending[table];
    this.pending[table] = [];
    try {
      await insertRows(this.client, this.url, table, rows);
    } catch (err) {
      throw storeError(this.url, `export failed after ${this.written.flows} flow rows (insert into ${TABLE_NAME[table]})`, err);
    }
    this.written[table] += rows.length;
  }
}

export interface LiveExportStats {
  /** Rows inserted, per table. */
  exported: Record<RowTable, number>;
  /** Rows dropped because the buffer was full, per table. */
  dropped: Record<RowTable, number>;
  /** Rows waiting in the buffer now. */
  buffered: number;
  /** Failed INSERTs so far (each is retried). */
  failures: number;
  /** Whether the last INSERT failed (the server is away). */
  away: boolean;
  /** The last failure's reason (password removed), or null. */
  lastError: string | null;
}

export interface LiveExporterOptions {
  /** Rows held at most (flows and channel health together); default DEFAULT_EXPORT_BUFFER. */
  bufferRows?: number;
  batchRows?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Said once when the server goes away and once when it is back (stderr lines). */
  onNote?(message: string): void;
}

/** live: a bounded buffer drained in the background, retried with backoff. */
export class LiveExporter {
  private readonly queues: Record<'flows' | 'channel_health', Row[]> = { flows: [], channel_health: [] };
  private run: RunRow | null = null;
  private readonly bufferRows: number;
  private readonly batchRows: number;
  private readonly backoffMin: number;
  private readonly backoffMax: number;
  private readonly stats: LiveExportStats = { exported: { flows: 0, channel_health: 0, runs: 0 }, dropped: { flows: 0, channel_health: 0, runs: 0 }, buffered: 0, failures: 0, away: false, lastError: null };
  private pumping: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private closing = false;
  /** close() gave up on what was left: the pump stops retrying. */
  private gaveUp = false;
  private awaySince = 0;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly url: StoreUrl,
    private readonly o: LiveExporterOptions = {},
  ) {
    this.bufferRows = o.bufferRows ?? DEFAULT_EXPORT_BUFFER;
    this.batchRows = Math.max(1, Math.min(o.batchRows ?? DEFAULT_BATCH_ROWS, this.bufferRows));
    this.backoffMin = o.backoffMinMs ?? BACKOFF_MIN_MS;
    this.backoffMax = o.backoffMaxMs ?? BACKOFF_MAX_MS;
  }

  /** Queues rows (never waits); those beyond the buffer are dropped and counted. */
  push(table: 'flows' | 'channel_health', rows: readonly Row[]): void {
    const q = this.queues[table];
    const room = Math.max(0, this.bufferRows - this.stats.buffered);
    const n = Math.min(room, rows.length);
    for (let i = 0; i < n; i++) q.push(rows[i]);
    this.stats.buffered += n;
    this.stats.dropped[table] += rows.length - n;
    this.kick();
  }

  /** The run's row so far (replaces one not yet sent). */
  setRun(row: RunRow): void {
    this.run = row;
    this.kick();
  }

  /** A copy of the counters. */
  snapshot(): LiveExportStats {
    return { ...this.stats, exported: { ...this.stats.exported }, dropped: { ...this.stats.dropped } };
  }

  /**
   * Stops taking rows and tries to send what is buffered for up to `graceMs` more (retrying
   * meanwhile); resolves with the counters. Rows still buffered then are lost (`buffered`).
   */
  async close(graceMs: number): Promise<LiveExportStats> {
    this.closing = true;
    this.kick();
    const deadline = Date.now() + graceMs;
    while (this.pumping !== null && Date.now() < deadline) {
      this.wake?.();
      await Promise.race([this.pumping, sleep(Math.min(100, Math.max(0, deadline - Date.now())))]);
    }
    const stats = this.snapshot();
    // Give up on what is left: the pump ends at its next step (an INSERT under way ends
    // with its request, or when the client is closed).
    this.gaveUp = true;
    this.queues.flows = [];
    this.queues.channel_health = [];
    this.run = null;
    this.wake?.();
    return stats;
  }

  private kick(): void {
    if (this.pumping === null) {
      this.pumping = this.pump().finally(() => {
        this.pumping = null;
        // Rows that came in as the pump ended.
        if (this.hasWork()) this.kick();
      });
    } else this.wake?.();
  }

  private hasWork(): boolean {
    return this.queues.flows.length > 0 || this.queues.channel_health.length > 0 || this.run !== null;
  }

  private async pump(): Promise<void> {
    let delay = this.backoffMin;
    while (!this.gaveUp && this.hasWork()) {
      const table: RowTable = this.queues.flows.length > 0 ? 'flows' : this.queues.channel_health.length > 0 ? 'channel_health' : 'runs';
      const rows: Row[] = table === 'runs' ? [this.run!] : this.queues[table].slice(0, this.batchRows);
      try {
        await insertRows(this.client, this.url, table, rows);
      } catch (err) {
        this.stats.failures++;
        this.stats.lastError = storeReason(err, this.url);
        if (!this.stats.away) {
          this.stats.away = true;
          this.awaySince = Date.now();
          this.o.onNote?.(`${this.url.shown}: export paused, the server does not take rows (${this.stats.lastError}); retrying, up to ${this.bufferRows} rows are kept meanwhile`);
        }
        if (this.gaveUp) break;
        await this.nap(delay);
        delay = Math.min(delay * 2, this.backoffMax);
        continue;
      }
      delay = this.backoffMin;
      if (this.stats.away) {
        this.stats.away = false;
        this.o.onNote?.(`${this.url.shown}: export resumed after ${((Date.now() - this.awaySince) / 1000).toFixed(1)} s`);
      }
      this.stats.exported[table] += rows.length;
      if (table === 'runs') {
        if (this.run === rows[0]) this.run = null;
      } else {
        // close() may have emptied the queue meanwhile.
        const q = this.queues[table];
        if (q.length >= rows.length && q[0] === rows[0]) {
          q.splice(0, rows.length);
          this.stats.buffered -= rows.length;
        }
      }
    }
  }

  /** Waits `ms`, or less when close() or new rows wake the pump while closing. */
  private nap(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        if (this.closing) done();
      };
    }).then(() => {
      this.wake = null;
    });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
