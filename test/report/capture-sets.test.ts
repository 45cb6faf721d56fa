// The capture-set facts of a summary (input.skipped, input.dedup) in every output: the
// JSON (ordered, accepted by the schema, wrong shapes refused), protobuf (round trip), the
// text report (the Dedup line, a warning per skipped file); absent without them.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/json.js';
import { decodeSummary, encodeSummary } from '../../src/report/protobuf.js';
import { renderText } from '../../src/report/text.js';
import type { Summary } from '../../src/report/model.js';
import { fixtureSummary } from './fixture.js';

const schema = JSON.parse(readFileSync(new URL('../../src/report/summary.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allowUnionTypes: true, allErrors: true }).compile(schema);

function withSets(): Summary {
  const s = fixtureSummary();
  s.input.skipped = [
    { file: 'ring/README', why: 'not a pcap or pcapng file (starts with 72 6f 74 61)' },
    { file: 'copy.pcap', why: 'same content as a.pcap, read once' },
  ];
  s.input.dedup = { windowMs: 0.5, dropped: 170 };
  return s;
}

describe('capture-set facts in the summary', () => {
  it('JSON: after filter, accepted by the schema; absent without them', () => {
    const doc = JSON.parse(renderJson(withSets())) as { input: Record<string, unknown> };
    expect(doc.input.skipped).toEqual(withSets().input.skipped);
    expect(doc.input.dedup).toEqual({ windowMs: 0.5, dropped: 170 });
    expect(Object.keys(doc.input).slice(-2)).toEqual(['skipped', 'dedup']);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const plain = JSON.parse(renderJson(fixtureSummary())) as { input: Record<string, unknown> };
    expect('skipped' in plain.input || 'dedup' in plain.input).toBe(false);
  });

  it.each([
    ['a skipped file without why', (d: { input: Record<string, unknown> }) => delete (d.input.skipped as Record<string, unknown>[])[0].why],
    ['a negative dropped count', (d: { input: Record<string, unknown> }) => ((d.input.dedup as Record<string, unknown>).dropped = -1)],
    ['a zero window', (d: { input: Record<string, unknown> }) => ((d.input.dedup as Record<string, unknown>).windowMs = 0)],
  ])('the schema refuses %s', (_n, spoil) => {
    const doc = JSON.parse(renderJson(withSets())) as { input: Record<string, unknown> };
    spoil(doc);
    expect(validate(doc)).toBe(false);
  });

  it('protobuf: skipped and dedup round-trip', () => {
    const back = decodeSummary(encodeSummary(withSets())) as { input: Record<string, unknown> };
    expect(back.input.skipped).toEqual(withSets().input.skipped);
    expect(back.input.dedup).toEqual({ windowMs: 0.5, dropped: 170 });
    const plain = decodeSummary(encodeSummary(fixtureSummary())) as { input: Record<string, unknown> };
    expect(plain.input.skipped).toEqual([]);
    expect(plain.input.dedup ?? null).toBeNull();
  });

  it('text: the Dedup line and one warning per skipped file', () => {
    const out = renderText(withSets(), { color: false, width: 120 });
    expect(out).toContain('\nDedup      170 duplicate packets dropped (window 0.5 ms)\n');
    expect(out).toContain('warning: ring/README: skipped: not a pcap or pcapng file (starts with 72 6f 74 61)\n');
    expect(out).toContain('warning: copy.pcap: skipped: same content as a.pcap, read once\n');
    expect(renderText(fixtureSummary(), { color: false, width: 120 })).not.toContain('Dedup');
  });
});
