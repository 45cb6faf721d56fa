// "Outputs are safe": an output that is one of the inputs, or another output, is refused
// before anything is opened or read; an unwritable output fails before the analysis, without
// creating the -o file early. Unit tests of src/cli/outputs.ts, then the built CLI.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputs, resolveOutput } from '../../src/cli/outputs.js';
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
