// Classic pcap framing: magics and byte orders, the link-type field's FCS bits, the
// version check, corrupt and truncated records, non-captures, and records split across
// read-buffer boundaries at every position.
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import { MAX_CAPLEN } from '../../src/capture/records.js';
import { CaptureError } from '../../src/errors.js';
import { cat, pcap, pcapHeader, pcapRecord, readAll, tempDir, type PcapRecord, type Rec } from '../helpers/build.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

async function captureError(p: Promise<unknown>): Promise<CaptureError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureError);
    return err as CaptureError;
  }
  throw new Error('expected a CaptureError');
}

describe('pcap magics and byte orders', () => {
  const usecRecs: PcapRecord[] = [
    { sec: 1700000000, frac: 123456, data: bytes(60, 1) },
    { sec: 1700000001, frac: 999999, data: bytes(14, 2), origlen: 1514 },
    { sec: 0xfffffffe, frac: 0, data: Buffer.alloc(0) },
  ];
  const nsecRecs: PcapRecord[] = [
    { sec: 1700000000, frac: 123456789, data: bytes(60, 1) },
    { sec: 1700000001, frac: 999999999, data: bytes(14, 2), origlen: 1514 },
    { sec: 0xfffffffe, frac: 1, data: Buffer.alloc(0) },
  ];

  for (const nsec of [false, true]) {
    for (const le of [true, false]) {
      it(`${nsec ? 'nanosecond' : 'microsecond'} ${le ? 'little' : 'big'}-endian`, async () => {
        const file = pcap(nsec ? nsecRecs : usecRecs, { nsec, le, linktype: 113, snaplen: 262144 });
        // the magic as it lies in the file
        expect(file.subarray(0, 4).toString('hex')).toBe(
          nsec ? (le ? '4d3cb2a1' : 'a1b23c4d') : le ? 'd4c3b2a1' : 'a1b2c3d4',
        );
        const { report, records } = await readAll(tmp.file(`m-${nsec}-${le}.pcap`, file));
        expect(report).toMatchObject({
          format: 'pcap',
          gzip: false,
          records: 3,
          bytesRead: 24 + 16 + 60 + 16 + 14 + 16,
          linktypes: [113],
          snaplen: 262144,
          truncatedAt: null,
          error: null,
          warnings: [],
        });
        expect(records.map(({ data: _d, ...r }) => r)).toEqual([
          { offset: 40, sec: 1700000000, nsec: nsec ? 123456789 : 123456000, caplen: 60, origlen: 60, link: 113 },
          { offset: 116, sec: 1700000001, nsec: nsec ? 999999999 : 999999000, caplen: 14, origlen: 1514, link: 113 },
          { offset: 146, sec: 0xfffffffe, nsec: nsec ? 1 : 0, caplen: 0, origlen: 0, link: 113 },
        ]);
        expect(records[0].data).toEqual(bytes(60, 1));
        expect(records[1].data).toEqual(bytes(14, 2));
      });
    }
  }

  it("Kuznetzov's patched format (a1b2cd34, 24-byte record headers)", async () => {
    const file = pcap(usecRecs.slice(0, 2), { kuznetzov: true, le: true });
    const { report, records } = await readAll(tmp.file('kuz.pcap', file));
    expect(report.records).toBe(2);
    expect(report.bytesRead).toBe(24 + 24 + 60 + 24 + 14);
    expect(records.map((r) => [r.offset, r.sec, r.nsec, r.caplen, r.origlen])).toEqual([
      [48, 1700000000, 123456000, 60, 60],
      [132, 1700000001, 999999000, 14, 1514],
    ]);
    expect(records[1].data).toEqual(bytes(14, 2));
  });

  it('a fraction of a second or more (invalid) is carried into the seconds, not wrapped', async () => {
    const usec = pcap(
      [
        { sec: 100, frac: 1_000_000, data: [] },
        { sec: 100, frac: 2147483648, data: [] }, // 2147 s + 483648 us (timestamp_invalid_micro.pcap)
        { sec: 0xffffffff, frac: 1_500_000, data: [] }, // seconds wrap like any uint32 field
      ],
      { le: false },
    );
    const u = await readAll(tmp.file('bad-usec.pcap', usec));
    expect(u.records.map((r) => [r.sec, r.nsec])).toEqual([
      [101, 0],
      [2247, 483648000],
      [0, 500000000],
    ]);
    const nsec = pcap([{ sec: 7, frac: 4_294_967_295, data: [] }], { nsec: true });
    const n = await readAll(tmp.file('bad-nsec.pcap', nsec));
    expect(n.records.map((r) => [r.sec, r.nsec])).toEqual([[11, 294967295]]);
  });

  it('a header with no records is an empty capture, not an error', async () => {
    const { report, records } = await readAll(tmp.file('hdr-only.pcap', pcapHeader({ linktype: 101 })));
    expect(records).toEqual([]);
    expect(report).toMatchObject({ records: 0, bytesRead: 24, linktypes: [101], truncatedAt: null, error: null });
  });
});

describe('pcap link-type field', () => {
  const rec: PcapRecord = { sec: 1, frac: 2, data: bytes(64, 3) };
  // The field, from its most significant bit: FCS len (4 bits, 16-bit words), R, P (FCS
  // len is valid), 10 reserved bits, then the LINKTYPE (libpcap's LT_FCS_LENGTH_PRESENT is
  // 0x04000000 and LT_FCS_LENGTH is bits 28-31).
  const cases: [string, number, number, number][] = [
    // name, raw 32-bit field, LINKTYPE, link word (FCS bytes << 16 | LINKTYPE)
    ['no FCS bits', 0x00000001, 1, 0x00000001],
    ['P bit with FCS len 2 words = 4-byte FCS', 0x24000001, 1, 0x00040001],
    ['P bit with FCS len 1 word = 2 bytes', 0x14000001, 1, 0x00020001],
    ['P bit with FCS len 15 words = 30 bytes', 0xf4000001, 1, 0x001e0001],
    ['FCS len without the P bit is ignored (juniper_es_oobr.pcap: 0x30000084)', 0x30000084, 0x84, 0x00000084],
    ['P bit with FCS len 0', 0x04000069, 0x69, 0x00000069],
    ['the R bit and reserved bits 16-25 are not part of the link type', 0x0bff0114, 0x114, 0x00000114],
  ];
  for (const [name, field, linktype, word] of cases) {
    for (const le of [true, false]) {
      it(`${name} (${le ? 'LE' : 'BE'})`, async () => {
        const { report, records } = await readAll(tmp.file(`lt-${field}-${le}.pcap`, pcap([rec], { linkField: field, le })));
        expect(report.linktypes).toEqual([linktype]);
        expect(records.map((r) => r.link)).toEqual([word]);
      });
    }
  }

  it('fcsBytes builder option sets the same field', () => {
    expect(pcapHeader({ linktype: 1, fcsBytes: 4 }).readUInt32LE(20)).toBe(0x24000001);
  });
});

describe('pcap header errors', () => {
  it('major version other than 2 is rejected with the offset of the version field', async () => {
    const path = tmp.file('v1.pcap', pcap([{ sec: 1, frac: 0, data: bytes(20, 0) }], { major: 1, minor: 0 }));
    const err = await captureError(readAll(path));
    expect(err.code).toBe('FORMAT');
    expect(err.message).toBe(`${path}: unsupported pcap version 1.0 (expected 2.x) at byte offset 4`);
    expect(err.offset).toBe(4);
  });

  it('major version 3 big-endian is rejected too; minor versions are not checked', async () => {
    const bad = tmp.file('v3.pcap', pcap([], { major: 3, minor: 4, le: false }));
    expect((await captureError(readAll(bad))).message).toContain('unsupported pcap version 3.4');
    const ok = await readAll(tmp.file('v2.2.pcap', pcap([{ sec: 5, frac: 6, data: bytes(8, 0) }], { minor: 2 })));
    expect(ok.report.records).toBe(1);
  });

  it('a header cut short is a CaptureError naming its length and where the file ends', async () => {
    const path = tmp.file('short-hdr.pcap', pcapHeader().subarray(0, 10));
    const err = await captureError(readAll(path));
    expect(err.code).toBe('FORMAT');
    expect(err.message).toBe(`${path}: truncated pcap file header: needs 24 bytes, the file ends after 10`);
    const path23 = tmp.file('short-hdr23.pcap', pcapHeader({ le: false }).subarray(0, 23));
    expect((await captureError(readAll(path23))).message).toBe(`${path23}: truncated pcap file header: needs 24 bytes, the file ends after 23`);
  });

  it('the cut header is reported alike whatever the read buffer size, from a file or stdin', async () => {
    for (const len of [4, 17, 23]) {
      const cut = pcapHeader().subarray(0, len);
      const path = tmp.file(`short-hdr-${len}.pcap`, cut);
      for (const cap of [24, 64, 512, 1 << 20]) {
        const fromFile = await captureError(readAll(path, { pool: new BufferPool(cap, 4) }));
        expect(fromFile.message, `buffer ${cap}`).toBe(`${path}: truncated pcap file header: needs 24 bytes, the file ends after ${len}`);
        const fromStdin = await captureError(readAll('-', { pool: new BufferPool(cap, 4), stdin: Readable.from([cut.subarray(0, 3), cut.subarray(3)]) }));
        expect(fromStdin.message, `buffer ${cap}`).toBe(`stdin: truncated pcap file header: needs 24 bytes, the file ends after ${len}`);
      }
    }
  });

  it('fewer than four bytes cannot be recognised', async () => {
    const path = tmp.file('3bytes.pcap', pcapHeader().subarray(0, 3));
    expect((await captureError(readAll(path))).message).toBe(`${path}: not a pcap or pcapng file (starts with d4 c3 b2)`);
  });

  it('a text file is not a capture', async () => {
    const path = tmp.file('page.pcap', '<!DOCTYPE html>\n<html><body>Not Found</body></html>\n');
    const err = await captureError(readAll(path));
    expect(err.code).toBe('FORMAT');
    expect(err.message).toBe(`${path}: not a pcap or pcapng file (starts with 3c 21 44 4f)`);
  });

  it('an empty file is a CaptureError', async () => {
    const path = tmp.file('empty.pcap', Buffer.alloc(0));
    const err = await captureError(readAll(path));
    expect(err.code).toBe('FORMAT');
    expect(err.message).toBe(`${path}: empty file, not a pcap or pcapng file`);
  });
});

describe('pcap record errors', () => {
  const good: PcapRecord[] = [
    { sec: 10, frac: 1, data: bytes(40, 1) },
    { sec: 11, frac: 2, data: bytes(41, 2) },
  ];
  // header 24, rec0 16+40 at 24, rec1 16+41 at 80, next record at 137
  const badAt = 24 + 56 + 57;

  for (const le of [true, false]) {
    it(`caplen above 256 KiB ends reading with an error naming the offset; records before it are kept (${le ? 'LE' : 'BE'})`, async () => {
      const file = cat(
        pcapHeader({ le }),
        pcapRecord(good[0], { le }),
        pcapRecord(good[1], { le }),
        pcapRecord({ sec: 12, frac: 3, data: bytes(100, 3), caplen: MAX_CAPLEN + 1 }, { le }),
        pcapRecord({ sec: 13, frac: 4, data: bytes(10, 4) }, { le }),
      );
      const path = tmp.file(`huge-${le}.pcap`, file);
      const { report, records } = await readAll(path);
      expect(report.error).toBe(`${path}: corrupt record: caplen 262145 exceeds the 262144-byte bound at byte offset ${badAt}`);
      expect(report.records).toBe(2);
      expect(report.truncatedAt).toBeNull();
      expect(records.map((r) => [r.offset, r.sec, r.nsec, r.caplen])).toEqual([
        [40, 10, 1000, 40],
        [96, 11, 2000, 41],
      ]);
      expect(records[1].data).toEqual(bytes(41, 2));
    });
  }

  it('caplen 0xffffffff on the first record: no records, error at offset 24', async () => {
    const path = tmp.file('ffff.pcap', cat(pcapHeader(), pcapRecord({ sec: 1, frac: 0, data: bytes(4, 0), caplen: 0xffffffff })));
    const { report } = await readAll(path);
    expect(report.records).toBe(0);
    expect(report.error).toBe(`${path}: corrupt record: caplen 4294967295 exceeds the 262144-byte bound at byte offset 24`);
  });

  it('caplen of exactly 256 KiB is accepted', async () => {
    const big = bytes(MAX_CAPLEN, 9);
    const { report, records } = await readAll(tmp.file('max.pcap', pcap([{ sec: 1, frac: 0, data: big }], { snaplen: MAX_CAPLEN })));
    expect(report.error).toBeNull();
    expect(records).toHaveLength(1);
    expect(records[0].caplen).toBe(MAX_CAPLEN);
    expect(records[0].data.equals(big)).toBe(true);
  });

  it('caplen above the snaplen is kept with a warning naming the offset', async () => {
    const file = pcap(
      [
        { sec: 1, frac: 0, data: bytes(64, 0) },
        { sec: 2, frac: 0, data: bytes(100, 0) },
        { sec: 3, frac: 0, data: bytes(65, 0) },
      ],
      { snaplen: 64 },
    );
    const { report, records } = await readAll(tmp.file('snap.pcap', file));
    expect(report.records).toBe(3);
    expect(records.map((r) => r.caplen)).toEqual([64, 100, 65]);
    expect(report.warnings).toEqual([
      "record at byte offset 104 has caplen 100 above the file's snaplen 64",
      "record at byte offset 220 has caplen 65 above the file's snaplen 64",
    ]);
    expect(report.warningsSuppressed).toBe(0);
  });

  it('warnings beyond 20 are counted, not kept', async () => {
    const recs = Array.from({ length: 25 }, (_, i) => ({ sec: i, frac: 0, data: bytes(10, i) }));
    const { report } = await readAll(tmp.file('many-warn.pcap', pcap(recs, { snaplen: 4 })));
    expect(report.warnings).toHaveLength(20);
    expect(report.warnings[0]).toBe("record at byte offset 24 has caplen 10 above the file's snaplen 4");
    expect(report.warningsSuppressed).toBe(5);
  });

  describe('a truncated file keeps every complete record and names the cut record', () => {
    const file = pcap([...good, { sec: 12, frac: 3, data: bytes(30, 3) }]);
    // records at 24, 80, 137; the file ends at 137 + 16 + 30 = 183
    expect(file.length).toBe(183);
    const cuts: [string, number, number, number | null][] = [
      // name, file length, complete records, truncatedAt
      ['inside the last record data', 182, 2, 137],
      ['right after the last record header', 153, 2, 137],
      ['inside the last record header', 140, 2, 137],
      ['after one byte of a record header', 138, 2, 137],
      ['inside the first record data', 60, 0, 24],
      ['exactly between two records', 137, 2, null],
      ['inside the second record', 100, 1, 80],
    ];
    for (const [name, len, n, at] of cuts) {
      it(name, async () => {
        const { report, records } = await readAll(tmp.file(`cut-${len}.pcap`, file.subarray(0, len)));
        expect(report.records).toBe(n);
        expect(records).toHaveLength(n);
        expect(report.truncatedAt).toBe(at);
        expect(report.error).toBeNull();
        expect(report.bytesRead).toBe(at ?? len);
      });
    }
  });
});

describe('records split across read-buffer boundaries', () => {
  // Varied sizes: empty, tiny, odd, and up to 120 bytes, so the sweep below puts a buffer
  // boundary at the start, inside the header, at the header/data seam, inside the data and
  // at the end of records, and between two records.
  const sizes = [0, 1, 2, 3, 7, 14, 15, 16, 17, 31, 60, 64, 99, 120, 5, 0, 42, 118, 1, 77];
  const recs: PcapRecord[] = sizes.map((n, i) => ({ sec: 1600000000 + i, frac: i * 1111, data: bytes(n, i), origlen: n + i }));
  const file = pcap(recs, { linktype: 1 });
  const maxRecLen = 16 + Math.max(...sizes);

  const strip = (rs: Rec[]) => rs.map((r) => ({ ...r, data: r.data.toString('hex') }));

  async function sweep(name: string, content: Buffer, recordsPerBatch: number[]): Promise<void> {
    const path = tmp.file(name, content);
    const ref = await readAll(path, { pool: new BufferPool(1 << 20, 4096) });
    const refRecs = strip(ref.records);
    let reads = 0;
    for (const maxRecs of recordsPerBatch) {
      for (let cap = Math.max(24, maxRecLen); cap <= content.length + 1; cap++) {
        const got = await readAll(path, { pool: new BufferPool(cap, maxRecs) });
        reads++;
        expect(strip(got.records), `buffer ${cap}, ${maxRecs} records per batch`).toEqual(refRecs);
        expect(got.report).toEqual(ref.report);
      }
    }
    expect(reads).toBeGreaterThan(100);
  }

  it('gives the same record stream as one big buffer, for every buffer size', async () => {
    expect(file.length).toBe(24 + sizes.length * 16 + sizes.reduce((a, b) => a + b, 0));
    await sweep('split.pcap', file, [4096, 1, 3]);
  });

  it('the same for a big-endian nanosecond file', async () => {
    await sweep('split-be.pcap', pcap(recs, { nsec: true, le: false, linktype: 101 }), [4096, 2]);
  });

  it('the same for a truncated file (truncatedAt is found across boundaries)', async () => {
    await sweep('split-cut.pcap', file.subarray(0, file.length - 50), [4096, 1]);
  });

  it('a record larger than the read buffer but cut by the end of the file is truncated, as with a large buffer', async () => {
    const full = pcap([{ sec: 1, frac: 0, data: bytes(10, 0) }, { sec: 2, frac: 0, data: bytes(200, 0) }]);
    for (const cut of [60, 150, full.length - 1]) {
      const path = tmp.file(`too-big-cut-${cut}.pcap`, full.subarray(0, cut));
      const big = await readAll(path);
      expect(big.report.truncatedAt).toBe(50);
      for (const cap of [64, 128]) {
        const { report, records } = await readAll(path, { pool: new BufferPool(cap, 16) });
        expect(records, `buffer ${cap}, cut at ${cut}`).toHaveLength(1);
        expect(report, `buffer ${cap}, cut at ${cut}`).toEqual(big.report);
      }
    }
  });

  it('a record larger than the read buffer ends reading with an error', async () => {
    const path = tmp.file('too-big.pcap', pcap([{ sec: 1, frac: 0, data: bytes(10, 0) }, { sec: 2, frac: 0, data: bytes(200, 0) }]));
    const { report, records } = await readAll(path, { pool: new BufferPool(128, 16) });
    expect(records).toHaveLength(1);
    expect(report.error).toBe(`${path}: record at byte offset 50 is larger than the 128-byte read buffer`);
  });

  it('a batch index that fills up hands over full batches and keeps file offsets right', async () => {
    const path = tmp.file('idx.pcap', file);
    const got = await readAll(path, { pool: new BufferPool(1 << 16, 1) });
    expect(got.batches).toBe(recs.length);
    let off = 24;
    for (let i = 0; i < recs.length; i++) {
      expect(got.records[i].offset).toBe(off + 16);
      off += 16 + sizes[i];
    }
  });

  it('seqBase and fileIndex are passed through to batches', async () => {
    const path = tmp.file('seq.pcap', file);
    const pool = new BufferPool(256, 4);
    const seen: [number, number, number][] = [];
    const report = await readCapture(path, {
      fileIndex: 7,
      seqBase: 1000,
      pool,
      submit(b) {
        seen.push([b.fileIndex, b.seqBase, b.count]);
        pool.release(b);
      },
    });
    expect(report.records).toBe(recs.length);
    let seq = 1000;
    for (const [fi, base, count] of seen) {
      expect(fi).toBe(7);
      expect(base).toBe(seq);
      seq += count;
    }
    expect(seq).toBe(1000 + recs.length);
  });
});
