// The -W writer: every write() reaches the file at once (a killed capture keeps its packets),
// and what it writes reads back as the same records; a failed write is an OUTPUT error.
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { CaptureError } from '../../src/errors.js';
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

describe('PcapngWriter failures', () => {
  const frame = Buffer.concat([Buffer.from([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0]), ip4('10.0.0.1'), ip4('10.0.0.2'), Buffer.alloc(8)]);
  /** Descriptors of this process open on `path`. */
  const openOn = (path: string): string[] =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });

  it('a write that fails (ENOSPC) is one OUTPUT error naming the file, and nothing is left open', () => {
    let err: unknown = null;
    try {
      new PcapngWriter('/dev/full', 1, 262144);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).code).toBe('OUTPUT');
    expect((err as CaptureError).message).toBe('/dev/full: cannot write packets (ENOSPC)');
    expect(openOn('/dev/full')).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('a full filesystem during a capture: OUTPUT error from write(), then close() and abandon() do not throw and close the file (root: tmpfs)', (ctx) => {
    const d = join(dir, 'small');
    mkdirSync(d);
    const mnt = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d], { encoding: 'utf8' });
    if (mnt.status !== 0) ctx.skip(`cannot mount a small tmpfs: ${mnt.stderr.trim() || mnt.error?.message}`);
    try {
      const file = join(d, 'c.pcapng');
      const w = new PcapngWriter(file, 1, 262144);
      let err: unknown = null;
      for (let i = 0; i < 10_000 && err === null; i++) {
        try {
          w.write(batchOf(Array.from({ length: 16 }, () => ({ frame: Buffer.concat([frame, Buffer.alloc(1400)]) }))));
        } catch (e) {
          err = e;
        }
      }
      expect(err).toBeInstanceOf(CaptureError);
      expect((err as CaptureError).message).toBe(`${file}: cannot write packets (ENOSPC)`);
      expect(() => w.close()).not.toThrow();
      expect(() => w.abandon()).not.toThrow();
      expect(openOn(file)).toEqual([]);
    } finally {
      // Lazily if a descriptor is still open on it (the failure this test looks for).
      if (spawnSync('umount', [d]).status !== 0) spawnSync('umount', ['-l', d]);
    }
  });

  it('writes to a descriptor it is given, and leaves it open when told to', () => {
    const file = join(dir, 'fd.pcapng');
    const fd = openSync(file, 'w');
    const w = new PcapngWriter(file, 1, 262144, { fd, closeFd: false });
    w.write(batchOf([{ frame }]));
    w.close();
    expect(() => fstatSync(fd)).not.toThrow();
    closeSync(fd);
    expect(readFileSync(file).length).toBe(60 + 60);
  });
});
