// The small set of typed errors pantap raises. Each carries a stable code; the CLI edge
// renders them once, as one line, and maps them to an exit code. Nothing below the CLI
// prints an error itself.

export type ErrorCode =
  | 'USAGE' // bad command line
  | 'INPUT' // a file that cannot be opened or read
  | 'OUTPUT' // an output file (-o, --flows-ndjson, -W) that cannot be written
  | 'FORMAT' // not a capture, or a capture whose structure is corrupt
  | 'CATALOG' // a catalog or inventory file that fails validation
  | 'LIVE' // live capture cannot start (permissions, interface, filter, libpcap missing)
  | 'FILTER' // an offline filter (-f) that does not compile, or cannot run without the addon
  | 'WORKER' // a worker thread failed while decoding a batch
  | 'STORE'; // a ClickHouse URL that is wrong, a server that cannot be reached, an export that failed

export class PantapError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'PantapError';
  }
}

/**
 * An option's value or a combination of options is wrong: rendered with a hint to the
 * command's --help (the errors commander raises itself get the same treatment).
 */
export class ArgumentError extends PantapError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'ArgumentError';
  }
}

/** The command line itself is wrong. */
export class UsageError extends PantapError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

/** A capture cannot be read: not a capture, or its framing is corrupt at `offset`. */
export class CaptureError extends PantapError {
  readonly file: string;
  /** The message without the file's name (and offset). */
  readonly reason: string;
  readonly offset: number | null;
  constructor(code: 'INPUT' | 'OUTPUT' | 'FORMAT', file: string, message: string, offset: number | null = null) {
    super(code, `${file}: ${message}${offset === null ? '' : ` at byte offset ${offset}`}`);
    this.file = file;
    this.reason = message;
    this.offset = offset;
    this.name = 'CaptureError';
  }
}

/**
 * A signal stopped reading before the input's capture header was complete: nothing of it
 * can be reported, but the input is not bad, so the signal, not this, sets the exit code.
 */
export class InterruptedError extends CaptureError {
  constructor(file: string, message: string) {
    super('INPUT', file, message);
    this.name = 'InterruptedError';
  }
}

/** Exit code a shell reports for a process ended by this signal (128 + its number). */
export function signalExitCode(signal: unknown): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/** A catalog override or inventory file is invalid; `key` names the offending path. */
export class CatalogError extends PantapError {
  constructor(file: string, message: string) {
    super('CATALOG', `${file}: ${message}`);
    this.name = 'CatalogError';
  }
}

/** Live capture cannot start or continue. */
export class LiveError extends PantapError {
  constructor(message: string) {
    super('LIVE', message);
    this.name = 'LiveError';
  }
}

/** An offline BPF filter (-f) cannot be compiled, or cannot run (the addon is not built). */
export class FilterError extends PantapError {
  constructor(message: string) {
    super('FILTER', message);
    this.name = 'FilterError';
  }
}

/** A worker thread threw or died while handling a batch. */
export class WorkerError extends PantapError {
  constructor(message: string) {
    super('WORKER', message);
    this.name = 'WorkerError';
  }
}

/**
 * A ClickHouse store (--export, report --from) cannot be used: a bad URL, a server that does
 * not answer, a schema of a newer release, a failed insert. Messages name the URL with its
 * password replaced (StoreUrl.shown, or redactRaw() for a URL that does not parse; src/export/clickhouse-url.ts), never the password.
 */
export class StoreError extends PantapError {
  constructor(message: string) {
    super('STORE', message);
    this.name = 'StoreError';
  }
}

/** Exit code for a typed error: every failure to produce a result is 2. */
export function exitCodeFor(_err: PantapError): number {
  return 2;
}
