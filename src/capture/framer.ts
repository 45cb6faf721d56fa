// What every capture framer (classic pcap, pcapng) offers the reader: frame as many
// complete records as fit in a window of bytes, writing batch index entries in place.

export interface Framer {
  readonly format: 'pcap' | 'pcapng';
  /** Records written into the current index since the caller last set it to 0. */
  count: number;
  /**
   * Frames records in buf[start, end) where buf[0] is at file offset `base`. Writes
   * REC_WORDS entries per record into `idx` from `count`, at most `maxRecs` in all.
   * Returns the position after the last byte consumed; bytes after it belong to a record
   * or block that is not complete yet (or the index is full). Throws CaptureError on
   * structural corruption (the caller keeps every record framed before it).
   */
  frame(buf: Uint8Array, dv: DataView, start: number, end: number, base: number, idx: Uint32Array, maxRecs: number): number;
  /**
   * Set by frame() when it stops at an incomplete header, record or block: the length that
   * one needs (its header's length when even that is cut, as its full length is not known).
   */
  readonly needed: number;
  /** Bytes still to skip (its trailing length included) of a block that ran past the previous window. */
  readonly skipping: number;
  /** Non-fatal findings (oversized records and the like), each naming its offset. */
  readonly warnings: Warnings;
}

/** Most warnings kept per file; the rest are only counted. */
const MAX_WARNINGS = 20;

export class Warnings {
  readonly list: string[] = [];
  suppressed = 0;
  /** Callers on a per-record path check this first, so a bad file formats at most 20 strings. */
  get full(): boolean {
    return this.list.length >= MAX_WARNINGS;
  }
  add(text: string): void {
    if (this.list.length < MAX_WARNINGS) this.list.push(text);
    else this.suppressed++;
  }
}
