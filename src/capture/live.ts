// Live sources behind one interface: the pantap-live addon (batches with libpcap
// timestamps, drop statistics) and the `cap` package (one packet per callback, no
// timestamps: we stamp arrival time; no drop statistics). Both are optional and loaded
// lazily, so offline analysis never needs libpcap.
import { createRequire } from 'node:module';
import { LiveError } from '../errors.js';
import { REC_CAPLEN, REC_LINKTYPE, REC_OFFSET, REC_ORIGLEN, REC_TS_NSEC, REC_TS_SEC, REC_WORDS } from './records.js';

export interface LiveStats {
  received: number;
  dropped: number;
  ifDropped: number;
}

export interface InterfaceInfo {
  name: string;
  description: string | null;
  addresses: { family: string; address: string; netmask: string | null }[];
  loopback: boolean;
  up: boolean;
  running: boolean;
}

export interface LiveOpenOptions {
  device: string;
  snaplen: number;
  filter?: string;
  bufferSize?: number;
}

export interface LiveSource {
  readonly linktype: number;
  /** Fills a batch in the record layout; resolves with 0 records after a quiet timeout. */
  read(data: ArrayBuffer, index: ArrayBuffer, maxRecords: number): Promise<{ count: number }>;
  /** Kernel statistics, or null when the backend has none (cap). */
  stats(): LiveStats | null;
  /** Packets the backend received but lost before pantap read them (cap's staging overflow). */
  droppedByPantap?(): number;
  close(): void;
}

export interface LiveBackend {
  name: 'native' | 'cap';
  listInterfaces(): InterfaceInfo[];
  open(opts: LiveOpenOptions): LiveSource;
}

const require = createRequire(import.meta.url);

// npm leaves a failed optional dependency out of node_modules, so `npm rebuild` has nothing
// to build: a second `npm install` is what builds the addons once libpcap is there.
const INSTALL_HINT = 'install libpcap and a C++ toolchain (apt-get install libpcap-dev g++ make python3), then run npm install again in the pantap folder';

interface NativeAddon {
  listInterfaces(): InterfaceInfo[];
  open(o: { device: string; snaplen?: number; promiscuous?: boolean; immediate?: boolean; bufferSize?: number; filter?: string; timeoutMs?: number }): {
    linktype: number;
    read(data: ArrayBuffer, index: ArrayBuffer, max: number): Promise<{ count: number; bytes: number }>;
    stats(): LiveStats;
    close(): void;
  };
}

function loadNative(): NativeAddon {
  try {
    return require('pantap-live') as NativeAddon;
  } catch (err) {
    throw new LiveError(`the native capture addon (pantap-live) is not built: ${INSTALL_HINT} (${firstLine(err)})`);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/** Turns a backend's open error into the one line a user can act on. */
function openError(err: unknown, device: string, list: () => InterfaceInfo[]): LiveError {
  const code = (err as { code?: string }).code;
  const msg = firstLine(err);
  if (code === 'EPERM' || /permission|not permitted/i.test(msg)) {
    return new LiveError(`${device}: permission denied: run as root (with -Z USER to drop root once the interface is open), or see "Running live capture without root" in the README`);
  }
  if (code === 'EFILTER' || /syntax error|filter/i.test(msg)) return new LiveError(`bad capture filter: ${msg}`);
  if (code === 'ENODEV' || /no such device|doesn't exist/i.test(msg)) {
    let names = '';
    try {
      names = list()
        .map((i) => i.name)
        .join(', ');
    } catch {
      names = '(could not list interfaces)';
    }
    return new LiveError(`no such interface '${device}'; available: ${names}`);
  }
  return new LiveError(`${device}: cannot start capture: ${msg}`);
}

export const nativeBackend = (): LiveBackend => {
  const addon = loadNative();
  return {
    name: 'native',
    listInterfaces: () => addon.listInterfaces(),
    open(o) {
      let h: ReturnType<NativeAddon['open']>;
      try {
        // Not immediate mode: in immediate mode libpcap sizes every ring slot for the snaplen
        // (512 slots of 64 KiB in 32 MiB at the default snaplen: drops from 25k pkt/s on);
        // without it, TPACKET_V3 blocks pack packets by their real size, and the read timeout
        // (200 ms) bounds the delay.
        h = addon.open({ device: o.device, snaplen: o.snaplen, filter: o.filter, bufferSize: o.bufferSize, promiscuous: true, immediate: false, timeoutMs: 200 });
      } catch (err) {
        throw openError(err, o.device, () => addon.listInterfaces());
      }
      return { linktype: h.linktype, read: (d, i, m) => h.read(d, i, m), stats: () => h.stats(), close: () => h.close() };
    },
  };
};

interface CapModule {
  Cap: {
    new (): {
      open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
      on(ev: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
      close(): void;
    };
    deviceList(): { name: string; description?: string; addresses: { addr: string; netmask?: string }[]; flags?: string }[];
  };
}

/** Cap objects that must never be garbage-collected; see capBackend. */
const failedCaps: unknown[] = [];

/** cap's staging batch between reads: as large as a live batch (live-command's BufferPool). */
const STAGE_BYTES = 4 << 20;
const STAGE_RECORDS = 1 << 15;

const CAP_LINKTYPES: Record<string, number> = { ETHERNET: 1, NULL: 0, RAW: 101, LINUX_SLL: 113, IEEE802_11_RADIO: 127, LOOP: 108 };

/**
 * The `cap` backend: one callback per packet, copied into the same batch layout. cap
 * gives no timestamps (its issue 85), so arrival time stands in; no drop statistics.
 */
export const capBackend = (): LiveBackend => {
  let cap: CapModule;
  try {
    cap = require('cap') as CapModule;
  } catch (err) {
    throw new LiveError(`the cap package is not installed or not built: ${INSTALL_HINT} (${firstLine(err)})`);
  }
  /** Whether the device opens without a filter (so a failure with one is the filter's). */
  const capOpens = (device: string): boolean => {
    const probe = new cap.Cap();
    try {
      probe.open(device, '', 1 << 16, Buffer.alloc(65535));
      probe.close();
      return true;
    } catch {
      return false;
    } finally {
      failedCaps.push(probe); // never collected either: cap's destructor is not safe after a failed or closed open
    }
  };
  const list = (): InterfaceInfo[] =>
    cap.Cap.deviceList().map((d) => ({
      name: d.name,
      description: d.description ?? null,
      addresses: d.addresses.map((a) => ({ family: a.addr.includes(':') ? 'inet6' : 'inet', address: a.addr, netmask: a.netmask ?? null })),
      loopback: /loopback/i.test(d.flags ?? ''),
      up: /up/i.test(d.flags ?? ''),
      running: /running/i.test(d.flags ?? ''),
    }));
  return {
    name: 'cap',
    listInterfaces: list,
    open(o) {
      // cap's own open() prints a libpcap warning for unknown devices: check first.
      if (!list().some((d) => d.name === o.device)) throw openError(Object.assign(new Error('no such device'), { code: 'ENODEV' }), o.device, list);
      const c = new cap.Cap();
      const pktBuf = Buffer.alloc(Math.max(o.snaplen, 65535));
      let linkName: string;
      try {
        linkName = c.open(o.device, o.filter ?? '', o.bufferSize ?? 32 << 20, pktBuf);
      } catch (err) {
        // A Cap whose open() failed half-way crashes when garbage-collected (its destructor
        // stops a poll handle it never started): keep it alive.
        failedCaps.push(c);
        throw openError(o.filter && capOpens(o.device) ? Object.assign(err as Error, { code: 'EFILTER' }) : err, o.device, list);
      }
      const linktype = CAP_LINKTYPES[linkName] ?? 1;
      // Packets arriving between reads are copied straight into a staging batch in the record
      // layout (no allocation per packet); read() hands it over in two copies. What does not
      // fit before the next read is counted as dropped by pantap.
      const stageData = new Uint8Array(STAGE_BYTES);
      const stageIdx = new Uint32Array(STAGE_RECORDS * REC_WORDS);
      let stageN = 0;
      let stagePos = 0;
      let wake: (() => void) | null = null;
      c.on('packet', (nbytes) => {
        const caplen = Math.min(nbytes, o.snaplen); // cap always captures 65535 bytes: apply --snaplen here
        if (stageN === STAGE_RECORDS || stagePos + caplen > STAGE_BYTES) {
          queueDropped++;
          return;
        }
        const now = Date.now();
        stageData.set(pktBuf.subarray(0, caplen), stagePos);
        const r = stageN * REC_WORDS;
        stageIdx[r + REC_OFFSET] = stagePos;
        stageIdx[r + REC_CAPLEN] = caplen;
        stageIdx[r + REC_ORIGLEN] = nbytes; // cap reports no wire length: what it captured
        stageIdx[r + REC_TS_SEC] = Math.floor(now / 1000);
        stageIdx[r + REC_TS_NSEC] = (now % 1000) * 1e6;
        stageIdx[r + REC_LINKTYPE] = linktype;
        stageN++;
        stagePos = (stagePos + caplen + 3) & ~3;
        wake?.();
      });
      let queueDropped = 0;
      return {
        linktype,
        async read(data, index, max) {
          if (stageN === 0) await new Promise<void>((r) => ((wake = r), setTimeout(r, 200)));
          wake = null;
          // The records that fit the caller's buffers, in order; the rest move to the front.
          const d = new Uint8Array(data);
          let n = Math.min(stageN, max, Math.floor(index.byteLength / 4 / REC_WORDS));
          while (n > 0 && stageIdx[(n - 1) * REC_WORDS + REC_OFFSET] + stageIdx[(n - 1) * REC_WORDS + REC_CAPLEN] > d.length) n--;
          if (n === 0) return { count: 0 };
          const used = n === stageN ? stagePos : stageIdx[n * REC_WORDS + REC_OFFSET];
          d.set(stageData.subarray(0, used), 0);
          new Uint32Array(index).set(stageIdx.subarray(0, n * REC_WORDS), 0);
          if (n < stageN) {
            stageData.copyWithin(0, used, stagePos);
            stageIdx.copyWithin(0, n * REC_WORDS, stageN * REC_WORDS);
            for (let r = 0; r < stageN - n; r++) stageIdx[r * REC_WORDS + REC_OFFSET] -= used;
          }
          stageN -= n;
          stagePos -= used;
          return { count: n };
        },
        droppedByPantap: () => queueDropped,
        stats: () => null,
        close: () => c.close(),
      };
    },
  };
};

export function loadBackend(name: 'native' | 'cap'): LiveBackend {
  return name === 'cap' ? capBackend() : nativeBackend();
}
