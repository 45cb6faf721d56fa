// Byte sources: a file, a FIFO, stdin ('-'), any of them gzip-compressed. Compression is
// recognised by its magic bytes, never by the name. Every source is pulled into a
// caller-owned buffer, so memory stays flat whatever the file size. A source ends at an
// abort: a file stops reading, a stream first hands over what has already arrived.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants, createReadStream, openSync, readSync, type Stats } from 'node:fs';
import { Socket } from 'node:net';
import { createGunzip } from 'node:zlib';
import { type Readable, pipeline } from 'node:stream';
import { CaptureError } from '../errors.js';
import { ReadAhead, type ReadAheadOptions } from './ahead.js';
import type { BufferPool } from './reader.js';

export interface ByteSource {
  /** Display name used in messages ("-" reads as "stdin"). */
  readonly name: string;
  /** Whether the bytes are decompressed from gzip. */
  readonly gzip: boolean;
  /**
   * Size of the file in bytes when known up front (plain and gzip files: the compressed size
   * for gzip), for progress; null for streams (stdin, FIFOs).
   */
  readonly size: number | null;
  /** Bytes of the file consumed so far (compressed bytes for gzip), against `size`. */
  consumed(): number;
  /**
   * Copies up to `length` bytes into `into` at `offset`; resolves 0 at the end, and once
   * the signal given to openSource has fired. A stream resolves as soon as some bytes are
   * there rather than waiting for `length`.
   */
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
  /**
   * Plain regular files only: reads of the file's next parts kept in flight into buffers of
   * `pool` (capture/ahead.ts); null for other files. close() waits for them.
   */
  readAhead?(pool: BufferPool, opts: ReadAheadOptions): ReadAhead | null;
  /** Reads continue at file offset `offset` (once read-ahead took the file over). */
  seek?(offset: number): void;
}

const GZIP_0 = 0x1f;
const GZIP_1 = 0x8b;

/** Whether `head` starts with the gzip magic (1f 8b). */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_0 && head[1] === GZIP_1;
}
const EMPTY = new Uint8Array(0);

class FileSource implements ByteSource {
  readonly gzip = false;
  private done = 0;
  /** Where reads continue once seek() was called; null: at the descriptor's position. */
  private at: number | null = null;
  private ahead: ReadAhead | null = null;
  constructor(
    readonly name: string,
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly signal: AbortSignal | undefined,
    private readonly regular: boolean,
  ) {}
  readAhead(pool: BufferPool, opts: ReadAheadOptions): ReadAhead | null {
    if (!this.regular || this.ahead !== null) return null;
    this.ahead = new ReadAhead(this.name, this.fh.fd, pool, opts);
    return this.ahead;
  }
  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.signal?.aborted) return 0;
    // Read on this thread, in L2-sized pieces the reader frames at once: the kernel's copy
    // leaves the bytes in this core's cache. An async read lands them in a libuv thread's
    // core instead, and framing then pays a cross-core miss per record (measured: ~5x).
    try {
      const n = readSync(this.fh.fd, into, offset, length, this.at);
      this.done += n;
      if (this.at !== null) this.at += n;
      return n;
    } catch (err) {
      throw new CaptureError('INPUT', this.name, `read failed (${(err as { code?: string }).code ?? String(err)})`);
    }
  }
  consumed(): number {
    return this.done;
  }
  seek(offset: number): void {
    this.at = offset;
    this.done = offset;
  }
  async close(): Promise<void> {
    // no read may be in flight when the descriptor goes (a number the next open may reuse)
    await this.ahead?.stop();
    return this.fh.close();
  }
}

/**
 * Pulls a Readable in paused mode (`read()`), so that what the stream holds can be taken
 * without waiting: a read returns what has arrived, and after an abort the bytes already
 * buffered are still handed over before the end is reported.
 */
class StreamSource implements ByteSource {
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  private ended = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private readonly onEvent = (): void => {
    const w = this.wake;
    this.wake = null;
    w?.();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.onEvent();
  };
  private readonly onError = (err: unknown): void => {
    this.failure ??= err;
    this.onEvent();
  };

  /**
   * `raw`: for a gzip file, its size and the compressed bytes read so far (the file stream's
   * bytesRead), which progress counts; streams of unknown size have none.
   */
  constructor(
    readonly name: string,
    readonly gzip: boolean,
    private readonly stream: Readable,
    private readonly signal: AbortSignal | undefined,
    private readonly raw: { size: number; read: () => number } | null = null,
  ) {
    stream.on('readable', this.onEvent);
    stream.on('end', this.onEnd);
    // destroyed without an 'end' (by pipeline, or a socket reset): no more data will come
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
    signal?.addEventListener('abort', this.onEvent);
  }

  get size(): number | null {
    return this.raw?.size ?? null;
  }

  consumed(): number {
    return this.raw?.read() ?? 0;
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    let done = 0;
    while (done < length) {
      if (this.pos >= this.chunk.length) {
        // Once some bytes are in, take only what the stream holds already: never wait.
        const next = await this.pull(done === 0);
        if (next === null) break;
        this.chunk = next;
        this.pos = 0;
        continue;
      }
      const n = Math.min(length - done, this.chunk.length - this.pos);
      into.set(this.chunk.subarray(this.pos, this.pos + n), offset + done);
      this.pos += n;
      done += n;
    }
    return done;
  }

  /** Gathers at least `n` unread bytes (fewer at the end) and returns them, still unread. */
  async peek(n: number): Promise<Uint8Array> {
    let have = this.chunk.subarray(this.pos);
    while (have.length < n) {
      const next = await this.pull(true);
      if (next === null) break;
      have = have.length === 0 ? next : Buffer.concat([have, next]);
    }
    this.chunk = have;
    this.pos = 0;
    return have.subarray(0, n);
  }

  /** Stops pulling and puts the unread bytes back, so the stream can be piped elsewhere. */
  release(): Readable {
    this.detach();
    if (this.pos < this.chunk.length) this.stream.unshift(this.chunk.subarray(this.pos));
    this.chunk = EMPTY;
    this.pos = 0;
    return this.stream;
  }

  async close(): Promise<void> {
    this.detach();
    // A late error (the other end of a pipe going away) must not become an uncaught one.
    this.stream.on('error', () => undefined);
    this.stream.destroy();
  }

  /**
   * The next chunk the stream holds; else, when `wait`, the next to arrive. Null at the
   * end, after an abort, or (without `wait`) when nothing is buffered.
   */
  private async pull(wait: boolean): Promise<Uint8Array | null> {
    for (;;) {
      const c = this.stream.read() as Uint8Array | string | null;
      if (c !== null) return typeof c === 'string' ? Buffer.from(c) : c;
      if (!wait) return null;
      // bytes buffered before an error were handed over above; now the error counts
      if (this.failure !== null) throw streamError(this.name, this.gzip, this.failure);
      if (this.ended || this.signal?.aborted) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private detach(): void {
    this.stream.off('readable', this.onEvent);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    this.signal?.removeEventListener('abort', this.onEvent);
  }
}

function streamError(name: string, gzip: boolean, err: unknown): CaptureError {
  const msg = err instanceof Error ? err.message : String(err);
  return new CaptureError('FORMAT', name, gzip ? `gzip data is corrupt (${msg})` : `read failed (${msg})`);
}

function ioError(name: string, err: unknown): CaptureError {
  const code = (err as { code?: string }).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code ?? String(err);
  return new CaptureError('INPUT', name, `cannot open (${why})`);
}

/**
 * Opens a path ('-' = stdin), looking at its first bytes to see whether it is gzip. After
 * `signal` fires, reads end (see ByteSource.read).
 */
export async function openSource(path: string, stdin: Readable = process.stdin, signal?: AbortSignal): Promise<ByteSource> {
  if (path === '-') return openStream('stdin', stdin, signal);
  let st: Stats;
  try {
    st = await stat(path);
  } catch (err) {
    throw ioError(path, err);
  }
  if (st.isDirectory()) throw ioError(path, { code: 'EISDIR' });
  if (st.isFIFO()) return openStream(path, openFifo(path), signal);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw ioError(path, err);
  }
  try {
    const head = new Uint8Array(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    if (bytesRead === 2 && isGzip(head)) {
      await fh.close();
      // Progress counts the compressed bytes the file stream has read: the decompressed size
      // is not known before the end.
      const file = createReadStream(path, { highWaterMark: 1 << 20 });
      return new StreamSource(path, true, gunzipped(file), signal, { size: st.size, read: () => file.bytesRead });
    }
    return new FileSource(path, fh, st.size, signal, st.isFile());
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw ioError(path, err);
  }
}

/**
 * A FIFO opened without blocking (a blocking open waits for a writer and cannot be
 * interrupted) and read through libuv's pipe handle, whose reads an abort can end; a
 * synchronous file read would block the thread, signals included. No data and no end
 * are seen before a writer comes.
 */
function openFifo(path: string): Readable {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw ioError(path, err);
  }
  return new Socket({ fd, readable: true, writable: false });
}

/** A stream source, gunzipping when its first two bytes are the gzip magic. */
async function openStream(name: string, stream: Readable, signal: AbortSignal | undefined): Promise<ByteSource> {
  const src = new StreamSource(name, false, stream, signal);
  let head: Uint8Array;
  try {
    // The gzip magic may arrive split across chunks: gather two bytes first.
    head = await src.peek(2);
  } catch (err) {
    await src.close();
    throw err;
  }
  if (head.length === 2 && isGzip(head)) return new StreamSource(name, true, gunzipped(src.release()), signal);
  return src;
}

/** Errors of either stream reach the consumer through the gunzip stream. */
function gunzipped(raw: Readable): Readable {
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  pipeline(raw, gunzip, () => undefined);
  return gunzip;
}
