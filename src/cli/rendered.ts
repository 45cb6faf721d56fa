// What a renderer hands to the writers (stdout, -o): text, bytes, or bytes in chunks made as
// they are written (the JSON summary: no 21 MB string and no UTF-8 copy of it). A chunk is
// only valid until the next one is asked for (the JSON's chunks are one buffer, refilled):
// every writer is done with a chunk, its write completed, before it takes the next.
export type Rendered = string | Uint8Array | { chunks: Iterable<Uint8Array> };

/** The bytes of `data`, chunk by chunk. */
export function* chunksOf(data: Rendered): Generator<Uint8Array> {
  if (typeof data === 'string') yield Buffer.from(data, 'utf8');
  else if (data instanceof Uint8Array) yield data;
  else yield* data.chunks;
}
