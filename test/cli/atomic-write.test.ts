// The summary (-o) replaces a regular file atomically (temporary file, fsync, rename) and
// keeps its mode and owner; special files are written in place (a FIFO once its reader is
// there), inherited descriptors (/dev/stdout, /dev/fd/N) through themselves; a failed or
// killed write leaves the old summary whole.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeOutput, writeOutputFile } from '../../src/cli/atomic-write.js';
import { CaptureError } from '../../src/errors.js';
import { REPO } from '../helpers/shared.js';
import { accountOf } from '../helpers/users.js';

const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), 'pantap-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const folder = (): string => {
  const d = join(dir, `t${n++}`);
  mkdirSync(d);
  return d;
};
/** A temporary file of ours, left behind for `name`. */
const strayTemp = (name: string) => new RegExp(`^\\.${name.replace('.', '\\.')}\\.pantap-\\d+-[0-9a-f]+\\.tmp$`);

describe('writeOutputFile', () => {
  it('creates a new file and leaves no temporary file', () => {
    const d = folder();
    writeOutputFile(join(d, 's.json'), '{"a":1}\n');
    expect(readFileSync(join(d, 's.json'), 'utf8')).toBe('{"a":1}\n');
    expect(readdirSync(d)).toEqual(['s.json']);
  });

  it('writes a rendering in chunks (the JSON summary) as their concatenation', () => {
    const d = folder();
    writeOutputFile(join(d, 's.json'), { chunks: [Buffer.from('{"a":'), Buffer.from('1}'), Buffer.from('\n')] });
    expect(readFileSync(join(d, 's.json'), 'utf8')).toBe('{"a":1}\n');
    writeOutputFile('/dev/null', { chunks: [Buffer.from('x')] });
  });

  it('replaces an existing file by rename (a new inode), keeping its mode', () => {
    const d = folder();
    const p = join(d, 's.json');
    writeFileSync(p, 'old');
    chmodSync(p, 0o640);
    const before = statSync(p).ino;
    writeOutputFile(p, Buffer.from('new'));
    const st = statSync(p);
    expect(readFileSync(p, 'utf8')).toBe('new');
    expect(st.mode & 0o7777).toBe(0o640);
    // A new inode proves the old file was not truncated in place.
    expect(st.ino).not.toBe(before);
    expect(readdirSync(d)).toEqual(['s.json']);
  });

  it.skipIf(!isRoot)('as root, keeps the owner of the file it replaces', () => {
    const nobody = accountOf('nobody');
    if (nobody === null) throw new Error('no user nobody');
    const p = join(folder(), 's.json');
    writeFileSync(p, 'old');
    chownSync(p, nobody.uid, nobody.gid);
    writeOutputFile(p, 'new');
    expect(statSync(p)).toMatchObject({ uid: nobody.uid, gid: nobody.gid });
  });

  it('writes through a symbolic link: the link stays, its target is replaced', () => {
    const d = folder();
    writeFileSync(join(d, 'real.json'), 'old');
    symlinkSync('real.json', join(d, 'link.json'));
    writeOutputFile(join(d, 'link.json'), 'new');
    expect(lstatSync(join(d, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(d, 'link.json'))).toBe('real.json');
    expect(readFileSync(join(d, 'real.json'), 'utf8')).toBe('new');
    expect(readdirSync(d).sort()).toEqual(['link.json', 'real.json']);
  });

  it('writes /dev/null directly (it stays a character device)', () => {
    writeOutputFile('/dev/null', 'discarded');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(readdirSync('/dev').filter((f) => f.includes('pantap'))).toEqual([]);
  });

  it('writes /dev/fd/N and /proc/self/fd/N through the descriptor: at its offset, never reopened (O_TRUNC) nor renamed over', () => {
    const d = folder();
    const p = join(d, 'log.txt');
    writeFileSync(p, 'old\n');
    const ino = statSync(p).ino;
    const fd = openSync(p, 'a');
    try {
      writeOutputFile(`/dev/fd/${fd}`, 'new\n');
      writeOutputFile(`/proc/self/fd/${fd}`, Buffer.from('more\n'));
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(p, 'utf8')).toBe('old\nnew\nmore\n');
    expect(statSync(p).ino).toBe(ino);
    expect(readdirSync(d)).toEqual(['log.txt']);
  });

  it('writeOutput: a FIFO waits for its reader without blocking the thread; an abort ends the wait, nothing written', async () => {
    const d = folder();
    const fifo = join(d, 's.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const ac = new AbortController();
    let settled = false;
    const p = writeOutput(fifo, 'never read', ac.signal).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100)); // a timer still fires: the thread is free
    expect(settled).toBe(false);
    ac.abort('SIGINT');
    expect(await p).toBe(false);

    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (b: Buffer) => (got += b.toString()));
    const ended = new Promise((r) => reader.on('close', r));
    expect(await writeOutput(fifo, 'summary\n', new AbortController().signal)).toBe(true);
    await ended;
    expect(got).toBe('summary\n');
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('a missing folder is an OUTPUT error', () => {
    const p = join(dir, 'nope', 's.json');
    expect(() => writeOutputFile(p, 'x')).toThrow(CaptureError);
    expect(() => writeOutputFile(p, 'x')).toThrow(`${p}: cannot write: folder ${join(dir, 'nope')} does not exist`);
  });

  it.skipIf(!isRoot)('a write that fails half-way (full filesystem) keeps the old file and removes the temporary one', (ctx) => {
    const d = folder();
    const mnt = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d], { encoding: 'utf8' });
    if (mnt.status !== 0) ctx.skip(`cannot mount a small tmpfs: ${mnt.stderr.trim() || mnt.error?.message}`);
    try {
      const p = join(d, 's.json');
      writeFileSync(p, 'old summary');
      let err: unknown = null;
      try {
        writeOutputFile(p, Buffer.alloc(1 << 20, 0x61));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CaptureError);
      expect((err as CaptureError).message).toBe(`${p}: cannot write output (ENOSPC)`);
      expect(readFileSync(p, 'utf8')).toBe('old summary');
      expect(readdirSync(d)).toEqual(['s.json']);
    } finally {
      spawnSync('umount', [d]);
    }
  });

  it('SIGKILL during the write of a large summary leaves the old file intact', async () => {
    const d = folder();
    const p = join(d, 's.json');
    writeFileSync(p, 'old summary\n');
    const mod = resolve(REPO, 'dist/cli/atomic-write.js');
    expect(existsSync(mod), `${mod} missing: run npm run build`).toBe(true);
    // 512 MiB take a second or more to write and fsync: ample time to see the temporary file.
    const script = `import { writeOutputFile } from ${JSON.stringify(mod)};
writeOutputFile(${JSON.stringify(p)}, Buffer.alloc(512 << 20, 0x61));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    const isTemp = strayTemp('s.json');
    const end = Date.now() + 20_000;
    let seen = false;
    // A tight synchronous poll: the kill must land between the temp file's creation and the rename.
    while (!seen && Date.now() < end && child.exitCode === null) seen = readdirSync(d).some((f) => isTemp.test(f));
    if (seen) child.kill('SIGKILL');
    const signal = await exited;
    expect(seen, 'the temporary file never appeared').toBe(true);
    expect(signal).toBe('SIGKILL');
    expect(readFileSync(p, 'utf8')).toBe('old summary\n');
    const left = readdirSync(d).filter((f) => f !== 's.json');
    expect(left.length).toBeLessThanOrEqual(1);
    for (const f of left) expect(f).toMatch(isTemp);
  });
});
