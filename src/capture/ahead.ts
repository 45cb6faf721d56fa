// Read-ahead for a large plain file: positional reads of the next parts of the file are
// kept in flight on libuv's thread pool (whose threads pantap's file opening started
// already), each into a batch buffer of the pool, while the main thread frames and decodes
// the part before. So the kernel's copy of the file (≈ 190 ms of mixed-2M's 946 MB) leaves
// the main thread, for one completion callback per part (512 KiB: reader.ts AHEAD_PART) and
// no thread of our own (a worker thread costs ≈ 10 MiB while it runs and ≈ 3 MiB after,
// bench/README.md).
// Each read leaves `head` bytes free at its buffer's start: the reader copies the cut record
// that ends the previous buffer there, so a buffer holds whole records from its first byte used.
import { read } from 'node:fs';
import { CaptureError } from '../errors.js';
import type { BatchBuffers, BufferPool } from './reader.js';

/** A part of the file: bytes [head, head + length) of `bufs.data` are the file's next. */
export interface Taken {
  bufs: BatchBuffers;
  length: number;
  /** Bytes asked for: a part shorter than this is the last. */
  want: number;
  /** The read failed (after `length` bytes, as a read of this thread would). */
  err: CaptureError | null;
}

export interface ReadAheadOptions {
  /** Bytes free in front of each part. */
  head: number;
  /** Reads kept in flight. */
  depth: number;
  /** Bytes a read asks for at most (default: the buffer's room after `head`). */
  part?: number;
  /** fs.read; tests substitute one that fails. */
  read?: typeof read;
}

interface Pending {
  bufs: BatchBuffers;
  /** Settles with the bytes read; never rejects. */
  done: Promise<Taken>;
}

export class ReadAhead {
  private readonly pending: Pending[] = [];
  /** File offset of the next read to issue. */
  private offset = 0;
  private begun = false;
  /** A part came back short or failed: nothing after it is taken. */
  private over = false;
  private stopped = false;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly name: string,
    private readonly fd: number,
    private readonly pool: BufferPool,
    readonly opts: ReadAheadOptions,
  ) {}

  /** Whether take() can be called: begun and neither over nor stopped. */
  get active(): boolean {
    return this.begun && !this.over && !this.stopped;
  }

  /** Starts the reads, from file offset `offset` on. */
  begin(offset: number): void {
    this.begun = true;
    this.offset = offset;
    while (this.pending.length < this.opts.depth) this.issue();
  }

  /**
   * The next part of the file, after the one taken before; null once stopped. A part
   * shorter than asked (`want`: the file's end, or a short read) or a failed read ends
   * the read-ahead: the caller reads on itself from where that part ended.
   */
  async take(): Promise<Taken | null> {
    if (!this.active) return null;
    const p = this.pending.shift()!;
    const t = await p.done;
    if (t.err !== null || t.length < t.want) this.over = true;
    else if (!this.stopped) this.issue();
    return t;
  }

  /**
   * Ends the read-ahead; resolves once no read is in flight (the file may then be closed)
   * and their buffers are back in the pool.
   */
  stop(): Promise<void> {
    this.stopped = true;
    // every caller (the reader, then the source's close) waits for the same reads
    this.stopping ??= Promise.all(this.pending.splice(0).map(async (p) => {
      await p.done;
      this.pool.release(p.bufs);
    })).then(() => undefined);
    return this.stopping;
  }

  private issue(): void {
    const bufs = this.pool.acquire();
    const u8 = new Uint8Array(bufs.data);
    const at = this.offset;
    const want = Math.min(u8.length - this.opts.head, this.opts.part ?? Infinity);
    this.offset += want;
    const done = new Promise<Taken>((resolve) => {
      (this.opts.read ?? read)(this.fd, u8, this.opts.head, want, at, (err, n) => {
        const code = (err as { code?: string } | null)?.code;
        resolve({ bufs, length: err === null ? n : 0, want, err: err === null ? null : new CaptureError('INPUT', this.name, `read failed (${code ?? String(err)})`) });
      });
    });
    this.pending.push({ bufs, done });
  }
}
