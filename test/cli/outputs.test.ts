// "Outputs are safe": an output that is one of the inputs, or another output, is refused
// before anything is opened or read; an unwritable output fails before the analysis, without
// creating the -o file early; /dev/stdout and /dev/fd/N are written through the descriptor
// pantap inherited. Unit tests of src/cli/outputs.ts, then the built CLI.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputs, inheritedFd, resolveOutput } from '../../src/cli/outputs.js';
import { CaptureError, UsageError } from '../../src/errors.js';
import { REPO } from '../helpers/shared.js';
import { accountOf } from '../helpers/users.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const CAPTURE = resolve(REPO, 'fixtures/pan-lab/a02_ha.pcap');
const isRoot = process.getuid?.() === 0;
const nobody = isRoot ? accountOf('nobody') : null;
const lockSkip = process.getuid === undefined ? 'no user ids on this platform' : isRoot && nobody === null ? 'running as root and there is no user nobody to run the CLI as' : null;
if (lockSkip !== null) console.warn(`[test/cli/outputs] unwritable-folder test SKIPPED: ${lockSkip}`);

const dir = mkdtempSync(join(tmpdir(), 'pantap-outputs-'));
chmodSync(dir, 0o755); // the unprivileged runs below must be able to reach their files
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
/** A fresh sub-folder per test, holding a copy of the capture as in.pcap. */
function folder(): { d: string; input: string } {
  const d = join(dir, `t${n++}`);
  mkdirSync(d, { mode: 0o755 });
  const input = join(d, 'in.pcap');
  writeFileSync(input, readFileSync(CAPTURE));
  return { d, input };
}

type Run = { status: number | null; stdout: string; stderr: string };
const pantap = (args: string[], o: { cwd?: string; stdin?: number; uid?: number; gid?: number } = {}): Run =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd: o.cwd ?? REPO,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    stdio: [o.stdin ?? 'pipe', 'pipe', 'pipe'],
    uid: o.uid,
    gid: o.gid,
    timeout: 30_000,
  });

/** Exit 2, nothing on stdout, exactly this one line on stderr. */
function refused(r: Run, line: string): void {
  expect(r.stderr).toBe(`pantap: ${line}\n`);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
}

describe('checkOutputs (unit)', () => {
  it('accepts new and existing files in writable folders, and creates nothing', () => {
    const { d, input } = folder();
    writeFileSync(join(d, 'old.json'), 'old');
    checkOutputs([{ option: '-o', path: join(d, 'new.json'), replace: true }, { option: '--flows-ndjson', path: join(d, 'old.json') }, { option: '-W', path: undefined }], [input]);
    expect(existsSync(join(d, 'new.json'))).toBe(false);
    expect(readFileSync(join(d, 'old.json'), 'utf8')).toBe('old');
  });

  it('refuses an output that is an input, by name, symbolic link or hard link', () => {
    const { d, input } = folder();
    symlinkSync('in.pcap', join(d, 'alias.pcap'));
    linkSync(input, join(d, 'hard.pcap'));
    expect(() => checkOutputs([{ option: '-o', path: input }], [input])).toThrow(new UsageError(`-o ${input}: is one of the inputs (would overwrite the capture)`));
    expect(() => checkOutputs([{ option: '-W', path: join(d, 'alias.pcap') }], [input])).toThrow(UsageError);
    expect(() => checkOutputs([{ option: '--flows-ndjson', path: join(d, 'hard.pcap') }], [input])).toThrow(`is one of the inputs (${input}; would overwrite the capture)`);
    // An input given through a link is the same file too.
    expect(() => checkOutputs([{ option: '-o', path: input }], [join(d, 'alias.pcap')])).toThrow(UsageError);
  });

  it('refuses two outputs naming one file, even before it exists; devices may repeat', () => {
    const { d } = folder();
    const out = join(d, 'out.json');
    expect(() => checkOutputs([{ option: '-o', path: out }, { option: '--flows-ndjson', path: `${d}/./out.json` }], [])).toThrow(new UsageError(`--flows-ndjson ${d}/./out.json: is the same file as -o ${out}`));
    symlinkSync('later.json', join(d, 'dangling.json'));
    expect(() => checkOutputs([{ option: '-o', path: join(d, 'later.json') }, { option: '-W', path: join(d, 'dangling.json') }], [])).toThrow('is the same file as -o');
    expect(() => checkOutputs([{ option: '-o', path: '/dev/null' }, { option: '--flows-ndjson', path: '/dev/null' }], [])).not.toThrow();
  });

  it('a missing folder, a folder as the output, a file as folder: OUTPUT errors', () => {
    const { d, input } = folder();
    const cases: [string, string][] = [
      [join(d, 'nope', 'x.json'), `folder ${join(d, 'nope')} does not exist`],
      [d, 'is a folder'],
      [join(input, 'x.json'), 'cannot use it (ENOTDIR)'],
    ];
    for (const [path, why] of cases) {
      let err: unknown = null;
      try {
        checkOutputs([{ option: '-o', path }], []);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CaptureError);
      expect((err as CaptureError).code).toBe('OUTPUT');
      expect((err as CaptureError).message).toBe(`-o ${path}: cannot write: ${why}`);
    }
  });

  it('resolveOutput follows a dangling symbolic link to the file a write would create', () => {
    const { d } = folder();
    symlinkSync(join(d, 'target.json'), join(d, 'link.json'));
    expect(resolveOutput(join(d, 'link.json'))).toEqual({ exists: false, path: join(d, 'target.json') });
    writeFileSync(join(d, 'target.json'), '{}');
    const t = resolveOutput(join(d, 'link.json'));
    expect(t.exists && t.path).toBe(join(d, 'target.json'));
  });
});

describe('pantap analyze: outputs (CLI)', () => {
  it('-o or --flows-ndjson naming an input (directly, via a link, or stdin redirected from it): exit 2, capture untouched', () => {
    const { d, input } = folder();
    const before = readFileSync(input);
    symlinkSync('in.pcap', join(d, 'alias.pcap'));
    refused(pantap(['analyze', 'in.pcap', '-o', 'in.pcap'], { cwd: d }), '-o in.pcap: is one of the inputs (would overwrite the capture)');
    refused(pantap(['analyze', 'in.pcap', '--flows-ndjson', 'alias.pcap'], { cwd: d }), '--flows-ndjson alias.pcap: is one of the inputs (in.pcap; would overwrite the capture)');
    const fd = openSync(input, 'r');
    try {
      refused(pantap(['analyze', '-', '--flows-ndjson', 'in.pcap'], { cwd: d, stdin: fd }), '--flows-ndjson in.pcap: is one of the inputs (stdin; would overwrite the capture)');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(input).equals(before)).toBe(true);
  });

  it('two outputs that are one file (same path spelled twice, or hard links): exit 2, nothing created', () => {
    const { d } = folder();
    refused(pantap(['analyze', 'in.pcap', '-o', 'out.json', '--flows-ndjson', './out.json'], { cwd: d }), '--flows-ndjson ./out.json: is the same file as -o out.json');
    expect(existsSync(join(d, 'out.json'))).toBe(false);
    writeFileSync(join(d, 'a.json'), 'keep');
    linkSync(join(d, 'a.json'), join(d, 'b.json'));
    refused(pantap(['analyze', 'in.pcap', '-o', 'a.json', '--flows-ndjson', 'b.json'], { cwd: d }), '--flows-ndjson b.json: is the same file as -o a.json');
    expect(readFileSync(join(d, 'a.json'), 'utf8')).toBe('keep');
  });

  it('-o in a missing folder fails at once, before reading the input (stdin left open)', async () => {
    const child = spawn(process.execPath, [BIN, 'analyze', '-', '-o', '/nonexistent-pantap/x.json'], { cwd: REPO });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdin.on('error', () => undefined);
    child.stdin.write(readFileSync(CAPTURE)); // a capture is arriving, and stdin never ends
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    clearTimeout(timer);
    expect(err).toBe('pantap: -o /nonexistent-pantap/x.json: cannot write: folder /nonexistent-pantap does not exist\n');
    expect(code).toBe(2);
  });

  it.skipIf(lockSkip !== null)('-o in a folder the user cannot write: exit 2 before the analysis', () => {
    const { d } = folder();
    const locked = join(d, 'locked');
    mkdirSync(locked, { mode: 0o755 });
    // As root, run the CLI as nobody (root may write anywhere); as a user, lock the folder.
    if (!isRoot) chmodSync(locked, 0o555);
    const as = nobody !== null ? { uid: nobody.uid, gid: nobody.gid } : {};
    refused(pantap(['analyze', CAPTURE, '-o', join(locked, 's.json')], as), `-o ${join(locked, 's.json')}: cannot write: folder ${locked} is not writable (EACCES)`);
    refused(pantap(['analyze', CAPTURE, '--flows-ndjson', join(locked, 'f.ndjson')], as), `--flows-ndjson ${join(locked, 'f.ndjson')}: cannot write: folder ${locked} is not writable (EACCES)`);
  });

  it('the check creates nothing: -o is not created while the capture is read, nor when a later output fails', async () => {
    const { d } = folder();
    refused(pantap(['analyze', CAPTURE, '-o', join(d, 'new.json'), '--flows-ndjson', join(d, 'no', 'f.ndjson')]), `--flows-ndjson ${join(d, 'no', 'f.ndjson')}: cannot write: folder ${join(d, 'no')} does not exist`);
    expect(readdirSync(d)).toEqual(['in.pcap']);

    writeFileSync(join(d, 'old.json'), 'old summary');
    const child = spawn(process.execPath, [BIN, 'analyze', '-', '-F', 'json', '-o', join(d, 'old.json')], { cwd: REPO });
    const body = readFileSync(CAPTURE);
    child.stdin.write(body.subarray(0, 1000)); // reading has begun, and waits for more
    await new Promise((r) => setTimeout(r, 800));
    expect(readFileSync(join(d, 'old.json'), 'utf8')).toBe('old summary');
    expect(readdirSync(d).sort()).toEqual(['in.pcap', 'old.json']);
    child.stdin.end(body.subarray(1000));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(d, 'old.json'), 'utf8')).input.packets).toBeGreaterThan(0);
    expect(readdirSync(d).sort()).toEqual(['in.pcap', 'old.json']);
  });

  it('/dev/null and a FIFO are written directly (they stay what they are)', async () => {
    const r = pantap(['analyze', CAPTURE, '-F', 'json', '-o', '/dev/null', '--flows-ndjson', '/dev/null']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(readdirSync('/dev').filter((f) => f.includes('pantap'))).toEqual([]);

    const { d } = folder();
    const fifo = join(d, 'summary.fifo');
    const mk = spawnSync('mkfifo', [fifo]);
    if (mk.error || mk.status !== 0) throw new Error(`mkfifo failed: ${mk.error?.message ?? mk.stderr}`);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (b: Buffer) => (got += b.toString()));
    const done = new Promise((r) => reader.on('exit', r));
    const w = pantap(['analyze', CAPTURE, '-F', 'json', '-o', fifo]);
    expect(w.stderr).toBe('');
    expect(w.status).toBe(0);
    await done;
    expect(JSON.parse(got).schema).toBe('pantap.summary.v1');
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(d).sort()).toEqual(['in.pcap', 'summary.fifo']);
  });
});

describe('pantap live: outputs (CLI, checked before the interface is opened)', () => {
  it('two outputs naming one file, or a missing folder: exit 2, one line, without root or an interface', () => {
    const { d } = folder();
    refused(pantap(['live', '-i', 'pt-nosuch0', '-o', 'x.json', '-W', 'x.json'], { cwd: d }), '-W x.json: is the same file as -o x.json');
    refused(pantap(['live', '-i', 'pt-nosuch0', '--flows-ndjson', 'f.ndjson', '-W', './f.ndjson'], { cwd: d }), '-W ./f.ndjson: is the same file as --flows-ndjson f.ndjson');
    refused(pantap(['live', '-i', 'pt-nosuch0', '-W', '/nonexistent-pantap/c.pcapng']), '-W /nonexistent-pantap/c.pcapng: cannot write: folder /nonexistent-pantap does not exist');
    expect(readdirSync(d)).toEqual(['in.pcap']);
  });
});

describe('inherited descriptors: /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N (unit)', () => {
  it('inheritedFd knows them by name, and through links to them, without following them to a file', () => {
    const { d } = folder();
    symlinkSync('/dev/stdout', join(d, 'out'));
    symlinkSync('out', join(d, 'out2'));
    expect(['/dev/stdout', '/dev/stderr', '/dev/stdin', '/dev/./stdout', '/dev/fd/5', '/proc/self/fd/7', `/proc/${process.pid}/fd/4`, join(d, 'out2')].map(inheritedFd)).toEqual([1, 2, 0, 1, 5, 7, 4, 1]);
    // Another process's descriptor, and ordinary paths, are paths.
    expect([`/proc/${process.pid === 1 ? 2 : 1}/fd/1`, join(d, 'in.pcap'), '/dev/null', '/dev/fd'].map(inheritedFd)).toEqual([null, null, null, null]);
  });

  it('resolveOutput: the descriptor, with the stats of its file but not its path (nothing is renamed over it)', () => {
    const { d } = folder();
    const log = join(d, 'log.txt');
    writeFileSync(log, 'old\n');
    const fd = openSync(log, 'a');
    try {
      const t = resolveOutput(`/dev/fd/${fd}`);
      expect(t).toMatchObject({ exists: true, path: `/dev/fd/${fd}`, fd });
      expect(t.exists && t.stats.ino).toBe(statSync(log).ino);
    } finally {
      closeSync(fd);
    }
  });

  it('checkOutputs: a descriptor on an input is refused; one descriptor may take several outputs; its file by path may not', () => {
    const { d, input } = folder();
    const onInput = openSync(input, 'a');
    const log = join(d, 'log.txt');
    const onLog = openSync(log, 'a');
    try {
      expect(() => checkOutputs([{ option: '-o', path: `/dev/fd/${onInput}`, replace: true }], [input])).toThrow(new UsageError(`-o /dev/fd/${onInput}: is one of the inputs (${input}; would overwrite the capture)`));
      expect(() => checkOutputs([{ option: '-o', path: `/dev/fd/${onLog}`, replace: true }, { option: '--flows-ndjson', path: `/proc/self/fd/${onLog}` }], [input])).not.toThrow();
      expect(() => checkOutputs([{ option: '-o', path: `/dev/fd/${onLog}`, replace: true }, { option: '--flows-ndjson', path: log }], [input])).toThrow(new UsageError(`--flows-ndjson ${log}: is the same file as -o /dev/fd/${onLog}`));
    } finally {
      closeSync(onInput);
      closeSync(onLog);
    }
    expect(readFileSync(input).equals(readFileSync(CAPTURE))).toBe(true);
  });

  it('a descriptor open for reading only, or not open, is an OUTPUT error', () => {
    const { input } = folder();
    const ro = openSync(input, 'r');
    try {
      expect(() => checkOutputs([{ option: '-o', path: `/dev/fd/${ro}` }], [])).toThrow(new CaptureError('OUTPUT', `-o /dev/fd/${ro}`, `cannot write: descriptor ${ro} is open for reading only`));
    } finally {
      closeSync(ro);
    }
    expect(() => checkOutputs([{ option: '-W', path: '/dev/fd/999' }], [])).toThrow('-W /dev/fd/999: cannot write: descriptor 999 is not open');
  });

  it('a descriptor of the process itself (its event loop), not inherited, is refused', () => {
    const own = readdirSync('/proc/self/fd').find((fd) => {
      try {
        return Number(fd) > 2 && readlinkSync(`/proc/self/fd/${fd}`).startsWith('anon_inode:');
      } catch {
        return false;
      }
    });
    expect(own, 'no anonymous-inode descriptor (epoll) in this process').toBeDefined();
    expect(() => resolveOutput(`/dev/fd/${own}`, '-o x')).toThrow(new RegExp(`^-o x: cannot write: descriptor ${own} is not one pantap inherited \\(anon_inode:`));
  });
});

describe('pantap analyze: -o /dev/stdout and friends write to the inherited descriptor (CLI)', () => {
  /** pantap with stdout (or fd 3) on a file opened for appending, as `>> FILE` or `3>> FILE`. */
  const appending = (args: string[], file: string, fdNo: 1 | 3, cwd = REPO): Run => {
    const fd = openSync(file, 'a');
    try {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, stdio: fdNo === 1 ? ['ignore', fd, 'pipe'] : ['ignore', 'pipe', 'pipe', fd], timeout: 30_000 });
      return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr };
    } finally {
      closeSync(fd);
    }
  };

  it('-o /dev/stdout >> log.txt appends the summary: log.txt keeps its lines and its inode (not replaced by rename)', () => {
    const { d } = folder();
    const log = join(d, 'log.txt');
    writeFileSync(log, 'first line\n');
    const ino = statSync(log).ino;
    const r = appending(['analyze', CAPTURE, '-F', 'json', '-o', '/dev/stdout'], log, 1);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const text = readFileSync(log, 'utf8');
    expect(text.startsWith('first line\n{')).toBe(true);
    expect(JSON.parse(text.slice('first line\n'.length)).schema).toBe('pantap.summary.v1');
    expect(statSync(log).ino).toBe(ino);
    expect(readdirSync(d).sort()).toEqual(['in.pcap', 'log.txt']);
  });

  it('-o /dev/fd/3 3>> FILE and --flows-ndjson /dev/stdout >> FILE append too', () => {
    const { d } = folder();
    const summary = join(d, 's.json');
    writeFileSync(summary, 'kept\n');
    const r = appending(['analyze', CAPTURE, '-F', 'json', '-o', '/dev/fd/3'], summary, 3);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(summary, 'utf8').slice(5)).schema).toBe('pantap.summary.v1');

    const flows = join(d, 'f.ndjson');
    writeFileSync(flows, '{"kept":true}\n');
    const n = appending(['analyze', CAPTURE, '-F', 'json', '-o', '/dev/null', '--flows-ndjson', '/dev/stdout'], flows, 1);
    expect(n.stderr).toBe('');
    expect(n.status).toBe(0);
    const lines = readFileSync(flows, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ kept: true });
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((f) => typeof f.transport === 'string')).toBe(true);
  });

  it('-o /dev/stdout >> INPUT is one of the inputs: exit 2, the capture untouched', () => {
    const { d, input } = folder();
    const before = readFileSync(input);
    refused(appending(['analyze', 'in.pcap', '-o', '/dev/stdout'], input, 1, d), '-o /dev/stdout: is one of the inputs (in.pcap; would overwrite the capture)');
    expect(readFileSync(input).equals(before)).toBe(true);
  });

  it('/dev/fd/N that pantap did not inherit (its own event loop, wake-up pipes): refused before reading, never written into', () => {
    for (let fd = 3; fd <= 10; fd++) {
      const r = pantap(['analyze', CAPTURE, '-F', 'json', '-o', `/dev/fd/${fd}`]);
      expect(r.stderr, `/dev/fd/${fd}`).toMatch(new RegExp(`^pantap: -o /dev/fd/${fd}: cannot write: descriptor ${fd} (is not one pantap inherited \\(.*\\)|is open for reading only|is not open)\\n$`));
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    }
  });

  it('an output that fails while written (/dev/full: ENOSPC): one line naming it, exit 2', () => {
    refused(pantap(['analyze', CAPTURE, '-F', 'json', '--flows-ndjson', '/dev/full']), '/dev/full: cannot write flows (ENOSPC)');
    refused(pantap(['analyze', CAPTURE, '-F', 'json', '-o', '/dev/full']), '/dev/full: cannot write output (ENOSPC)');
  });

  it.skipIf(!isRoot)('--flows-ndjson on a full filesystem (a 64 KiB tmpfs): one line naming it, exit 2 (root)', (ctx) => {
    const { d } = folder();
    const small = join(d, 'small');
    mkdirSync(small);
    const mnt = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small], { encoding: 'utf8' });
    if (mnt.status !== 0) ctx.skip(`cannot mount a small tmpfs: ${mnt.stderr.trim() || mnt.error?.message}`);
    try {
      fill(small);
      const flows = join(small, 'f.ndjson');
      refused(pantap(['analyze', CAPTURE, '-F', 'json', '--flows-ndjson', flows]), `${flows}: cannot write flows (ENOSPC)`);
    } finally {
      if (spawnSync('umount', [small]).status !== 0) spawnSync('umount', ['-l', small]);
    }
  });
});

/** Fills the filesystem of folder `d` to the last byte. */
function fill(d: string): void {
  const fd = openSync(join(d, 'filler'), 'w');
  try {
    for (const size of [4096, 1]) {
      for (;;) {
        try {
          writeSync(fd, Buffer.alloc(size));
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}
