// The input every payload decoder takes: for one flow, the reassembled prefix of each TCP
// direction, with where each contributing segment starts so that a decoder can order
// events across the two directions by the capture-wide record (packet) number.

/** Where one TCP segment's bytes start in a direction's prefix, and which packet carried it. */
export interface SegmentMark {
  /** Byte offset in `StreamPrefix.bytes` of the segment's first new byte. */
  offset: number;
  /** Capture-wide record number of the packet: orders packets of both directions. */
  record: number;
}

/** The contiguous start of one direction's TCP byte stream. */
export interface StreamPrefix {
  bytes: Uint8Array;
  /** One mark per segment that contributed bytes, sorted by offset (ascending). */
  marks: readonly SegmentMark[];
  /**
   * True when the prefix ends because a cap was hit or a sequence gap stopped the
   * reassembly, false when it ends because the stream (as captured) ended.
   */
  truncated: boolean;
}

/** Both directions of one flow, as handed to the decoders. */
export interface FlowPayload {
  client: StreamPrefix;
  server: StreamPrefix;
  /** Time of the flow (e.g. its first packet), ms since the epoch; used for certificate age. */
  flowTimeMs?: number;
}

const EMPTY_BYTES = new Uint8Array(0);

/** An empty, complete direction (nothing was sent). */
export function emptyStream(): StreamPrefix {
  return { bytes: EMPTY_BYTES, marks: [], truncated: false };
}

/**
 * The record number of the segment that holds byte `offset`: the last mark whose offset is
 * at most `offset`. Null when the offset is outside the bytes or no mark covers it. Marks
 * are trusted to be sorted (binary search); unsorted marks give a wrong answer, never an
 * exception.
 */
export function recordAt(prefix: StreamPrefix, offset: number): number | null {
  const marks = prefix.marks;
  if (!(offset >= 0 && offset < prefix.bytes.length) || marks.length === 0) return null;
  let lo = 0;
  let hi = marks.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (marks[mid].offset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return null;
  const record = marks[found].record;
  return Number.isFinite(record) ? record : null;
}

/**
 * Builds a prefix from consecutive segments (each already in stream order, without overlap),
 * as the session does after reassembly. Empty segments get no mark.
 */
export function prefixFromSegments(
  segments: readonly { bytes: Uint8Array; record: number }[],
  truncated = false,
): StreamPrefix {
  let total = 0;
  for (const s of segments) total += s.bytes.length;
  const bytes = new Uint8Array(total);
  const marks: SegmentMark[] = [];
  let at = 0;
  for (const s of segments) {
    if (s.bytes.length === 0) continue;
    bytes.set(s.bytes, at);
    marks.push({ offset: at, record: s.record });
    at += s.bytes.length;
  }
  return { bytes, marks, truncated };
}
