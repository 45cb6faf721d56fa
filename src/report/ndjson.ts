// NDJSON flows: one `flows` item of the JSON contract per line, for captures whose flow list
// is too long to hold as one document. Consumers (jq -c, log shippers) read line by line.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import { flowRecord, orderedFlow, type FlowRecord } from './flow-record.js';

/** The same object, with the same key order, as the JSON summary's `flows` items. */
export function flowLine(f: FlowRecord): string {
  return `${JSON.stringify(orderedFlow(f))}\n`;
}

/**
 * Writes flow lines to a stream (a `fs.WriteStream`, a socket, a pipe) or to a file
 * descriptor. `write` resolves at once while the stream buffers, and waits for 'drain' when
 * it is full, so awaiting each write keeps memory bounded however many flows there are.
 * A descriptor stays open on `close()` (the caller owns it: pass 1 for stdout); a stream is
 * ended.
 */
export class NdjsonWriter {
  private readonly stream: Writable;
  private failure: Error | null = null;
  private draining: Promise<void> | null = null;

  constructor(target: Writable | number) {
    this.stream = typeof target === 'number' ? createWriteStream('', { fd: target, autoClose: false }) : target;
    // Kept, so that a failure between two writes is reported by the next call rather than
    // lost (or crashing the process as an unhandled 'error').
    this.stream.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  async write(f: FlowRecord): Promise<void> {
    if (this.failure) throw this.failure;
    // Written synchronously, before any await, so lines keep call order even when callers
    // do not await every write.
    if (this.stream.write(flowLine(f))) return;
    this.draining ??= once(this.stream, 'drain').then(() => {
      this.draining = null;
    });
    await this.draining;
  }

  /** Flushes everything written; rejects if any write failed. */
  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    this.stream.end();
    await finished(this.stream);
    if (this.failure) throw this.failure;
  }
}

/** Writes classified flows, one line each (live: as they expire; files: after the run). */
export async function writeFlows(w: NdjsonWriter, flows: readonly ClassifiedFlow[], catalog: Catalog): Promise<void> {
  for (const f of flows) await w.write(flowRecord(f, catalog));
}
