// Application verdicts across flows and outputs (issue 10): secrets never reach any output,
// MIT kinit's retry from a new port names the exchange it continues, and the RPC dynamic
// port a flow uses is tied to 135 by the port the endpoint mapper named.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { linkKerberosRetries } from '../../src/classify/app-verdicts.js';
import { tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const DIR = resolve(REPO, 'fixtures/verdicts');
const BIN = resolve(REPO, 'dist/cli/bin.js');

/** Cleartext secrets the lab programs put on the wire (fixtures/verdicts/parts/*.sh). */
const SECRETS: Record<string, string[]> = {
  'v04_udp_noreply.pcap': ['panlab-ro'],
  'v06_ldap.pcap': ['LabBind-2024', 'Wrong-Pass-9', 'mallory-Pass-1'],
  'v09_snmp.pcap': ['panlab-ro', 'panlab-rw'],
};

describe('secrets stay secret', () => {
  const tmp = tempDir('pantap-secrets-');
  afterAll(() => tmp.remove());
  for (const [capture, secrets] of Object.entries(SECRETS)) {
    const path = resolve(DIR, capture);
    it.skipIf(!existsSync(path))(`${capture}: no output format carries ${secrets.join(', ')}`, () => {
      // The captures do carry them (else the test proves nothing).
      const raw = spawnSync('cat', [path], { encoding: 'latin1' }).stdout;
      for (const s of secrets.filter((x) => !x.endsWith('-rw'))) expect(raw.includes(s), `${s} in the capture`).toBe(true);
      const ndjson = resolve(tmp.dir, `${capture}.ndjson`);
      for (const format of ['text', 'json', 'protobuf']) {
        const r = spawnSync(process.execPath, [BIN, 'analyze', path, '-F', format, '--flows', '--flows-ndjson', ndjson], { cwd: REPO, encoding: 'latin1', env: { ...process.env, NO_COLOR: '1' } });
        expect(r.status, `${format}: ${r.stderr}`).toBe(0);
        for (const s of secrets) expect(r.stdout.includes(s), `${s} in ${format}`).toBe(false);
        const lines = readFileSync(ndjson, 'latin1');
        expect(lines.length).toBeGreaterThan(0);
        for (const s of secrets) expect(lines.includes(s), `${s} in NDJSON`).toBe(false);
      }
    });
  }

  it('SNMP communities show as their first character and length', async () => {
    const { flows } = await analyzeCaptures([resolve(DIR, 'v04_udp_noreply.pcap')], { workers: 0 });
    const snmp = flows.filter((f) => f.app === 'snmp');
    expect(snmp.length).toBeGreaterThan(0);
    const noReply = snmp.find((f) => f.reason === 'no-reply');
    expect(noReply?.snmp).toMatchObject({ version: 'v2c', responses: 0 });
  });
});

describe('Kerberos retries from a new port', () => {
  it('a failed retry names the PREAUTH_REQUIRED exchange it continues; each flow keeps its own verdict', async () => {
    const { flows } = await analyzeCaptures([resolve(DIR, 'v07_kerberos.pcap')], { workers: 0 });
    const krb = flows.filter((f) => f.app === 'kerberos');
    const failedRetry = krb.find((f) => f.kerberos?.errorCode === 24)!;
    expect(failedRetry.reason).toBe('kerberos-error');
    const first = krb.filter((f) => f.kerberos?.errorCode === 25 && f.firstTs < failedRetry.firstTs).at(-1)!;
    expect(first.verdict).toBe('ok');
    expect(first.detail).toBeNull();
    expect(failedRetry.detail).toContain(`retries the request from ${first.transport} port ${first.clientPort}`);
    expect(failedRetry.detail).toContain('KDC_ERR_PREAUTH_REQUIRED');
    // an unknown principal is its own first request: nothing to link
    const unknown = krb.find((f) => f.kerberos?.errorCode === 6)!;
    expect(unknown.detail).not.toContain('retries');
  });
});

describe('RPC dynamic ports', () => {
  it('a flow to the port the endpoint mapper named follows from 135; the named port is in the 135 flow', async () => {
    const { flows } = await analyzeCaptures([resolve(DIR, 'v12_rpc.pcap')], { workers: 0 });
    const epm = flows.filter((f) => f.serverPort === 135);
    const named = new Set(epm.map((f) => f.rpc?.dynamicPort).filter((p): p is number => p !== null && p !== undefined));
    expect(named.size).toBeGreaterThan(0);
    const dynamic = flows.filter((f) => f.serverPort !== null && f.serverPort >= 49152);
    expect(dynamic.length).toBeGreaterThan(0);
    for (const f of dynamic) {
      expect(named.has(f.serverPort!), `${f.serverPort} named`).toBe(true);
      expect(f.section).toBe('user-id');
    }
  });
});

describe('linkKerberosRetries across chunks', () => {
  const flow = (port: number, firstTs: number, k: { messageType: string; errorCode: number | null }, failed: boolean) => ({
    client: '10.0.0.5',
    server: '10.0.0.1',
    clientPort: port,
    transport: 'udp',
    firstTs,
    reason: failed ? ('kerberos-error' as const) : null,
    detail: failed ? 'KDC_ERR_C_PRINCIPAL_UNKNOWN' : null,
    kerberos: { errorCode: k.errorCode, errorName: k.errorCode === 25 ? 'KDC_ERR_PREAUTH_REQUIRED' : null, realm: null, client: null, messageType: k.messageType },
  });

  it('links a retry to the exchange before it when the two come in different chunks, as in one', () => {
    const make = () => [flow(50000, 1e6, { messageType: 'KRB-ERROR', errorCode: 25 }, false), flow(50001, 2e6, { messageType: 'KRB-ERROR', errorCode: 6 }, true)];
    const whole = make();
    linkKerberosRetries(whole);
    const split = make();
    const lastStep = new Map();
    linkKerberosRetries([split[0]], lastStep);
    linkKerberosRetries([split[1]], lastStep);
    expect(whole[1].detail).toContain('it retries the request from udp port 50000 (1.000 s earlier), answered KDC_ERR_PREAUTH_REQUIRED');
    expect(split).toEqual(whole);
  });
});
