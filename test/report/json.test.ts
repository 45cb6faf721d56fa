// The JSON summary against the published contract schema (DESIGN.md, "pantap.summary.v1").
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { APPS } from '../../src/catalog/schema.js';
import { REASON_VERDICT, REASONS } from '../../src/classify/vocabulary.js';
import { PROTO_ENUMS } from '../../src/report/protobuf.js';
import { renderJson } from '../../src/report/json.js';
import { FLOW_RECORD_KEYS, orderedFlow } from '../../src/report/flow-record.js';
import { fixtureSummary } from './fixture.js';

const schema = JSON.parse(readFileSync(new URL('../../src/report/summary.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allowUnionTypes: true, allErrors: true }).compile(schema);
const parsed = (s = fixtureSummary()) => JSON.parse(renderJson(s)) as Record<string, unknown>;
// Parsed documents are poked at by path below; a typed model would defeat the point.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
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
    expect(Object.keys(doc)).toEqual(['schema', 'input', 'sections', 'entries', 'health', 'flows', 'other', 'nonIp', 'ipv6Infrastructure', 'roles', 'allFlows', 'flowsOmitted', 'ha', 'timeline']);
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
    // HA cadence: the keys in its order, then the additions.
    const hb = (doc.ha as { heartbeats: Record<string, unknown>[] }).heartbeats[0];
    expect(Object.keys(hb)).toEqual(['peers', 'transport', 'entry', 'intervalMs', 'unanswered', 'gaps', 'flows', 'heartbeats', 'capHit']);
    expect(Object.keys((hb.gaps as object[])[0])).toEqual(['start', 'end', 'seconds', 'missed']);
  });

  it('writes every flow with exactly FLOW_RECORD_KEYS, in that order (orderedFlow is one literal)', () => {
    for (const f of fixtureSummary().flows) {
      expect(Object.keys(orderedFlow(f))).toEqual([...FLOW_RECORD_KEYS]);
      const partial = Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'detail' && k !== 'rpc').reverse()) as unknown as typeof f;
      const o = orderedFlow(partial);
      expect(Object.keys(o)).toEqual([...FLOW_RECORD_KEYS]);
      expect([o.detail, o.rpc]).toEqual([null, null]);
    }
  });

  it('lists health[] with exactly the contract keys, in order, nulls kept', () => {
    const health = parsed().health as Record<string, unknown>[];
    expect(health.map((h) => Object.keys(h))).toEqual(
      Array(5).fill(['entry', 'client', 'server', 'status', 'reason', 'flows', 'failed', 'degraded', 'lastSuccess', 'lastFailure']),
    );
    expect(health[0]).toEqual({
      entry: 'management.https.443', client: '10.99.1.50', server: '10.99.1.2', status: 'failing', reason: 'rejected',
      flows: 1, failed: 1, degraded: 0, lastSuccess: null, lastFailure: health[0].lastFailure,
    });
    expect(health[0].lastFailure).toMatch(/^2026-11-24T10:13:\d\d\.\d{6}Z$/);
    expect(health.map((h) => [h.status, h.reason])).toEqual([['failing', 'rejected'], ['failing', 'tls-alert'], ['degraded', 'retransmissions'], ['up', null], ['up', null]]);
    expect(health[4]).toMatchObject({ entry: 'panorama.device-mgmt.3978', lastFailure: null, lastSuccess: expect.stringMatching(/Z$/) });
  });

  it('keeps nulls and MAC addresses of an HA2 ethertype flow', () => {
    const flows = parsed().flows as Record<string, unknown>[];
    const ha2 = flows.find((f) => f.transport === 'ethertype')!;
    expect(ha2).toMatchObject({ client: '00:1b:17:00:01:10', clientPort: null, serverPort: null, ipProtocol: null, ethertype: 0x7261, state: null });
    expect(flows.find((f) => f.serverPort === 3978)).toMatchObject({ firstSeen: '2026-11-24T10:13:46.351000Z', state: 'established' });
  });

  it('adds the live capture block last, and only for live captures', () => {
    expect(parsed()).not.toHaveProperty('capture');
    const s = fixtureSummary();
    s.capture = { interface: 'eth1', backend: 'native', filter: null, received: 10, dropped: 0, ifDropped: 0 };
    const doc = parsed(s);
    expect(Object.keys(doc).at(-1)).toBe('capture');
    expect(doc.capture).toEqual({ interface: 'eth1', backend: 'native', filter: null, received: 10, dropped: 0, ifDropped: 0 });
    expect(validate(doc), errors()).toBe(true);
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
    ['schema', (d: Doc) => delete d.schema],
    ['input.truncated', (d: Doc) => delete d.input.truncated],
    ['sections[].failed', (d: Doc) => delete d.sections[0].failed],
    ['entries[].ethertype', (d: Doc) => delete d.entries[0].ethertype],
    ['flows[].entries', (d: Doc) => delete d.flows[0].entries],
    ['flows[].state (null is not missing)', (d: Doc) => delete d.flows[1].state],
    ['flows[].verdict', (d: Doc) => delete d.flows[0].verdict],
    ['flows[].reason (null is not missing)', (d: Doc) => delete d.flows[1].reason],
    ['flows[].tls (null is not missing)', (d: Doc) => delete d.flows[2].tls],
    ['flows[].tcp.rttMs', (d: Doc) => delete d.flows[0].tcp.rttMs],
    ['flows[].tls.alert.encrypted', (d: Doc) => delete d.flows[4].tls.alert.encrypted],
    ['entries[].status', (d: Doc) => delete d.entries[0].status],
    ['entries[].pairs[].degraded', (d: Doc) => delete d.entries[0].pairs[0].degraded],
    ['entries[].failures[].reason', (d: Doc) => delete d.entries[1].failures[0].reason],
    ['input.inspection', (d: Doc) => delete d.input.inspection],
  ])('rejects a summary missing %s', (_name, drop) => {
    const doc = parsed();
    drop(doc);
    expect(validate(doc)).toBe(false);
  });

  it.each([
    ['an unknown schema id', (d: Doc) => (d.schema = 'pantap.summary.v2')],
    ['an unknown section', (d: Doc) => (d.sections[0].id = 'mgmt')],
    ['an unknown TCP state', (d: Doc) => (d.flows[0].state = 'SF')],
    ['a port out of range', (d: Doc) => (d.flows[0].serverPort = 70000)],
    ['a string count', (d: Doc) => (d.input.packets = '12')],
    ['a timestamp without zone', (d: Doc) => (d.flows[0].firstSeen = '2026-11-24 10:13:46')],
    ['an IP address on an ethertype flow', (d: Doc) => (d.flows.find((f: Doc) => f.transport === 'ethertype').client = '10.0.0.1')],
    ['an unknown reason', (d: Doc) => (d.flows[0].reason = 'slow')],
    ['an ok flow with a reason', (d: Doc) => (d.flows[1].reason = 'rejected')],
    ['a failed flow without a reason', (d: Doc) => (d.flows[5].reason = null)],
    ['a warning reason on a failed flow', (d: Doc) => (d.flows[5].reason = 'zero-window')],
    ['a failed reason on a warning flow', (d: Doc) => (d.flows[0].reason = 'tls-alert')],
    ['an unknown app', (d: Doc) => (d.flows[0].app = 'rdp')],
    ['an unknown status', (d: Doc) => (d.entries[0].status = 'down')],
    ['an unknown pair status', (d: Doc) => (d.entries[0].pairs[0].status = 'FAILING')],
    ['a Community ID of another version', (d: Doc) => (d.flows[0].communityId = '2:abc=')],
    ['a certificate hash in upper case', (d: Doc) => (d.flows[1].tls.serverCertificate.sha256 = d.flows[1].tls.serverCertificate.sha256.toUpperCase())],
    ['a plaintext alert without its description', (d: Doc) => delete d.flows[4].tls.alert.description],
    ['an unknown TLS version', (d: Doc) => (d.flows[1].tls.version = 'TLS 2.0')],
    ['an unknown Zeek conn_state', (d: Doc) => (d.flows[0].tcp.connState = 'ESTABLISHED')],
  ])('rejects %s', (_name, change) => {
    const doc = parsed();
    change(doc);
    expect(validate(doc)).toBe(false);
  });

  it('accepts an alert sent under encryption (who sent it, nothing else) and null facts', () => {
    const doc = parsed() as Doc;
    doc.flows[4].tls.alert = { encrypted: true, from: 'server' };
    doc.flows[4].tcp.rttMs = null;
    doc.flows[4].tls.serverCertificate.daysLeft = null;
    expect(validate(doc), errors()).toBe(true);
  });

  it('has the vocabulary\'s words: reasons, which of them warn, applications, statuses', () => {
    const defs = (schema as Doc).definitions;
    expect(defs.reason.enum).toEqual([...REASONS]);
    const warn = REASONS.filter((r) => REASON_VERDICT[r] === 'warning');
    expect(defs.flow.allOf[2].if.properties.reason.enum).toEqual(warn);
    expect(defs.flow.properties.app.enum).toEqual([...APPS, null]);
    expect(defs.channelStatus.enum.sort()).toEqual(Object.keys(PROTO_ENUMS.ChannelStatus).sort());
    expect(defs.tcp.properties.connState.enum.sort()).toEqual(Object.keys(PROTO_ENUMS.ConnState).sort());
    expect(defs.tls.properties.version.enum).toEqual([...Object.keys(PROTO_ENUMS.TlsVersion), null]);
  });

  it('allows additional keys', () => {
    const doc = parsed() as Doc;
    doc.future = { x: 1 };
    doc.flows[0].tlsSni = 'panorama.lab';
    expect(validate(doc), errors()).toBe(true);
  });
});
