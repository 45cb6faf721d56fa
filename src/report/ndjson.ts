// NDJSON flows: one `flows` item of the JSON contract per line, for captures whose flow list
// is too long to hold as one document. Consumers (jq -c, log shippers) read line by line.
import { closeSync, fstatSync, write, writeSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import { CaptureError } from '../errors.js';
import { flowRecord, orderedFlow, type FlowRecord } from './flow-record.js';

/** The same object, with the same key order, as the JSON summary's `flows` items. */
export function flowLine(f: FlowRecord): string {
  return `${JSON.stringify(orderedFlow(f))}\n`;
}

/** Lines held before a write(2) of their own, so that a long flow list never sits in memory. */
const GROUP_BYTES = 64 << 10;

export interface NdjsonWriterOptions {
  /** Names the output in errors (`PATH: cannot write flows (ENOSPC)`). */
  name?: string;
  /** A descriptor: close it on close() (the writer opened it for its owner). Default false. */
  closeFd?: boolean;
  /** A stream: end it on close(). Default true; false for stdout, which others write too. */
  end?: boolean;
}

/**
 * Writes flow lines to a stream (a socket, a pipe, stdout) or to a file descriptor.
 *
 * A descriptor gets each group of lines (those of one writeFlows() call, or 64 KiB) with
 * write(2) before writeFlows() resolves: nothing waits in memory, so a capture killed with
 * SIGKILL keeps every flow written so far. A regular file is written with writeSync (a disk
 * write does not wait for anyone); a FIFO, pipe or other special file asynchronously (from
 * libuv's thread pool; a full non-blocking pipe is retried on a timer), because its reader
 * may stall for ever and a main thread blocked in write(2) could not handle Ctrl-C (main.ts
 * ends pantap at the second one). Either way the call resolves once the kernel has the lines.
 *
 * A stream's write resolves at once while the stream buffers, and waits for 'drain' when it
 * is full, so awaiting each write keeps memory bounded however many flows there are.
 *
 * Every failure, of a descriptor or a stream, is an OUTPUT error naming the output.
 */
export class NdjsonWriter {
  private readonly stream: Writable | null;
  private readonly fd: number | null;
  private readonly sync: boolean;
  private readonly name: string;
  private readonly closeFd: boolean;
  private readonly end: boolean;
  private failure: Error | null = null;
  private draining: Promise<void> | null = null;
  /** Lines not yet handed to write(2) (descriptors only). */
  private pending = '';
  /** The descriptor's writes, one after another (a pipe has no offset to keep them in order). */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(target: Writable | number, opts: NdjsonWriterOptions = {}) {
    this.name = opts.name ?? 'NDJSON output';
    this.closeFd = opts.closeFd ?? false;
    this.end = opts.end ?? true;
    if (typeof target === 'number') {
      this.fd = target;
      this.stream = null;
      let regular = false;
      try {
        regular = fstatSync(target).isFile();
      } catch (err) {
        this.failure = this.wrap(err);
      }
      this.sync = regular;
      return;
    }
    this.fd = null;
    this.sync = false;
    this.stream = target;
    // Kept, so that a failure between two writes is reported by the next call rather than
    // lost (or crashing the process as an unhandled 'error').
    target.on('error', (err: Error) => {
      this.failure ??= this.wrap(err);
    });
  }

  async write(f: FlowRecord): Promise<void> {
    if (this.failure) throw this.failure;
    // Taken synchronously, before any await, so lines keep call order even when callers do
    // not await every write.
    if (this.stream === null) {
      this.pending += flowLine(f);
      if (this.pending.length >= GROUP_BYTES) await this.flush();
      return;
    }
    if (this.stream.write(flowLine(f))) return;
    this.draining ??= once(this.stream, 'drain').then(
      () => {
        this.draining = null;
      },
      (err: unknown) => {
        this.failure ??= this.wrap(err);
        throw this.failure;
      },
    );
    await this.draining;
  }

  /** Hands the lines written so far to the kernel (a descriptor) or to the stream; rejects if any write failed. */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.fd === null || this.pending === '') return this.chain;
    const fd = this.fd;
    const data = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    if (this.sync) {
      try {
        writeFullySync(fd, data);
      } catch (err) {
        this.failure = this.wrap(err);
        return Promise.reject(this.failure);
      }
      return this.chain;
    }
    const next = this.chain.then(() =>
      writeFully(fd, data).catch((err: unknown) => {
        this.failure ??= this.wrap(err);
        throw this.failure;
      }),
    );
    next.catch(() => undefined); // reported to whoever awaits it, never unhandled
    this.chain = next;
    return next;
  }

  /** Flushes everything written, then closes (an owned descriptor) or ends (a stream); rejects if any write failed. */
  async close(): Promise<void> {
    if (this.closed) {
      if (this.failure) throw this.failure;
      return;
    }
    if (this.stream !== null) {
      this.closed = true;
      if (this.failure) {
        if (this.end) this.stream.destroy();
        throw this.failure;
      }
      if (this.end) {
        this.stream.end();
        await finished(this.stream).catch((err: unknown) => {
          this.failure ??= this.wrap(err);
        });
      } else if (this.stream.writableNeedDrain) {
        await once(this.stream, 'drain').catch((err: unknown) => {
          this.failure ??= this.wrap(err);
        });
      }
      if (this.failure) throw this.failure;
      return;
    }
    try {
      await this.flush();
    } finally {
      this.closed = true;
      if (this.closeFd) {
        try {
          closeSync(this.fd!);
        } catch (err) {
          // A late failure (NFS reports some at close): the lines may not all be there.
          this.failure ??= this.wrap(err);
        }
      }
    }
    if (this.failure) throw this.failure;
  }

  /**
   * Gives up after an error elsewhere: no more writes, nothing thrown. An owned descriptor is
   * closed once a write still under way has ended (never under it: its number could be
   * reused by then); a stream that close() would end is destroyed.
   */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = '';
    if (this.stream !== null) {
      if (this.end) this.stream.destroy();
      return;
    }
    if (!this.closeFd) return;
    const fd = this.fd!;
    const closeQuietly = (): void => {
      try {
        closeSync(fd);
      } catch {
        // Already failing: the first error is the one reported.
      }
    };
    this.chain.then(closeQuietly, closeQuietly);
  }

  private wrap(err: unknown): Error {
    if (err instanceof CaptureError) return err;
    const e = err as { code?: string; message?: string };
    return new CaptureError('OUTPUT', this.name, `cannot write flows (${e.code ?? e.message ?? String(err)})`);
  }
}

/** Writes classified flows, one line each (live: as they expire; files: after the run), and flushes them. */
export async function writeFlows(w: NdjsonWriter, flows: readonly ClassifiedFlow[], catalog: Catalog): Promise<void> {
  for (const f of flows) await w.write(flowRecord(f, catalog));
  await w.flush();
}

/** Writes all of `data` to `fd` from the main thread: a short write goes on where it stopped. */
export function writeFullySync(fd: number, data: Uint8Array): void {
  for (let off = 0; off < data.length; ) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (err) {
      // A non-blocking descriptor (a pipe libuv set up, inherited) that is full: wait a little.
      if ((err as { code?: string }).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/** Writes all of `data` to `fd` from libuv's thread pool; the main thread stays free. */
export async function writeFully(fd: number, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length; ) {
    try {
      off += await new Promise<number>((resolve, reject) => write(fd, data, off, data.length - off, null, (err, n) => (err ? reject(err) : resolve(n))));
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
