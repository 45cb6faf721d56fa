// The record batch: the one shape in which packets travel from any source (file framing,
// live capture) to the decoders. Packet bytes stay where the source put them (`data`);
// `index` holds one fixed-size entry per record pointing into it. Both are plain
// ArrayBuffers so a batch can be transferred to a worker and back without copying.

/** Words (uint32) per record in a batch index. */
export const REC_WORDS = 6;
/** Offset of the packet's first byte inside `data`. */
export const REC_OFFSET = 0;
/** Captured length (bytes present in `data`). */
export const REC_CAPLEN = 1;
/** Original length on the wire. */
export const REC_ORIGLEN = 2;
/** Timestamp, whole seconds since the epoch (unsigned). */
export const REC_TS_SEC = 3;
/** Timestamp, nanoseconds within the second. */
export const REC_TS_NSEC = 4;
/** Link type (LINKTYPE_* number) of the interface the record came from. */
export const REC_LINKTYPE = 5;

/** Hard bound on a record's captured length; larger claims are corrupt, never allocated. */
export const MAX_CAPLEN = 256 * 1024;

export interface RecordBatch {
  /** Bytes the index points into. */
  data: ArrayBuffer;
  /** REC_WORDS uint32 per record. */
  index: ArrayBuffer;
  /** Records in this batch. */
  count: number;
  /** Global sequence number of the first record (counted across all inputs of a run). */
  seqBase: number;
  /** Which input (position in the run's list of files) the batch came from. */
  fileIndex: number;
  /**
   * Byte offset in that input (after decompression) of the batch's buffer's first byte: a
   * record's REC_OFFSET counts from there. The first record may start later (the file's
   * header in its first batch, the head room in front of a part read ahead). Where records
   * are copied back to back (a batch merged from several inputs, a capture set's; a part of
   * a batch routed to one worker) it is placed so that the first record's offset is right
   * (in the input fileIndex names), for messages (firstPacketOffset); the later records' are
   * not (a merged batch's may come from other inputs: a part of one says only roughly where).
   */
  fileOffset: number;
  /**
   * Global sequence number of each record, when the records are not consecutive (a part
   * of a batch routed to one worker); otherwise record r is seqBase + r.
   */
  seqs?: Float64Array;
}

/** Capture time (µs since the epoch) of the record whose index words start at `o`: the one conversion every stage uses. */
export function recordTsUs(idx: Uint32Array, o: number): number {
  return idx[o + REC_TS_SEC] * 1e6 + Math.floor(idx[o + REC_TS_NSEC] / 1000);
}

/**
 * Byte offset in its input of a batch's first packet, for messages: the batch's buffer may
 * start earlier (the file's header, the head room in front of a part read ahead).
 */
export function firstPacketOffset(batch: RecordBatch): number {
  return batch.count > 0 ? batch.fileOffset + new Uint32Array(batch.index, 0, REC_WORDS)[REC_OFFSET] : batch.fileOffset;
}
