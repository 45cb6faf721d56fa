// User override files: extra entries and moved ports, in YAML or JSON.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinCatalog, loadCatalog } from '../../src/catalog/load.js';

const dir = mkdtempSync(join(tmpdir(), 'pantap-override-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Writes `text` to a fresh file named `name` and returns its path. */
function file(text: string, name = `custom${n++}.yaml`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadCatalog', () => {
  it('is the built-in catalog without an override', () => {
    expect(loadCatalog()).toEqual(builtinCatalog());
  });

  it('adds entries from a YAML file, filling defaults', () => {
    const catalog = loadCatalog(file(`
entries:
  - id: management.zabbix.10050
    section: management
    transport: tcp
    port: 10050
    name: Zabbix agent
    listener: firewall
    clients: [snmp-manager]
`));
    expect(catalog.entries).toHaveLength(builtinCatalog().entries.length + 1);
    expect(catalog.entries.at(-1)).toMatchObject({
      id: 'management.zabbix.10050', port: 10050, tls: false, app: null, exchange: null, configurable: false, description: '',
    });
  });

  it('takes app and exchange on added entries', () => {
    const catalog = loadCatalog(file(`
entries:
  - { id: management.ldaps-alt.3269, section: management, transport: tcp, port: 3269, name: Global catalog (LDAPS),
      listener: ldap-server, clients: [firewall], tls: true, app: tls, exchange: request-response }
  - { id: management.trap-alt.10162, section: management, transport: udp, port: 10162, name: Traps elsewhere,
      listener: snmp-manager, clients: [firewall], app: snmp, exchange: one-way }
  - { id: management.vendor.9000, section: management, transport: tcp, port: 9000, name: Vendor protocol,
      listener: firewall, clients: [endpoint], app: null, exchange: session }
`));
    expect(catalog.entries.slice(-3).map((e) => [e.id, e.app, e.exchange])).toEqual([
      ['management.ldaps-alt.3269', 'tls', 'request-response'],
      ['management.trap-alt.10162', 'snmp', 'one-way'],
      ['management.vendor.9000', null, 'session'],
    ]);
  });

  it('names the key of a bad app or exchange', () => {
    const bad = (extra: string) => file(`
entries:
  - { id: management.a.1, section: management, transport: tcp, port: 1, name: A, listener: firewall, clients: [endpoint] }
  - { id: management.b.2, section: management, transport: tcp, port: 2, name: B, listener: firewall, clients: [endpoint], ${extra} }
`);
    const app = bad('app: rdp');
    expect(() => loadCatalog(app)).toThrow(
      `${app}: entries[1].app: must be one of tls, ssh, http, ldap, kerberos, ntp, snmp, radius, syslog, dcerpc, smb, icmp, null`,
    );
    const exchange = bad('exchange: request/response');
    expect(() => loadCatalog(exchange)).toThrow(`${exchange}: entries[1].exchange: must be one of request-response, one-way, session, null`);
  });

  it('does not let a move change app or exchange', () => {
    const catalog = loadCatalog(file('move:\n  management.netflow.2055: 9995\n'));
    expect(catalog.entries.find((e) => e.id === 'management.netflow.2055')).toMatchObject({ port: 9995, app: null, exchange: 'one-way' });
  });

  it('reads JSON too', () => {
    const catalog = loadCatalog(file('{ "move": { "management.mdm.5008": 7443 } }', 'custom.json'));
    expect(catalog.entries.find((e) => e.id === 'management.mdm.5008')?.port).toBe(7443);
  });

  it('moves a configurable entry, keeping its id', () => {
    const catalog = loadCatalog(file('move:\n  management.netflow.2055: 9995\n'));
    const netflow = catalog.entries.filter((e) => e.id === 'management.netflow.2055');
    expect(netflow).toHaveLength(1);
    expect(netflow[0]).toMatchObject({ transport: 'udp', port: 9995 });
    expect(catalog.entries.some((e) => e.port === 2055)).toBe(false);
    // The built-in catalog itself is untouched.
    expect(builtinCatalog().entries.find((e) => e.id === 'management.netflow.2055')?.port).toBe(2055);
  });

  it('refuses to move an entry that is not configurable, naming the key', () => {
    const path = file('move:\n  management.ssh.22: 2222\n');
    expect(() => loadCatalog(path)).toThrow(`${path}: move.management.ssh.22: entry is not configurable`);
  });

  it('refuses to move an unknown entry or to a bad port', () => {
    expect(() => loadCatalog(file('move:\n  management.nope.1: 2\n'))).toThrow('move.management.nope.1: no such entry');
    expect(() => loadCatalog(file('move:\n  management.netflow.2055: high\n'))).toThrow(
      'move.management.netflow.2055: must be an integer from 0 to 65535',
    );
  });

  it('names the key of a bad port type', () => {
    const path = file(`
entries:
  - { id: management.a.1, section: management, transport: tcp, port: 1, name: A, listener: firewall, clients: [endpoint] }
  - { id: management.b.2, section: management, transport: tcp, port: "2", name: B, listener: firewall, clients: [endpoint] }
`);
    expect(() => loadCatalog(path)).toThrow(`${path}: entries[1].port: must be an integer from 0 to 65535`);
  });

  it('rejects an added entry whose id is already taken', () => {
    const path = file(`
entries:
  - { id: management.ssh.22, section: management, transport: tcp, port: 22, name: A, listener: firewall, clients: [endpoint] }
`);
    expect(() => loadCatalog(path)).toThrow('entries[0].id: duplicate id "management.ssh.22"');
  });

  it('lets an added entry follow a built-in one', () => {
    const catalog = loadCatalog(file(`
entries:
  - { id: user-id.wmi-fixed.24158, section: user-id, transport: tcp, port: 24158, after: user-id.rpc-epmap.135,
      name: Fixed WMI port, listener: directory-server, clients: [user-id-agent] }
`));
    expect(catalog.entries.at(-1)?.after).toBe('user-id.rpc-epmap.135');
  });

  it('rejects unknown top-level keys', () => {
    const path = file('entries: []\nmoves:\n  management.netflow.2055: 9995\n');
    expect(() => loadCatalog(path)).toThrow(`${path}: moves: unknown key`);
  });

  it('rejects malformed YAML', () => {
    const path = file('entries: [\n  - id: x\n');
    expect(() => loadCatalog(path)).toThrow(`${path}: not valid YAML or JSON:`);
  });

  it('rejects a document that is not a mapping', () => {
    expect(() => loadCatalog(file('- 1\n- 2\n'))).toThrow('top level: must be object');
  });

  it('reports a missing file', () => {
    const path = join(dir, 'missing.yaml');
    expect(() => loadCatalog(path)).toThrow(`${path}: cannot read file (ENOENT)`);
  });
});
