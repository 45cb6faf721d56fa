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
   * are copied back to back (a batch merged from several inputs, a part of a batch routed
   * to one worker) it is placed so that the first record's offset is right; `origins` then
   * says where the later ones came from.
   */
  fileOffset: number;
  /**
   * A batch whose records were copied from several runs (capture/merge.ts): one triple per
   * run, in record order — its first record's global number, its input, and that input's
   * offset of this buffer's byte 0 for the run (so a record's input offset is that plus its
   * REC_OFFSET). Global numbers, not positions: --dedup and the filters move records down
   * the index (seqs), and a session cuts a batch's head off (seqBase), keeping `origins`.
   * Absent: every record is fileIndex's, at fileOffset + REC_OFFSET (a part routed to one
   * worker has none: its records are copied again, and only its first is named). For messages only
   * (recordOrigin); a few triples a batch, never read per packet.
   */
  origins?: Float64Array;
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
 * Which input record `r` of a batch came from and its byte offset there, for messages: the
 * batch's buffer may start earlier than its first packet (the file's header, the head room
 * in front of a part read ahead), and a merged batch's records come from several inputs.
 */
export function recordOrigin(batch: RecordBatch, r: number): { fileIndex: number; offset: number } {
  const at = r < batch.count ? new Uint32Array(batch.index, r * REC_WORDS * 4, REC_WORDS)[REC_OFFSET] : 0;
  const o = batch.origins;
  if (o === undefined) return { fileIndex: batch.fileIndex, offset: batch.fileOffset + at };
  const seq = batch.seqs === undefined ? batch.seqBase + r : batch.seqs[r];
  let k = 0;
  while (k + 3 < o.length && o[k + 3] <= seq) k += 3;
  return { fileIndex: o[k + 1], offset: o[k + 2] + at };
}
