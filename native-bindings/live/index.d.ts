// Types for pantap-live (CommonJS). Loading the package throws an Error with
// code 'ERR_PANTAP_LIVE_UNAVAILABLE' when the native addon was not built.

export type AddressFamily = 'inet' | 'inet6' | 'link';

export interface InterfaceAddress {
  family: AddressFamily;
  /** Dotted quad, IPv6 text, or colon-separated hex MAC for 'link'. */
  address: string;
  netmask: string | null;
}

export interface InterfaceInfo {
  name: string;
  description: string | null;
  addresses: InterfaceAddress[];
  loopback: boolean;
  up: boolean;
  running: boolean;
}

export interface OpenOptions {
  /** Interface name, e.g. "eth0" or "lo". */
  device: string;
  /** Bytes captured per packet, 1..262144. Default 262144. */
  snaplen?: number;
  /** Default true. */
  promiscuous?: boolean;
  /** Deliver packets as soon as they arrive (no kernel batching). Default true. */
  immediate?: boolean;
  /** Kernel capture buffer size in bytes. Default 32 MiB. */
  bufferSize?: number;
  /** BPF filter expression (tcpdump syntax). */
  filter?: string;
  /** Read timeout in ms: the batching window of read() and the longest an idle read waits. Default 100. */
  timeoutMs?: number;
}

export interface ReadResult {
  /** Records written to `index` (6 uint32 words each). */
  count: number;
  /** Bytes of `data` used (end of the last record). */
  bytes: number;
}

export interface CaptureStats {
  /** pcap_stat.ps_recv */
  received: number;
  /** pcap_stat.ps_drop: dropped by the kernel for lack of buffer space. */
  dropped: number;
  /** pcap_stat.ps_ifdrop: dropped by the interface/driver. */
  ifDropped: number;
}

/**
 * Error codes: thrown by open() ('EPERM' | 'ENODEV' | 'EFILTER' | 'EPCAP'), rejected by read()
 * ('ECLOSED' | 'EBUSY' | 'ERANGE' | 'EPCAP'), thrown by stats() ('ECLOSED' | 'EPCAP').
 * Argument mistakes throw TypeError / RangeError synchronously.
 */
export type LiveErrorCode = 'EPERM' | 'ENODEV' | 'EFILTER' | 'EPCAP' | 'ECLOSED' | 'EBUSY' | 'ERANGE';

export interface LiveErrorLike extends Error {
  code: LiveErrorCode;
}

export declare class LiveHandle {
  private constructor();
  /** LINKTYPE_* of the interface (same numbering as capture files; 1 = Ethernet, also for Linux "lo"). */
  readonly linktype: number;
  /** Raw pcap_datalink() DLT_* value (differs from linktype only for a few historical types). */
  readonly dlt: number;
  /** Effective snapshot length. */
  readonly snaplen: number;
  readonly device: string;
  /** Timestamp precision libpcap granted; nanoseconds are always reported either way. */
  readonly tstampPrecision: 'nano' | 'micro';
  readonly closed: boolean;
  /**
   * Fill one record batch. `data` receives packet bytes back to back, each record
   * starting at a 4-byte aligned offset; `index` (read as Uint32Array) receives 6 words
   * per record: [offset, caplen, origlen, tsSec, tsNsec, linktype].
   *
   * Resolves once the read timeout (timeoutMs) has elapsed, or earlier when the data
   * buffer is (nearly) full or maxRecords / index capacity is reached; resolves with
   * count 0 after timeoutMs when nothing arrived. A packet that does not fit is kept and
   * returned first by the next read (rejects with ERANGE if `data` can never hold it).
   * Only one read may be in flight per handle (else EBUSY). Do not detach/transfer the
   * buffers while the promise is pending.
   */
  read(data: ArrayBuffer, index: ArrayBuffer, maxRecords: number): Promise<ReadResult>;
  /** pcap_stats(); throws ECLOSED after close(). */
  stats(): CaptureStats;
  /**
   * Idempotent. A read in flight is woken and resolves promptly with what it already
   * read; the pcap handle is released when that read returns.
   */
  close(): void;
}

/** All capture devices (pcap_findalldevs). */
export declare function listInterfaces(): InterfaceInfo[];
/** Open and activate a live capture. Throws an Error with `code` (see LiveErrorCode). */
export declare function open(opts: OpenOptions): LiveHandle;
/** pcap_lib_version(), e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
export declare function libpcapVersion(): string;

/**
 * libpcap's BPF compiler and interpreter for records read from files (no capture handle):
 * the expression is compiled per link type (pcap_open_dead + pcap_compile) the first time
 * a record of that type is filtered, since a pcapng file can mix link types.
 */
export declare class BpfFilter {
  /** `snaplen` only matters to the compiled program's accept value (default 262144). */
  constructor(expression: string, snaplen?: number);
  readonly expression: string;
  /** Compiles for a LINKTYPE_* value (once): null when it compiles, else libpcap's message. */
  check(linktype: number): string | null;
  /**
   * Filters `count` records of a batch (the read() layout: 6 uint32 words per record in
   * `index`, bytes in `data`) in one call: keep[r] = 1 when record r matches, else 0.
   * Returns the number kept. Throws an Error with code 'EFILTER' and `linktype` when the
   * expression does not compile for a record's link type, 'ERANGE' when a record points
   * outside `data`.
   */
  filter(data: ArrayBuffer, index: ArrayBuffer, count: number, keep: Uint8Array): number;
}
