// Page-aligned buffers for per-flow blocks laid out by cache line (the conversations' TCP
// blocks, the flow table's slots): an ArrayBuffer's store is only 16-byte aligned (malloc),
// so each 64-byte group of a block would straddle two cache lines. A WebAssembly memory's
// buffer starts on a page. Never Memory.grow(): growing detaches the old buffer, and the
// first detached buffer makes V8 check every typed-array access for it, everywhere (+12 %
// instructions on the feed, bench/README.md).

const WASM_PAGE = 65536;

/** What alignedBuffer uses of WebAssembly.Memory (the project's lib settings leave WebAssembly's types out). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
declare const WebAssembly: { Memory: new (descriptor: { initial: number }) => WasmMemory } | undefined;

/**
 * A zeroed buffer of at least `bytes` bytes (rounded up to 64 KiB pages), page-aligned;
 * or an ordinary one of `bytes` where WebAssembly cannot give one (--jitless, or no address
 * space left for a memory). Views must give their lengths: the buffer may be longer.
 */
export function alignedBuffer(bytes: number): ArrayBuffer {
  if (typeof WebAssembly !== 'undefined') {
    try {
      return new WebAssembly.Memory({ initial: Math.ceil(bytes / WASM_PAGE) }).buffer;
    } catch {
      // an ordinary buffer below
    }
  }
  return new ArrayBuffer(bytes);
}
