// pcapng framing: byte orders, several sections, interface options (if_tsresol in both
// forms, if_tsoffset, if_fcslen), EPB/SPB/OPB, skipped blocks (also across read buffers),
// block-length checks, undefined interfaces and splits across buffer boundaries.
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/capture/reader.js';
import { MAX_CAPLEN } from '../../src/capture/records.js';
import { CaptureError } from '../../src/errors.js';
import {
  block,
  cat,
  comment,
  customBlock,
  epb,
  idb,
  isb,
  nrb,
  opb,
  OPT_IF_FCSLEN,
  readAll,
  shb,
  spb,
  tempDir,
  tsoffset,
  tsresol,
  type Rec,
} from '../helpers/build.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));
const meta = (rs: Rec[]) => rs.map(({ data: _d, ...r }) => r);

async function captureError(p: Promise<unknown>): Promise<CaptureError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureError);
    return err as CaptureError;
  }
  throw new Error('expected a CaptureError');
}

describe('block builders', () => {
  it('have the sizes the offsets below rely on', () => {
    expect(shb().length).toBe(28);
    expect(idb().length).toBe(20);
    expect(idb({ opts: [tsresol(9)] }).length).toBe(32);
    expect(idb({ opts: [tsresol(9), tsoffset(1n)] }).length).toBe(44);
    expect(epb({ data: bytes(60, 0) }).length).toBe(92);
    expect(epb({ data: bytes(14, 0) }).length).toBe(48);
    expect(opb({ data: bytes(10, 0) }).length).toBe(44);
    expect(spb({ data: bytes(10, 0) }).length).toBe(28);
    expect(nrb().length).toBe(36);
    expect(isb().length).toBe(24);
    expect(customBlock({ data: bytes(8, 0) }).length).toBe(24);
    // the SHB type reads the same in both byte orders; the byte-order magic does not
    expect(shb({ le: false }).subarray(0, 12).toString('hex')).toBe('0a0d0d0a0000001c1a2b3c4d');
    expect(shb({ le: true }).subarray(0, 12).toString('hex')).toBe('0a0d0d0a1c0000004d3c2b1a');
  });
});

describe('sections and byte orders', () => {
  for (const le of [true, false]) {
    it(`SHB ${le ? 'little' : 'big'}-endian with EPBs (default microsecond resolution)`, async () => {
      const file = cat(
        shb({ le }), // 0
        idb({ le, linktype: 1, snaplen: 65535 }), // 28
        epb({ le, ts: 1700000000_654321n, data: bytes(60, 1) }), // 48, data at 76
        epb({ le, ts: 1700000001_000001n, data: bytes(14, 2), origlen: 1514 }), // 140, data at 168
      );
      expect(file.length).toBe(188);
      const { report, records } = await readAll(tmp.file(`ng-${le}.pcapng`, file));
      expect(report).toMatchObject({
        format: 'pcapng',
        records: 2,
        bytesRead: 188,
        linktypes: [1],
        sections: 1,
        snaplen: null,
        truncatedAt: null,
        error: null,
        warnings: [],
      });
      expect(meta(records)).toEqual([
        { offset: 76, sec: 1700000000, nsec: 654321000, caplen: 60, origlen: 60, link: 1 },
        { offset: 168, sec: 1700000001, nsec: 1000, caplen: 14, origlen: 1514, link: 1 },
      ]);
      expect(records[0].data).toEqual(bytes(60, 1));
      expect(records[1].data).toEqual(bytes(14, 2));
    });
  }

  it('two sections with different byte orders keep their own interfaces', async () => {
    const file = cat(
      shb({ le: true, opts: [comment('first')] }), // 0, 28 + 12 (comment) + 4 (end) = 44
      idb({ le: true, linktype: 1 }), // 44
      idb({ le: true, linktype: 113, opts: [tsresol(9)] }), // 64
      epb({ le: true, ifId: 1, ts: 1700000000_123456789n, data: bytes(10, 1) }), // 96, data 124
      epb({ le: true, ifId: 0, ts: 1700000000_000002n, data: bytes(10, 2) }), // 140, data 168
      shb({ le: false }), // 184
      idb({ le: false, linktype: 101, opts: [tsresol(3)] }), // 212
      epb({ le: false, ifId: 0, ts: 1700000005_042n, data: bytes(21, 3) }), // 244, data 272
    );
    expect(file.length).toBe(244 + 32 + 24);
    const { report, records } = await readAll(tmp.file('two-sections.pcapng', file));
    expect(report).toMatchObject({ records: 3, sections: 2, linktypes: [1, 113, 101], error: null, truncatedAt: null, bytesRead: 300 });
    expect(meta(records)).toEqual([
      { offset: 124, sec: 1700000000, nsec: 123456789, caplen: 10, origlen: 10, link: 113 },
      { offset: 168, sec: 1700000000, nsec: 2000, caplen: 10, origlen: 10, link: 1 },
      { offset: 272, sec: 1700000005, nsec: 42000000, caplen: 21, origlen: 21, link: 101 },
    ]);
    expect(records[2].data).toEqual(bytes(21, 3));
  });

  it('a new section forgets the interfaces of the previous one', async () => {
    const file = cat(
      shb(),
      idb({ linktype: 1 }),
      idb({ linktype: 1 }),
      epb({ ifId: 1, data: bytes(4, 0) }), // 68
      shb({ le: false }), // 68 + 36 = 104
      idb({ le: false }), // 132
      epb({ le: false, ifId: 1, data: bytes(4, 0) }), // 152
    );
    const path = tmp.file('forget.pcapng', file);
    const { report, records } = await readAll(path);
    expect(records).toHaveLength(1);
    expect(report.error).toBe(`${path}: packet block refers to undefined interface 1 at byte offset 152`);
  });
});

describe('interface options', () => {
  async function one(opts: Parameters<typeof idb>[0], ts: bigint, le = true): Promise<Rec> {
    const file = cat(shb({ le }), idb({ ...opts, le }), epb({ le, ts, data: bytes(4, 0) }));
    const { records, report } = await readAll(tmp.file(`opt-${Math.random().toString(36).slice(2)}.pcapng`, file));
    expect(report.error).toBeNull();
    expect(records).toHaveLength(1);
    return records[0];
  }

  it('if_tsresol 10^-9', async () => {
    const r = await one({ opts: [tsresol(9)] }, 1700000000_123456789n);
    expect([r.sec, r.nsec]).toEqual([1700000000, 123456789]);
  });

  it('if_tsresol 10^-9 big-endian, near the end of 32-bit seconds', async () => {
    const r = await one({ opts: [tsresol(9)] }, 4294967295_999999999n, false);
    expect([r.sec, r.nsec]).toEqual([4294967295, 999999999]);
  });

  it('if_tsresol 2^-20', async () => {
    // half a second plus one unit (2^-20 s = 953.674... ns)
    const r = await one({ opts: [tsresol(20, true)] }, (1700000000n << 20n) + (1n << 19n) + 1n);
    expect([r.sec, r.nsec]).toEqual([1700000000, 500000953]);
  });

  it('if_tsresol 2^-32 (the fraction is the whole low word)', async () => {
    const r = await one({ opts: [tsresol(32, true)] }, (1700000000n << 32n) + 0xc0000000n);
    expect([r.sec, r.nsec]).toEqual([1700000000, 750000000]);
  });

  it('if_tsresol 10^-3 and 10^0', async () => {
    const ms = await one({ opts: [tsresol(3)] }, 1700000000_999n);
    expect([ms.sec, ms.nsec]).toEqual([1700000000, 999000000]);
    const s = await one({ opts: [tsresol(0)] }, 1700000000n);
    expect([s.sec, s.nsec]).toEqual([1700000000, 0]);
  });

  it('if_tsresol 10^-6 stated explicitly equals the default', async () => {
    const r = await one({ opts: [tsresol(6)] }, 1700000000_000007n);
    expect([r.sec, r.nsec]).toEqual([1700000000, 7000]);
  });

  it('if_tsoffset adds seconds (positive and negative, both byte orders)', async () => {
    const a = await one({ opts: [tsresol(9), tsoffset(1_000_000_000n)] }, 700000000_000000001n);
    expect([a.sec, a.nsec]).toEqual([1700000000, 1]);
    const b = await one({ opts: [tsoffset(-100n, false)] }, 1700000100_250000n, false);
    expect([b.sec, b.nsec]).toEqual([1700000000, 250000000]);
  });

  it('if_fcslen (in bits) puts the FCS length in bytes into the link word', async () => {
    const r = await one({ linktype: 1, opts: [{ code: OPT_IF_FCSLEN, value: [32] }] }, 0n);
    expect(r.link).toBe(0x00040001);
  });

  it('options after an unknown option are still read', async () => {
    const r = await one({ opts: [comment('eth0 with a long comment'), { code: 0x1234, value: bytes(5, 0) }, tsresol(9)] }, 1_000000001n);
    expect([r.sec, r.nsec]).toEqual([1, 1]);
  });
});

describe('packet blocks', () => {
  it('EPB, SPB and OPB', async () => {
    const file = cat(
      shb(), // 0
      idb({ linktype: 1, snaplen: 32 }), // 28
      epb({ ts: 2_000003n, data: bytes(10, 1), origlen: 60 }), // 48, data 76
      spb({ data: bytes(10, 2) }), // 92, data 104
      spb({ data: bytes(40, 3), origlen: 1500 }), // 120, data 132 (caplen capped by snaplen 32)
      opb({ ts: 3_000004n, data: bytes(9, 4), drops: 7 }), // 176, data 204
    );
    expect(file.length).toBe(176 + 44);
    const { report, records } = await readAll(tmp.file('blocks.pcapng', file));
    expect(report.records).toBe(4);
    expect(meta(records)).toEqual([
      { offset: 76, sec: 2, nsec: 3000, caplen: 10, origlen: 60, link: 1 },
      { offset: 104, sec: 0, nsec: 0, caplen: 10, origlen: 10, link: 1 },
      { offset: 132, sec: 0, nsec: 0, caplen: 32, origlen: 1500, link: 1 },
      { offset: 204, sec: 3, nsec: 4000, caplen: 9, origlen: 9, link: 1 },
    ]);
    expect(records[1].data).toEqual(bytes(10, 2));
    expect(records[2].data).toEqual(bytes(40, 3).subarray(0, 32));
    expect(records[3].data).toEqual(bytes(9, 4));
  });

  it('SPB without a snaplen: caplen is the padded data when origlen is larger', async () => {
    const file = cat(shb(), idb({ linktype: 101 }), spb({ data: bytes(10, 2), origlen: 1000 }));
    const { records } = await readAll(tmp.file('spb-nosnap.pcapng', file));
    expect(meta(records)).toEqual([{ offset: 60, sec: 0, nsec: 0, caplen: 12, origlen: 1000, link: 101 }]);
  });

  it('EPB with options after the data', async () => {
    const file = cat(shb(), idb(), epb({ data: bytes(5, 1), opts: [comment('hello'), { code: 2, value: [0, 0, 0, 1] }] }));
    const { records, report } = await readAll(tmp.file('epb-opts.pcapng', file));
    expect(report.error).toBeNull();
    expect(meta(records)).toEqual([{ offset: 76, sec: 0, nsec: 0, caplen: 5, origlen: 5, link: 1 }]);
  });
});

describe('skipped blocks', () => {
  const file = cat(
    shb(), // 0
    nrb(), // 28
    idb({ linktype: 1 }), // 64
    customBlock({ data: bytes(6, 0) }), // 84 (24 bytes)
    epb({ ts: 5_000000n, data: bytes(20, 1) }), // 108, data 136
    isb({ ts: 6_000000n }), // 160
    customBlock({ data: bytes(5000, 2), copy: false }), // 184, 12 + 4 + 5000 = 5016
    block(0x12345678, bytes(20, 3)), // 5200, unknown type, 32 bytes
    block(0x80000001, bytes(3, 3)), // 5232, local-use type, 16 bytes
    epb({ ts: 7_000000n, data: bytes(30, 2) }), // 5248, data 5276
  );

  it('NRB, ISB, custom and unknown blocks are skipped by their length', async () => {
    expect(file.length).toBe(5248 + 64);
    const { report, records } = await readAll(tmp.file('skip.pcapng', file));
    expect(report).toMatchObject({ records: 2, linktypes: [1], sections: 1, error: null, truncatedAt: null, bytesRead: 5312 });
    expect(meta(records)).toEqual([
      { offset: 136, sec: 5, nsec: 0, caplen: 20, origlen: 20, link: 1 },
      { offset: 5276, sec: 7, nsec: 0, caplen: 30, origlen: 30, link: 1 },
    ]);
    expect(records[1].data).toEqual(bytes(30, 2));
  });

  it('a skipped block larger than the read buffer is skipped across chunks', async () => {
    for (const cap of [256, 300, 1024, 4096]) {
      const { report, records } = await readAll(tmp.file(`skip-${cap}.pcapng`, file), { pool: new BufferPool(cap, 8) });
      expect(report.error, `buffer ${cap}`).toBeNull();
      expect(meta(records), `buffer ${cap}`).toEqual([
        { offset: 136, sec: 5, nsec: 0, caplen: 20, origlen: 20, link: 1 },
        { offset: 5276, sec: 7, nsec: 0, caplen: 30, origlen: 30, link: 1 },
      ]);
    }
  });

  it('a file cut inside a skipped block is truncated at that block', async () => {
    for (const cap of [256, 1 << 20]) {
      const { report, records } = await readAll(tmp.file(`skip-cut-${cap}.pcapng`, file.subarray(0, 3000)), { pool: new BufferPool(cap, 8) });
      expect(records).toHaveLength(1);
      expect(report.truncatedAt, `buffer ${cap}`).toBe(184);
      expect(report.error).toBeNull();
    }
  });

  it('a skipped block whose trailing length is wrong is caught whatever the buffer size, its trailer split or not', async () => {
    // the 5016-byte custom block at 184 gets a wrong trailing length
    const bad = Buffer.from(file);
    bad.writeUInt32LE(5012, 184 + 5016 - 4);
    const path = tmp.file('skip-bad-trailer.pcapng', bad);
    const want = `${path}: block length 5016 does not match its trailing copy at byte offset 184`;
    // 1 MiB holds the block whole; the others end a window before, inside and after the trailer
    for (const cap of [256, 300, 1024, 4096, 5198, 5199, 5200, 5201, 1 << 20]) {
      const { report } = await readAll(path, { pool: new BufferPool(cap, 8) });
      expect(report, `buffer ${cap}`).toMatchObject({ records: 1, error: want, truncatedAt: null });
    }
  });

  it('a file cut inside the trailer of a skipped block is truncated at that block', async () => {
    for (const cap of [256, 1 << 20]) {
      const { report } = await readAll(tmp.file(`skip-cut-trailer-${cap}.pcapng`, file.subarray(0, 5200 - 2)), { pool: new BufferPool(cap, 8) });
      expect(report, `buffer ${cap}`).toMatchObject({ records: 1, truncatedAt: 184, error: null, bytesRead: 5196 });
    }
  });

  it('a file cut inside a packet block is truncated at that block', async () => {
    const { report, records } = await readAll(tmp.file('epb-cut.pcapng', file.subarray(0, 5248 + 40)));
    expect(records).toHaveLength(1);
    expect(report.truncatedAt).toBe(5248);
    const r2 = await readAll(tmp.file('epb-cut2.pcapng', file.subarray(0, 5248 + 8)));
    expect(r2.report.truncatedAt).toBe(5248);
  });
});

describe('block length checks', () => {
  const head = cat(shb(), idb(), epb({ data: bytes(10, 1) }), epb({ data: bytes(12, 2) })); // 48 + 44 + 44 = 136

  async function bad(name: string, tail: Buffer): Promise<{ path: string; report: Awaited<ReturnType<typeof readAll>>['report']; records: Rec[] }> {
    expect(head.length).toBe(136);
    const path = tmp.file(name, cat(head, tail, epb({ data: bytes(4, 0) })));
    const { report, records } = await readAll(path);
    // the two packets framed before the corrupt block are kept
    expect(records.map((r) => r.offset)).toEqual([76, 120]);
    expect(report.records).toBe(2);
    expect(report.truncatedAt).toBeNull();
    return { path, report, records };
  }

  it('leading length different from the trailing one (packet block)', async () => {
    const { path, report } = await bad('trail-epb.pcapng', epb({ data: bytes(8, 0), trailer: 44 }));
    expect(report.error).toBe(`${path}: block length 40 does not match its trailing copy at byte offset 136`);
  });

  it('leading length different from the trailing one (skipped block)', async () => {
    const { path, report } = await bad('trail-nrb.pcapng', nrb({ trailer: 0 }));
    expect(report.error).toBe(`${path}: block length 36 does not match its trailing copy at byte offset 136`);
  });

  it('length not a multiple of 4', async () => {
    const { path, report } = await bad('odd.pcapng', epb({ data: bytes(8, 0), len: 41 }));
    expect(report.error).toBe(`${path}: block of type 0x6 has invalid length 41 at byte offset 136`);
  });

  it('length below the minimum of its type', async () => {
    const a = await bad('short-epb.pcapng', block(6, bytes(16, 0)));
    expect(a.report.error).toBe(`${a.path}: block of type 0x6 has invalid length 28 at byte offset 136`);
    const b = await bad('short-idb.pcapng', block(1, bytes(4, 0)));
    expect(b.report.error).toBe(`${b.path}: block of type 0x1 has invalid length 16 at byte offset 136`);
    const c = await bad('short-unknown.pcapng', cat([0x99, 0, 0, 0, 8, 0, 0, 0]));
    expect(c.report.error).toBe(`${c.path}: block of type 0x99 has invalid length 8 at byte offset 136`);
    const d = await bad('zero.pcapng', Buffer.alloc(16));
    expect(d.report.error).toBe(`${d.path}: block of type 0x0 has invalid length 0 at byte offset 136`);
  });

  it('packet data longer than its block', async () => {
    const { path, report } = await bad('epb-caplen.pcapng', epb({ data: bytes(8, 0), caplen: 9 }));
    expect(report.error).toBe(`${path}: packet block of 40 bytes is too short for 9 bytes of packet data at byte offset 136`);
  });

  it('caplen above 256 KiB', async () => {
    const { path, report } = await bad('epb-huge.pcapng', epb({ data: bytes(8, 0), caplen: MAX_CAPLEN + 1 }));
    expect(report.error).toBe(`${path}: corrupt record: caplen 262145 exceeds the 262144-byte bound at byte offset 136`);
  });

  it('a packet block claiming more than the parse bound', async () => {
    const { path, report } = await bad('epb-len.pcapng', cat(epb({ data: bytes(8, 0) }).subarray(0, 4), [0, 0, 0, 0x10]));
    expect(report.error).toBe(`${path}: block of type 0x6 claims 268435456 bytes at byte offset 136`);
  });

  it('undefined interface id (EPB and OPB)', async () => {
    const a = await bad('ifid.pcapng', epb({ ifId: 3, data: bytes(8, 0) }));
    expect(a.report.error).toBe(`${a.path}: packet block refers to undefined interface 3 at byte offset 136`);
    const b = await bad('ifid-opb.pcapng', opb({ ifId: 0xffff, data: bytes(8, 0) }));
    expect(b.report.error).toBe(`${b.path}: packet block refers to undefined interface 65535 at byte offset 136`);
  });

  it('SPB before any interface', async () => {
    const path = tmp.file('spb-noif.pcapng', cat(shb(), spb({ data: bytes(8, 0) })));
    const { report } = await readAll(path);
    expect(report.error).toBe(`${path}: simple packet block without an interface description at byte offset 28`);
  });

  it('a section header without the byte-order magic, or of another major version, is not readable', async () => {
    const noBom = shb();
    noBom.writeUInt32LE(0x11223344, 8);
    const p1 = tmp.file('nobom.pcapng', cat(noBom, idb()));
    expect((await captureError(readAll(p1))).message).toBe(`${p1}: section header block has no byte-order magic (found 0x11223344) at byte offset 8`);
    const p2 = tmp.file('v2.pcapng', cat(shb({ major: 2 }), idb()));
    expect((await captureError(readAll(p2))).message).toBe(`${p2}: unsupported pcapng version 2.0 at byte offset 12`);
  });

  it('a second section with a bad byte-order magic ends reading, keeping the first section', async () => {
    const noBom = shb();
    noBom.writeUInt32LE(0, 8);
    const { path } = await bad('nobom2.pcapng', noBom);
    const { report } = await readAll(path);
    expect(report.error).toBe(`${path}: section header block has no byte-order magic (found 0x0) at byte offset 144`);
  });

  it('a file holding only part of its section header is a CaptureError', async () => {
    const path = tmp.file('shb-cut.pcapng', shb().subarray(0, 20));
    const err = await captureError(readAll(path));
    expect(err.message).toBe(`${path}: truncated pcapng section header block: claims 28 bytes, the file ends after 20`);
  });
});

describe('a section header block that never completes', () => {
  // A section header with a long comment: larger than the small read buffers below.
  const big = shb({ opts: [comment('x'.repeat(8000))] });
  const rest = cat(idb(), epb({ data: bytes(60, 1) }));

  it('is reported with its claimed length and where the data ends, whatever the buffer size, from a file or stdin', async () => {
    expect(big.length).toBe(8036);
    for (const cut of [12, 27, 500, 8035]) {
      const data = big.subarray(0, cut);
      const path = tmp.file(`shb-cut-${cut}.pcapng`, data);
      const want = `truncated pcapng section header block: claims 8036 bytes, the file ends after ${cut}`;
      for (const cap of [512, 4096, 8192, 1 << 20]) {
        const pool = () => new BufferPool(cap, 8);
        expect((await captureError(readAll(path, { pool: pool() }))).message, `buffer ${cap}, cut at ${cut}`).toBe(`${path}: ${want}`);
        const stdin = Readable.from([data.subarray(0, 7), data.subarray(7, 3000), data.subarray(3000)].filter((c) => c.length > 0));
        expect((await captureError(readAll('-', { pool: pool(), stdin }))).message, `buffer ${cap}, cut at ${cut}, stdin`).toBe(`stdin: ${want}`);
      }
    }
  });

  it('fewer than 12 bytes do not tell its length', async () => {
    const path = tmp.file('shb-8.pcapng', big.subarray(0, 8));
    for (const cap of [512, 1 << 20]) {
      const err = await captureError(readAll(path, { pool: new BufferPool(cap, 8) }));
      expect(err.message).toBe(`${path}: truncated pcapng section header block: the file ends after 8 bytes, before its length can be read`);
    }
  });

  it('a complete one larger than the read buffer cannot be framed with it; a large buffer reads the file', async () => {
    const path = tmp.file('shb-big.pcapng', cat(big, rest));
    const err = await captureError(readAll(path, { pool: new BufferPool(4096, 8) }));
    expect(err.message).toBe(`${path}: record at byte offset 0 is larger than the 4096-byte read buffer`);
    const { report } = await readAll(path);
    expect(report).toMatchObject({ records: 1, error: null, truncatedAt: null, sections: 1 });
  });

  it('a packet block larger than the read buffer but cut by the end of the file is truncated, as with a large buffer', async () => {
    const head = cat(shb(), idb(), epb({ data: bytes(20, 2) }));
    const path = tmp.file('epb-big-cut.pcapng', cat(head, epb({ data: bytes(3000, 3) }).subarray(0, 2000)));
    const ref = await readAll(path);
    expect(ref.report.truncatedAt).toBe(head.length);
    for (const cap of [512, 1024]) {
      const { report, records } = await readAll(path, { pool: new BufferPool(cap, 8) });
      expect(records, `buffer ${cap}`).toHaveLength(1);
      expect(report, `buffer ${cap}`).toEqual(ref.report);
    }
  });
});

describe('blocks split across read-buffer boundaries', () => {
  const sizes = [0, 1, 2, 3, 4, 5, 13, 14, 31, 60, 64, 97, 128];
  const blocks: Buffer[] = [shb({ opts: [comment('split test')] }), idb({ linktype: 1, opts: [tsresol(9)] }), idb({ linktype: 113, snaplen: 50 })];
  sizes.forEach((n, i) => {
    blocks.push(epb({ ifId: i % 2, ts: BigInt(1600000000 + i) * 1_000_000_000n + BigInt(i * 1001), data: bytes(n, i), origlen: n + 3 }));
    if (i % 3 === 0) blocks.push(spb({ data: bytes(n, i + 50) }));
    if (i % 4 === 1) blocks.push(nrb());
    if (i % 5 === 2) blocks.push(opb({ ifId: 1, ts: BigInt(i), data: bytes(n, i + 9) }));
    if (i === 6) blocks.push(customBlock({ data: bytes(700, 1) }));
  });
  blocks.push(shb({ le: false }), idb({ le: false, linktype: 101 }), isb({ le: false }), epb({ le: false, data: bytes(33, 5), ts: 99n }));
  const file = cat(...blocks);
  const maxParsed = Math.max(...blocks.filter((b) => b.readUInt32LE(0) !== 0x00000bad && b.readUInt32LE(0) !== 4).map((b) => b.length));

  const strip = (rs: Rec[]) => rs.map((r) => ({ ...r, data: r.data.toString('hex') }));

  async function sweep(name: string, content: Buffer, recsPerBatch: number[]): Promise<Awaited<ReturnType<typeof readAll>>> {
    const path = tmp.file(name, content);
    const ref = await readAll(path, { pool: new BufferPool(1 << 20, 4096) });
    let reads = 0;
    for (const maxRecs of recsPerBatch) {
      for (let cap = maxParsed; cap <= content.length + 1; cap++) {
        const got = await readAll(path, { pool: new BufferPool(cap, maxRecs) });
        reads++;
        expect(strip(got.records), `buffer ${cap}, ${maxRecs} records per batch`).toEqual(strip(ref.records));
        expect(got.report, `buffer ${cap}, ${maxRecs} records per batch`).toEqual(ref.report);
      }
    }
    expect(reads).toBeGreaterThan(1000 * recsPerBatch.length);
    return ref;
  }

  it('give the same record stream as one big buffer, for every buffer size', async () => {
    const ref = await sweep('split.pcapng', file, [4096, 1]);
    expect(ref.records).toHaveLength(sizes.length + 5 + 3 + 1);
    expect(ref.report).toMatchObject({ error: null, truncatedAt: null, sections: 2, linktypes: [1, 113, 101] });
  });

  it('the same for a file cut inside its last block', async () => {
    const ref = await sweep('split-cut.pcapng', file.subarray(0, file.length - 30), [4096]);
    expect(ref.report.truncatedAt).toBe(file.length - (12 + 20 + 36));
  });
});
