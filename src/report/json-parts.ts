// `JSON.stringify(value, null, 2)` written in parts: a 21 MB summary as one string costs the
// string, its UTF-8 copy for the write and both as old-generation garbage (bench/README.md,
// "Report: last batch to exit"). The outer levels are walked here; each value below them is
// one native JSON.stringify, so the text is byte for byte the one-call text. Lists may be
// given as Mapped: their elements are made one at a time, as they are written, and die young.

/**
 * Objects made with their keys, and their parts' keys, in the order the JSON writes them and
 * none undefined (the run's flow records and timeline channels: flow-record.ts, timeline.ts).
 * Where no caller has held the summary (the CLI's writer, NDJSON lines, export rows) they are
 * written as they are instead of copied in order (json.ts). By identity, not a flag on the
 * object: the objects keep their shape, and a copy or an object built elsewhere is rebuilt.
 */
const asWritten = new WeakSet<object>();

/** Marks `o` as made in the JSON's order (see asWritten) and returns it. */
export function markAsWritten<T extends object>(o: T): T {
  asWritten.add(o);
  return o;
}

/** Whether `o` was marked by markAsWritten. */
export function isAsWritten(o: object): boolean {
  return asWritten.has(o);
}

/** A list whose elements are `map(items[i])`, made as they are written (JSON.stringify sees the mapped array). */
export class Mapped<T, U> {
  constructor(
    readonly items: readonly T[],
    readonly map: (x: T) => U,
  ) {}

  toJSON(): U[] {
    return this.items.map((x) => this.map(x));
  }
}

/** Levels walked here: deeper values are stringified whole (one call per list element at most). */
const WALK_ARRAYS = 2;
const WALK_OBJECTS = 1;

const INDENT = Array.from({ length: 8 }, (_, d) => ' '.repeat(2 * d));

/**
 * The pretty-printed text of `value` at nesting depth `depth` (its lines indented as
 * JSON.stringify indents them there): stringified inside `depth` one-element arrays, which
 * indent it, and cut out (a slice, not a copy).
 */
function leaf(value: unknown, depth: number): string {
  if (depth === 0 || value === null || typeof value !== 'object' || (Array.isArray(value) && value.length === 0)) return JSON.stringify(value, null, 2) ?? 'null';
  let wrapped: unknown = value;
  for (let d = 0; d < depth; d++) wrapped = [wrapped];
  const s = JSON.stringify(wrapped, null, 2);
  return s.slice(2 * depth + depth * (depth + 1), s.length - (2 * depth + depth * (depth - 1)));
}

/** Skipped as an object's value, null as a list element (as JSON.stringify does). */
const absent = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** The parts of `JSON.stringify(value, null, 2)`, in order (their concatenation is that text). */
export function* jsonParts(value: unknown, depth = 0): Generator<string> {
  if (value instanceof Mapped) {
    yield* mappedParts(value, depth);
    return;
  }
  if (Array.isArray(value) && depth <= WALK_ARRAYS) {
    yield* listParts(value.length, (i) => value[i] as unknown, depth);
    return;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth <= WALK_OBJECTS && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => !absent(obj[k]));
    if (keys.length === 0) {
      yield '{}';
      return;
    }
    const inner = INDENT[depth + 1];
    yield '{\n';
    for (let i = 0; i < keys.length; i++) {
      yield `${inner}${JSON.stringify(keys[i])}: `;
      yield* jsonParts(obj[keys[i]], depth + 1);
      yield i + 1 < keys.length ? ',\n' : '\n';
    }
    yield `${INDENT[depth]}}`;
    return;
  }
  yield leaf(value, depth);
}

function* listParts(n: number, at: (i: number) => unknown, depth: number): Generator<string> {
  if (n === 0) {
    yield '[]';
    return;
  }
  const inner = INDENT[depth + 1];
  yield '[\n';
  for (let i = 0; i < n; i++) {
    const v = at(i);
    yield inner;
    if (absent(v)) yield 'null';
    else yield* jsonParts(v, depth + 1);
    yield i + 1 < n ? ',\n' : '\n';
  }
  yield `${INDENT[depth]}]`;
}

/** Elements of a Mapped list made and stringified together: few calls, and few objects alive at a time. */
const BATCH = 256;

/** A Mapped list at `depth`: its elements stringified BATCH at a time, the batch's brackets cut off. */
function* mappedParts(m: Mapped<unknown, unknown>, depth: number): Generator<string> {
  const n = m.items.length;
  if (n === 0) {
    yield '[]';
    return;
  }
  yield '[\n';
  const close = `\n${INDENT[depth]}]`;
  for (let i = 0; i < n; i += BATCH) {
    const batch: unknown[] = [];
    for (let j = i; j < n && j < i + BATCH; j++) batch.push(m.map(m.items[j]));
    const s = leaf(batch, depth);
    // "[\n" + the elements, each on its indented lines, + "\n" + indent + "]".
    if (i > 0) yield ',\n';
    yield s.slice(2, s.length - close.length);
  }
  yield close;
}

/** Bytes per chunk of chunkUtf8: large enough that writes are few, small enough to stay out of the old generation's way. */
const CHUNK_BYTES = 1 << 18;

/** UTF-16 units of a part written at once: at 3 bytes each, they fit an empty chunk. */
const PIECE = Math.floor(CHUNK_BYTES / 3);

/**
 * The UTF-8 bytes of `parts`' concatenation, as chunks of at most CHUNK_BYTES; a part longer
 * than a chunk holds is cut into pieces (never inside a surrogate pair). Each chunk is a new
 * buffer, which a consumer may keep; with `reuse`, every chunk is the one buffer refilled, valid
 * until the next is asked for: the JSON of mixed-2M is 21 MB, and a buffer per chunk left
 * ~45 MB of them to the garbage collector while it was written (bench/README.md, "Issue 13: peak RSS of mixed-2M").
 */
export function* chunkUtf8(parts: Iterable<string>, reuse = false): Generator<Uint8Array> {
  let buf = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  let off = 0;
  for (const part of parts) {
    for (let at = 0; at < part.length; ) {
      let end = Math.min(part.length, at + PIECE);
      // A high surrogate stays with its low one.
      if (end < part.length && (part.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
      const p = at === 0 && end === part.length ? part : part.slice(at, end);
      at = end;
      // A piece may take up to 3 bytes per UTF-16 unit.
      if (off + 3 * p.length > buf.length) {
        yield buf.subarray(0, off);
        if (!reuse) buf = Buffer.allocUnsafeSlow(CHUNK_BYTES);
        off = 0;
      }
      off += buf.write(p, off, 'utf8');
    }
  }
  if (off > 0) yield buf.subarray(0, off);
}
