// The export's sizes, apart from the modules that load @clickhouse/client (the CLI reads
// them for its option defaults without loading the client).

/** Rows per INSERT. */
export const DEFAULT_BATCH_ROWS = 10_000;
/** Live: rows held while the server is away (about 1–2 kB each: ~100–200 MB at most). */
export const DEFAULT_EXPORT_BUFFER = 100_000;
/** Live: first retry after this, doubling up to BACKOFF_MAX_MS. */
export const BACKOFF_MIN_MS = 250;
export const BACKOFF_MAX_MS = 15_000;
/** Live: how long the end of a capture waits for the buffer to reach the server. */
export const DEFAULT_EXPORT_GRACE_MS = 10_000;
/** Live: a run row (counters so far) is sent this often (wall clock). */
export const RUN_ROW_EVERY_MS = 10_000;
/** Live: channel health at this interval unless --interval says otherwise. */
export const LIVE_HEALTH_INTERVAL_S = 60;
