// The -W writer: every write() reaches the file at once (a killed capture keeps its packets),
// and what it writes reads back as the same records.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { batchOf, ip4, readAll } from '../helpers/build.js';

const dir = mkdtempSync(join(tmpdir(), 'pantap-pcapng-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PcapngWriter', () => {
  it('each write() is on disk before close(), and the file reads back', async () => {
    const file = join(dir, 'w.pcapng');
    const w = new PcapngWriter(file, 101, 262144);
    const headers = readFileSync(file).length;
    expect(headers).toBe(60); // SHB + IDB
    const frame = (i: number) => Buffer.concat([Buffer.from([0x45, 0, 0, 28, 0, i, 0, 0, 64, 17, 0, 0]), ip4('10.0.0.1'), ip4('10.0.0.2'), Buffer.alloc(8)]);
    w.write(batchOf([{ frame: frame(1), tsUs: 1_700_000_000_000_001 }, { frame: frame(2), tsUs: 1_700_000_000_000_002 }]));
    // 2 EPBs of 32 + 28 bytes, without flush() or close().
    expect(readFileSync(file).length).toBe(headers + 2 * 60);
    w.write(batchOf([{ frame: frame(3), tsUs: 1_700_000_000_500_000 }]));
    expect(readFileSync(file).length).toBe(headers + 3 * 60);
    w.close();
    const { records } = await readAll(file);
    expect(records.map((r) => [r.sec, r.nsec, r.data.equals(frame(r.data[5]))])).toEqual([
      [1_700_000_000, 1000, true],
      [1_700_000_000, 2000, true],
      [1_700_000_000, 500_000_000, true],
    ]);
  });
});
