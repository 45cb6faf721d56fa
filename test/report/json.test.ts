// The JSON summary against the published contract schema (DESIGN.md, "pantap.summary.v1").
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/json.js';
import { fixtureSummary } from './fixture.js';

const schema = JSON.parse(readFileSync(new URL('../../src/report/summary.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allowUnionTypes: true, allErrors: true }).compile(schema);
const parsed = (s = fixtureSummary()) => JSON.parse(renderJson(s)) as Record<string, unknown>;
const errors = () => (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');

describe('renderJson', () => {
  it('produces a document the contract schema accepts', () => {
    const doc = parsed();
    expect(validate(doc), errors()).toBe(true);
  });

  it('is pretty-printed with 2 spaces and ends with one newline', () => {
    const out = renderJson(fixtureSummary());
    expect(out.startsWith('{\n  "schema": "pantap.summary.v1",\n  "input": {\n    "files"')).toBe(true);
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.endsWith('\n\n')).toBe(false);
  });

  it('orders keys: contract first, extras after, whatever the input order', () => {
    const s = fixtureSummary();
    // Rebuild with reversed key order to prove the renderer does not rely on insertion order.
    const reversed = Object.fromEntries(Object.entries(s).reverse()) as unknown as typeof s;
    reversed.flows = s.flows.map((f) => Object.fromEntries(Object.entries(f).reverse()) as unknown as typeof f);
    const doc = parsed(reversed);
    expect(Object.keys(doc)).toEqual(['schema', 'input', 'sections', 'entries', 'flows', 'other', 'nonIp', 'roles', 'allFlows']);
    expect(Object.keys((doc.input as object))).toEqual(
      expect.arrayContaining(['files', 'packets', 'bytes', 'malformed', 'truncated']),
    );
    expect(Object.keys(doc.input as object).slice(0, 5)).toEqual(['files', 'packets', 'bytes', 'malformed', 'truncated']);
    expect(Object.keys((doc.sections as object[])[0]).slice(0, 5)).toEqual(['id', 'flows', 'packets', 'bytes', 'failed']);
    expect(Object.keys((doc.entries as object[])[0]).slice(0, 10)).toEqual(
      ['id', 'section', 'transport', 'port', 'ipProtocol', 'ethertype', 'flows', 'packets', 'bytes', 'failed'],
    );
    expect(Object.keys((doc.flows as object[])[0]).slice(0, 14)).toEqual([
      'transport', 'client', 'server', 'clientPort', 'serverPort', 'ipProtocol', 'ethertype',
      'packets', 'bytes', 'firstSeen', 'lastSeen', 'state', 'section', 'entries',
    ]);
    expect(renderJson(reversed)).toBe(renderJson(s));
  });

  it('keeps nulls and MAC addresses of an HA2 ethertype flow', () => {
    const flows = parsed().flows as Record<string, unknown>[];
    const ha2 = flows.find((f) => f.transport === 'ethertype')!;
    expect(ha2).toMatchObject({ client: '00:1b:17:00:01:10', clientPort: null, serverPort: null, ipProtocol: null, ethertype: 0x7261, state: null });
    expect(flows.find((f) => f.serverPort === 3978)).toMatchObject({ firstSeen: '2026-11-24T10:13:46.351000Z', state: 'established' });
  });

  it('writes undefined nullable keys as null instead of dropping them', () => {
    const s = fixtureSummary();
    (s.flows[0] as unknown as Record<string, unknown>).serverPort = undefined;
    const doc = parsed(s);
    expect((doc.flows as Record<string, unknown>[])[0]).toHaveProperty('serverPort', null);
    expect(validate(doc), errors()).toBe(true);
  });
});

describe('summary.schema.json', () => {
  it.each([
    ['schema', (d: any) => delete d.schema],
    ['input.truncated', (d: any) => delete d.input.truncated],
    ['sections[].failed', (d: any) => delete d.sections[0].failed],
    ['entries[].ethertype', (d: any) => delete d.entries[0].ethertype],
    ['flows[].entries', (d: any) => delete d.flows[0].entries],
    ['flows[].state (null is not missing)', (d: any) => delete d.flows[1].state],
  ])('rejects a summary missing %s', (_name, drop) => {
    const doc = parsed();
    drop(doc);
    expect(validate(doc)).toBe(false);
  });

  it.each([
    ['an unknown schema id', (d: any) => (d.schema = 'pantap.summary.v2')],
    ['an unknown section', (d: any) => (d.sections[0].id = 'mgmt')],
    ['an unknown TCP state', (d: any) => (d.flows[0].state = 'SF')],
    ['a port out of range', (d: any) => (d.flows[0].serverPort = 70000)],
    ['a string count', (d: any) => (d.input.packets = '12')],
    ['a timestamp without zone', (d: any) => (d.flows[0].firstSeen = '2026-11-24 10:13:46')],
    ['an IP address on an ethertype flow', (d: any) => (d.flows.find((f: any) => f.transport === 'ethertype').client = '10.0.0.1')],
  ])('rejects %s', (_name, change) => {
    const doc = parsed();
    change(doc);
    expect(validate(doc)).toBe(false);
  });

  it('allows additional keys', () => {
    const doc = parsed() as any;
    doc.future = { x: 1 };
    doc.flows[0].tlsSni = 'panorama.lab';
    expect(validate(doc), errors()).toBe(true);
  });
});
