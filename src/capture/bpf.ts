// Offline BPF (`analyze -f`): libpcap's own compiler and interpreter, through the
// pantap-live addon, so an expression means exactly what it means to tcpdump. The addon is
// optional: without it, -f is refused in one line saying how to build it; everything else
// in offline analysis works without libpcap.
import { createRequire } from 'node:module';
import { FilterError } from '../errors.js';

/** The addon's BpfFilter (native-bindings/live/index.d.ts). */
export interface NativeBpf {
  readonly expression: string;
  check(linktype: number): string | null;
  filter(data: ArrayBuffer, index: ArrayBuffer, count: number, keep: Uint8Array): number;
}

type BpfConstructor = new (expression: string, snaplen?: number) => NativeBpf;

/** Loads the addon's BpfFilter class; tests substitute a loader that fails. */
export type BpfLoader = () => BpfConstructor;

const require = createRequire(import.meta.url);

const loadAddon: BpfLoader = () => (require('pantap-live') as { BpfFilter: BpfConstructor }).BpfFilter;

export const BUILD_HINT =
  'install libpcap and a C++ toolchain (apt-get install libpcap-dev g++ make python3), then run npm install again in the pantap folder (or npm run rebuild in native-bindings/live)';

/** Link types a filter is tried on before reading, to tell a bad expression from one meant for another link. */
const PROBE_LINKTYPES = [1, 113, 276, 101, 0];

/** `'expr'` as a shell would need it quoted in a message. */
export function quoteExpression(expression: string): string {
  return `'${expression.replace(/'/g, "'\\''")}'`;
}

/**
 * Opens the filter for `expression`. Throws FilterError when the addon is missing, or when
 * libpcap compiles the expression for none of the common link types (Ethernet, Linux cooked
 * v1/v2, raw IP, BSD loopback): a syntax error shows before any capture is read. An
 * expression that compiles for some of them (`ether host`, `inbound`) is compiled again for
 * each link type the captures bring (BpfRecords.filter).
 */
export function openBpf(expression: string, load: BpfLoader = loadAddon): NativeBpf {
  let Ctor: BpfConstructor;
  try {
    Ctor = load();
    if (typeof Ctor !== 'function') throw new Error('the addon has no BpfFilter (built from an older pantap-live: rebuild it)');
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new FilterError(`-f needs the pantap-live addon, which is not available (${why}): ${BUILD_HINT}`);
  }
  const bpf = new Ctor(expression);
  let first: string | null = null;
  for (const lt of PROBE_LINKTYPES) {
    const err = bpf.check(lt);
    if (err === null) return bpf;
    first ??= err;
  }
  throw new FilterError(`-f ${quoteExpression(expression)}: libpcap cannot compile it: ${first}`);
}
