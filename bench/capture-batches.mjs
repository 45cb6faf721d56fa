// A capture's records as the aggregator's batches (2 MiB of bytes each, framed by the build
// under test's PcapFramer, passed in), for benchmark entries that time the aggregator over
// whole batches without the reader. A generator: a caller that aggregates as it goes holds
// one batch at a time; one that times several rounds keeps them all ([...captureBatches()]).
import { readFileSync } from 'node:fs';

export function* captureBatches(file, PcapFramer, REC_WORDS) {
  const whole = readFileSync(file);
  const framer = new PcapFramer(file);
  let pos = 0;
  let seq = 0;
  while (pos < whole.length) {
    const end = Math.min(whole.length, pos + (2 << 20));
    const ab = new ArrayBuffer(end - pos);
    new Uint8Array(ab).set(whole.subarray(pos, end));
    const idx = new Uint32Array(REC_WORDS * 20000);
    framer.count = 0;
    const used = framer.frame(new Uint8Array(ab), new DataView(ab), 0, end - pos, pos, idx, 20000);
    if (framer.count === 0) return;
    yield { data: ab, index: idx.buffer.slice(0, framer.count * REC_WORDS * 4), count: framer.count, seqBase: seq, fileIndex: 0, fileOffset: pos };
    seq += framer.count;
    pos += used;
  }
}
