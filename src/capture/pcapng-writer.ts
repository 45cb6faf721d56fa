// Writes record batches as pcapng (one SHB, one IDB with nanosecond timestamps, EPBs),
// so `pantap live -W FILE` can be read back by pantap, tshark or tcpdump.
import { closeSync, openSync, writeSync } from 'node:fs';
import { CaptureError } from '../errors.js';
import { REC_CAPLEN, REC_OFFSET, REC_ORIGLEN, REC_TS_NSEC, REC_TS_SEC, REC_WORDS, type RecordBatch } from './records.js';

const errCode = (err: unknown): string => (err as { code?: string }).code ?? String(err);

export interface PcapngWriterOptions {
  /** Write to this open descriptor instead of opening `path` (which then only names it in errors). */
  fd?: number;
  /** With `fd`: close it on close() (default true; false for an inherited one such as stdout). */
  closeFd?: boolean;
}

/**
 * Every failure to write is an OUTPUT error naming the file: `PATH: cannot write packets (ENOSPC)`.
 * Given only a path, the file is opened here, synchronously: a FIFO would then block the
 * thread until its reader comes, so the CLI opens outputs itself (from the thread pool, see
 * src/cli/open-output.ts) and passes the descriptor.
 */
export class PcapngWriter {
  private readonly fd: number;
  private readonly closeFd: boolean;
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private failed = false;
  private closed = false;
  packets = 0;

  constructor(
    readonly path: string,
    linktype: number,
    snaplen: number,
    opts: PcapngWriterOptions = {},
  ) {
    if (opts.fd !== undefined) {
      this.fd = opts.fd;
      this.closeFd = opts.closeFd ?? true;
    } else {
      try {
        this.fd = openSync(path, 'w');
      } catch (err) {
        throw new CaptureError('OUTPUT', path, `cannot create (${errCode(err)})`);
      }
      this.closeFd = true;
    }
    // SHB: byte-order magic, version 1.0, section length unknown (-1).
    const shb = Buffer.alloc(28);
    shb.writeUInt32LE(0x0a0d0d0a, 0);
    shb.writeUInt32LE(28, 4);
    shb.writeUInt32LE(0x1a2b3c4d, 8);
    shb.writeUInt16LE(1, 12);
    shb.writeUInt16LE(0, 14);
    shb.writeInt32LE(-1, 16);
    shb.writeInt32LE(-1, 20);
    shb.writeUInt32LE(28, 24);
    // IDB with if_tsresol = 9 (nanoseconds) and the end-of-options marker.
    const idb = Buffer.alloc(32);
    idb.writeUInt32LE(1, 0);
    idb.writeUInt32LE(32, 4);
    idb.writeUInt16LE(linktype, 8);
    idb.writeUInt32LE(snaplen, 12);
    idb.writeUInt16LE(9, 16);
    idb.writeUInt16LE(1, 18);
    idb.writeUInt8(9, 20);
    idb.writeUInt16LE(0, 24);
    idb.writeUInt16LE(0, 26);
    idb.writeUInt32LE(32, 28);
    try {
      this.out(Buffer.concat([shb, idb]));
    } catch (err) {
      this.abandon();
      throw err;
    }
  }

  /** Copies the batch's records out (the batch may be transferred right after). */
  write(batch: RecordBatch, count = batch.count): void {
    const data = new Uint8Array(batch.data);
    const idx = new Uint32Array(batch.index);
    for (let r = 0; r < count; r++) {
      const o = r * REC_WORDS;
      const caplen = idx[o + REC_CAPLEN];
      const padded = (caplen + 3) & ~3;
      const len = 32 + padded;
      if (this.pos + len > this.buf.length) this.flush();
      if (len > this.buf.length) this.buf = Buffer.allocUnsafe(len * 2);
      const b = this.buf;
      const p = this.pos;
      // Nanoseconds since the epoch as a 64-bit count, exactly: sec * 1e9 = (sec * 1953125) * 2^9,
      // and sec * 1953125 stays below 2^53.
      const y = idx[o + REC_TS_SEC] * 1953125;
      const yq = Math.floor(y / 8388608); // 2^23
      const loFull = (y - yq * 8388608) * 512 + idx[o + REC_TS_NSEC];
      const hi = yq + Math.floor(loFull / 4294967296);
      const lo = loFull % 4294967296;
      b.writeUInt32LE(6, p);
      b.writeUInt32LE(len, p + 4);
      b.writeUInt32LE(0, p + 8);
      b.writeUInt32LE(hi, p + 12);
      b.writeUInt32LE(lo, p + 16);
      b.writeUInt32LE(caplen, p + 20);
      b.writeUInt32LE(idx[o + REC_ORIGLEN], p + 24);
      b.set(data.subarray(idx[o + REC_OFFSET], idx[o + REC_OFFSET] + caplen), p + 28);
      b.fill(0, p + 28 + caplen, p + 28 + padded);
      b.writeUInt32LE(len, p + 28 + padded);
      this.pos += len;
      this.packets++;
    }
    // Each batch reaches the file at once, so a killed capture keeps what it had captured.
    this.flush();
  }

  flush(): void {
    if (this.pos > 0) this.out(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** Flushes and closes; throws if that last write (or the close) fails. Once only. */
  close(): void {
    if (this.closed) return;
    let first: unknown = null;
    try {
      if (!this.failed) this.flush();
    } catch (err) {
      first = err;
    }
    this.closed = true;
    if (this.closeFd) {
      try {
        closeSync(this.fd);
      } catch (err) {
        if (!this.failed) first ??= this.error(err);
      }
    }
    if (first !== null) throw first;
  }

  /** Closes without writing what is buffered and without throwing: after an error elsewhere. */
  abandon(): void {
    this.failed = true;
    try {
      this.close();
    } catch {
      // The first error is the one reported.
    }
  }

  /** All of `data`, however many write(2) calls it takes (a pipe may take part of it). */
  private out(data: Uint8Array): void {
    if (this.failed) throw new CaptureError('OUTPUT', this.path, 'cannot write packets (an earlier write failed)');
    for (let off = 0; off < data.length; ) {
      try {
        off += writeSync(this.fd, data, off, data.length - off);
      } catch (err) {
        // An inherited non-blocking pipe (stdout, set up by libuv) that is full: wait a little.
        if (errCode(err) === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        this.failed = true;
        throw this.error(err);
      }
    }
  }

  private error(err: unknown): CaptureError {
    return new CaptureError('OUTPUT', this.path, `cannot write packets (${errCode(err)})`);
  }
}
