// NDJSON flow lines and the writer's backpressure and failure handling.
import { closeSync, createWriteStream, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { orderedSummary } from '../../src/report/json.js';
import { flowLine, NdjsonWriter } from '../../src/report/ndjson.js';
import { fixtureSummary, ha2Flow, panoramaFlow } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'pantap-ndjson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flowLine', () => {
  it('is one JSON object on one line, identical to the summary flows item', () => {
    const s = fixtureSummary();
    for (const [i, f] of s.flows.entries()) {
      const line = flowLine(f);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      expect(JSON.parse(line)).toEqual((orderedSummary(s).flows as unknown[])[i]);
      expect(Object.keys(JSON.parse(line)).slice(0, 3)).toEqual(['transport', 'client', 'server']);
    }
    expect(JSON.parse(flowLine(ha2Flow()))).toMatchObject({ clientPort: null, ethertype: 0x7261, state: null });
  });
});

describe('NdjsonWriter', () => {
  it('writes every line in order through a small buffer (drain)', async () => {
    const file = join(dir, 'flows.ndjson');
    const stream = createWriteStream(file, { highWaterMark: 64 });
    let drains = 0;
    stream.on('drain', () => drains++);
    const w = new NdjsonWriter(stream);
    for (let i = 0; i < 500; i++) await w.write({ ...panoramaFlow(), clientPort: 1024 + i });
    await w.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(500);
    expect(lines.map((l) => (JSON.parse(l) as { clientPort: number }).clientPort)).toEqual(Array.from({ length: 500 }, (_, i) => 1024 + i));
    expect(drains).toBeGreaterThan(0);
  });

  it('waits for drain before resolving a write into a full stream', async () => {
    const pending: (() => void)[] = [];
    const chunks: string[] = [];
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        pending.push(cb);
      },
    });
    const w = new NdjsonWriter(slow);
    let resolved = false;
    const p = w.write(panoramaFlow()).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    pending.shift()!();
    await p;
    expect(resolved).toBe(true);
    expect(chunks).toHaveLength(1);
  });

  it('leaves a file descriptor open for its owner', async () => {
    const file = join(dir, 'fd.ndjson');
    const fd = openSync(file, 'w');
    const w = new NdjsonWriter(fd);
    await w.write(panoramaFlow());
    await w.write(ha2Flow());
    await w.close();
    expect(() => fstatSync(fd)).not.toThrow();
    closeSync(fd);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('rejects writes and close after the stream fails', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('EPIPE: broken pipe'));
      },
    });
    const w = new NdjsonWriter(broken);
    await w.write(panoramaFlow()).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    await expect(w.write(panoramaFlow())).rejects.toThrow('EPIPE');
    await expect(w.close()).rejects.toThrow('EPIPE');
  });
});
