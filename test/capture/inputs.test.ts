// Capture-set arguments (capture/inputs.ts): a directory's capture files sorted by name
// (recognised by magic, gzip too, whatever the name), its other entries skipped with the
// reason; globs the shell left alone; a file named twice (same path, hard link, copy) read once.
import { copyFileSync, linkSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { expandInputs, notCapture } from '../../src/capture/inputs.js';
import { pcap, tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const tmp = tempDir('pantap-inputs-');
afterAll(() => tmp.remove());
const LAB = resolve(REPO, 'fixtures/pan-lab');
const lab = (n: string) => readFileSync(join(LAB, n));

describe('expandInputs', () => {
  const dir = join(tmp.dir, 'ring');
  mkdirSync(dir);
  mkdirSync(join(dir, 'older'));
  tmp.file('ring/cap_00002.pcap', lab('a02_ha.pcap'));
  tmp.file('ring/cap_00001', lab('a01_management.pcap')); // no extension: told by magic
  tmp.file('ring/cap_00003.pcap.gz', gzipSync(lab('a03_panorama.pcap')));
  tmp.file('ring/notes.txt', 'hello\n');
  tmp.file('ring/empty.pcap', '');
  tmp.file('ring/fake.pcap.gz', gzipSync(Buffer.from('plain text, gzipped')));

  it('a directory: its captures sorted by name, the rest skipped with why', async () => {
    const set = await expandInputs([dir]);
    expect(set.paths).toEqual([join(dir, 'cap_00001'), join(dir, 'cap_00002.pcap'), join(dir, 'cap_00003.pcap.gz')]);
    expect(set.skipped).toEqual([
      { file: join(dir, 'empty.pcap'), why: 'empty file, not a pcap or pcapng file' },
      { file: join(dir, 'fake.pcap.gz'), why: 'not a pcap or pcapng file (starts with 70 6c 61 69)' },
      { file: join(dir, 'notes.txt'), why: 'not a pcap or pcapng file (starts with 68 65 6c 6c)' },
      { file: join(dir, 'older'), why: 'a directory (directories are not read recursively)' },
    ]);
    expect(set.failed).toEqual([]);
  });

  it('a glob the shell did not expand; one matching nothing is an error naming it', async () => {
    const set = await expandInputs([join(dir, 'cap_*'), join(tmp.dir, 'nothing-*.pcap')]);
    expect(set.paths).toEqual([join(dir, 'cap_00001'), join(dir, 'cap_00002.pcap'), join(dir, 'cap_00003.pcap.gz')]);
    expect(set.failed.map((e) => e.message)).toEqual([`${join(tmp.dir, 'nothing-*.pcap')}: no file matches this pattern`]);
  });

  it('a directory without captures is an error; plain paths and - are kept as given', async () => {
    const none = join(tmp.dir, 'none');
    mkdirSync(none);
    tmp.file('none/readme', 'x');
    const set = await expandInputs([none, '-', join(tmp.dir, 'missing.pcap')]);
    expect(set.paths).toEqual(['-', join(tmp.dir, 'missing.pcap')]);
    expect(set.failed.map((e) => e.message)).toEqual([`${none}: directory holds no capture file`]);
  });

  it('the same file twice, a hard link and a copy are read once, the first name kept', async () => {
    const a = tmp.file('a.pcap', lab('a07_mixed.pcap'));
    const link = join(tmp.dir, 'a-link.pcap');
    linkSync(a, link);
    const copy = join(tmp.dir, 'a-copy.pcap');
    copyFileSync(a, copy);
    // same size, different content: both read
    const b1 = tmp.file('b1.pcap', pcap([{ sec: 1, frac: 0, data: [1, 2, 3, 4] }]));
    const b2 = tmp.file('b2.pcap', pcap([{ sec: 1, frac: 0, data: [1, 2, 3, 5] }]));
    const set = await expandInputs([a, link, b1, copy, a, b2]);
    expect(set.paths).toEqual([a, b1, b2]);
    expect(set.skipped).toEqual([
      { file: link, why: `same file as ${a}, read once` },
      { file: copy, why: `same content as ${a}, read once` },
      { file: a, why: 'named more than once, read once' },
    ]);
  });

  it('notCapture tells by magic, gunzipping', () => {
    expect(notCapture(join(dir, 'cap_00003.pcap.gz'))).toBeNull();
    expect(notCapture(join(tmp.dir, 'nope'))).toBe('cannot be read');
  });
});
