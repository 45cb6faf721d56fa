// The built-in catalog against the source tables ("Reference: Port Numbers Used by Palo
// Alto Networks Devices"). The rows below were typed in from the source text, one per
// table row and transport, with the id each must keep.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/catalog/load.js';
import type { AppName, CatalogEntry, Exchange } from '../../src/catalog/schema.js';

const SOURCE_ROWS: [section: string, transport: 'tcp' | 'udp', port: number, id: string][] = [
  // Ports Used for Management Functions
  ['management', 'tcp', 22, 'management.ssh.22'],
  ['management', 'tcp', 80, 'management.ocsp.80'],
  ['management', 'udp', 123, 'management.ntp.123'],
  ['management', 'tcp', 443, 'management.https.443'],
  ['management', 'udp', 162, 'management.snmp-trap.162'],
  ['management', 'udp', 161, 'management.snmp.161'],
  ['management', 'tcp', 514, 'management.syslog-tcp.514'],
  ['management', 'udp', 514, 'management.syslog-udp.514'],
  ['management', 'tcp', 6514, 'management.syslog-tls.6514'],
  ['management', 'udp', 2055, 'management.netflow.2055'],
  ['management', 'tcp', 5008, 'management.mdm.5008'],
  ['management', 'tcp', 6081, 'management.captive-portal.6081'],
  ['management', 'tcp', 6082, 'management.captive-portal.6082'],
  // Ports Used for HA
  ['ha', 'tcp', 28769, 'ha.ha1-clear.28769'],
  ['ha', 'tcp', 28260, 'ha.ha1-clear.28260'],
  ['ha', 'tcp', 28, 'ha.ha1-ssh.28'],
  ['ha', 'tcp', 28770, 'ha.ha1-backup.28770'],
  ['ha', 'tcp', 28771, 'ha.heartbeat-backup.28771'],
  ['ha', 'udp', 29281, 'ha.ha2-udp.29281'],
  // Ports Used for Panorama
  ['panorama', 'tcp', 22, 'panorama.ssh.22'],
  ['panorama', 'tcp', 443, 'panorama.https.443'],
  ['panorama', 'tcp', 3978, 'panorama.device-mgmt.3978'],
  ['panorama', 'tcp', 28769, 'panorama.ha-clear.28769'],
  ['panorama', 'tcp', 28260, 'panorama.ha-clear.28260'],
  ['panorama', 'tcp', 49160, 'panorama.ha-clear.49160'],
  ['panorama', 'tcp', 28, 'panorama.ha-ssh.28'],
  ['panorama', 'tcp', 28270, 'panorama.collector-group.28270'],
  ['panorama', 'tcp', 49190, 'panorama.collector-group.49190'],
  ['panorama', 'tcp', 2049, 'panorama.nfs.2049'],
  // Ports Used for User-ID
  ['user-id', 'tcp', 389, 'user-id.ldap.389'],
  ['user-id', 'tcp', 636, 'user-id.ldaps.636'],
  ['user-id', 'tcp', 514, 'user-id.syslog-tcp.514'],
  ['user-id', 'udp', 514, 'user-id.syslog-udp.514'],
  ['user-id', 'tcp', 6514, 'user-id.syslog-tls.6514'],
  ['user-id', 'tcp', 5007, 'user-id.agent-mapping.5007'],
  ['user-id', 'tcp', 5006, 'user-id.xml-api.5006'],
  ['user-id', 'udp', 88, 'user-id.kerberos.88'],
  ['user-id', 'udp', 1812, 'user-id.radius.1812'],
  ['user-id', 'tcp', 135, 'user-id.rpc-epmap.135'],
  ['user-id', 'tcp', 139, 'user-id.netbios.139'],
  ['user-id', 'tcp', 445, 'user-id.smb.445'],
];

// What each entry expects on the wire, decided from the source text (and the tls flag)
// and typed in here by hand: the application (null: proprietary, not one pantap tells,
// or not stated), and the kind of exchange (see EXCHANGES in schema.ts).
const EXPECTED: [id: string, app: AppName | null, exchange: Exchange | null][] = [
  ['management.ssh.22', 'ssh', 'session'],
  ['management.ocsp.80', 'http', 'request-response'],
  ['management.ntp.123', 'ntp', 'request-response'],
  ['management.https.443', 'tls', 'session'],
  ['management.snmp-trap.162', 'snmp', 'one-way'],
  ['management.snmp.161', 'snmp', 'request-response'],
  ['management.syslog-tcp.514', 'syslog', 'one-way'],
  ['management.syslog-udp.514', 'syslog', 'one-way'],
  ['management.syslog-tls.6514', 'tls', 'one-way'],
  ['management.netflow.2055', null, 'one-way'],
  ['management.mdm.5008', null, 'request-response'],
  ['management.captive-portal.6081', null, 'session'],
  ['management.captive-portal.6082', null, 'session'],
  ['ha.ha1-clear.28769', null, 'session'],
  ['ha.ha1-clear.28260', null, 'session'],
  ['ha.ha1-ssh.28', 'ssh', 'session'],
  ['ha.ha1-backup.28770', null, 'session'],
  ['ha.heartbeat-backup.28771', null, 'session'],
  ['ha.ha2-udp.29281', null, 'one-way'],
  ['ha.ha2-ip.99', null, 'one-way'],
  ['ha.ha2-ether.7261', null, 'one-way'],
  ['ha.heartbeat-icmp.1', 'icmp', 'request-response'],
  ['ha.heartbeat-icmpv6.58', 'icmp', 'request-response'],
  ['panorama.ssh.22', 'ssh', 'session'],
  ['panorama.https.443', 'tls', 'session'],
  ['panorama.device-mgmt.3978', 'tls', 'session'],
  ['panorama.ha-clear.28769', null, 'session'],
  ['panorama.ha-clear.28260', null, 'session'],
  ['panorama.ha-clear.49160', null, 'session'],
  ['panorama.ha-ssh.28', 'ssh', 'session'],
  ['panorama.collector-group.28270', null, 'session'],
  ['panorama.collector-group.49190', null, 'session'],
  ['panorama.nfs.2049', null, 'session'],
  ['user-id.ldap.389', 'ldap', 'request-response'],
  ['user-id.ldaps.636', 'tls', 'request-response'],
  ['user-id.syslog-tcp.514', 'syslog', 'one-way'],
  ['user-id.syslog-udp.514', 'syslog', 'one-way'],
  ['user-id.syslog-tls.6514', 'tls', 'one-way'],
  ['user-id.agent-mapping.5007', null, 'session'],
  ['user-id.xml-api.5006', null, 'request-response'],
  ['user-id.kerberos.88', 'kerberos', 'request-response'],
  ['user-id.radius.1812', 'radius', 'request-response'],
  ['user-id.rpc-epmap.135', 'dcerpc', 'request-response'],
  ['user-id.rpc-dynamic.49152-65535', 'dcerpc', 'request-response'],
  ['user-id.netbios.139', null, 'session'],
  ['user-id.smb.445', 'smb', 'session'],
];

const catalog = builtinCatalog();
const byId = (id: string): CatalogEntry => {
  const e = catalog.entries.find((x) => x.id === id);
  if (!e) throw new Error(`no entry ${id}`);
  return e;
};

describe('built-in catalog', () => {
  it('lists the sections in order', () => {
    expect(catalog.sections.map((s) => s.id)).toEqual(['management', 'ha', 'panorama', 'user-id']);
  });

  it.each(SOURCE_ROWS)('%s %s/%i is entry %s', (section, transport, port, id) => {
    const matches = catalog.entries.filter((e) => e.section === section && e.transport === transport && e.port === port);
    expect(matches.map((e) => e.id)).toEqual([id]);
    expect(matches[0]).toMatchObject({ ipProtocol: null, ethertype: null });
  });

  it('has exactly the 41 port/transport pairs of the source, 13/6/10/12 per section', () => {
    const withPort = catalog.entries.filter((e) => e.port !== null);
    expect(withPort).toHaveLength(41);
    expect(SOURCE_ROWS).toHaveLength(41);
    const count = (s: string) => withPort.filter((e) => e.section === s).length;
    expect([count('management'), count('ha'), count('panorama'), count('user-id')]).toEqual([13, 6, 10, 12]);
  });

  it('has HA2 over IP protocol 99 and over ethertype 0x7261', () => {
    expect(byId('ha.ha2-ip.99')).toMatchObject({ section: 'ha', transport: 'ip', port: null, ipProtocol: 99, ethertype: null });
    expect(byId('ha.ha2-ether.7261')).toMatchObject({ section: 'ha', transport: 'ethertype', port: null, ipProtocol: null, ethertype: 0x7261 });
  });

  it('has the RPC dynamic range after the 135 connection', () => {
    expect(byId('user-id.rpc-dynamic.49152-65535')).toMatchObject({
      section: 'user-id', transport: 'tcp', port: null, portRange: [49152, 65535], after: 'user-id.rpc-epmap.135',
    });
  });

  it('has the HA1 heartbeat as derived entries of IP protocols 1 and 58 (no source row: ICMP has no port)', () => {
    expect(byId('ha.heartbeat-icmp.1')).toMatchObject({ section: 'ha', transport: 'ip', port: null, ipProtocol: 1, listener: 'firewall', clients: ['firewall'] });
    expect(byId('ha.heartbeat-icmpv6.58')).toMatchObject({ section: 'ha', transport: 'ip', port: null, ipProtocol: 58, listener: 'firewall', clients: ['firewall'] });
  });

  it('has 46 entries in all, with unique ids of the form section.name.port', () => {
    const ids = catalog.entries.map((e) => e.id);
    expect(ids).toHaveLength(46);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of catalog.entries) expect(e.id).toMatch(new RegExp(`^${e.section}\\.[a-z0-9-]+\\.[0-9a-f-]+$`));
  });

  it('carries the PAN-OS version notes of the Panorama rows', () => {
    const versioned = Object.fromEntries(catalog.entries.filter((e) => e.versions).map((e) => [e.id, e.versions]));
    expect(versioned).toEqual({
      'panorama.ha-clear.28769': { min: '5.1' },
      'panorama.ha-clear.28260': { min: '5.0' },
      'panorama.ha-clear.49160': { max: '5.0' },
      'panorama.collector-group.28270': { min: '6.0' },
      'panorama.collector-group.49190': { max: '5.1' },
    });
  });

  it('marks exactly management 443, NetFlow 2055 and MDM 5008 configurable', () => {
    expect(catalog.entries.filter((e) => e.configurable).map((e) => e.id).sort()).toEqual(
      ['management.https.443', 'management.mdm.5008', 'management.netflow.2055'],
    );
  });

  it('marks TLS on 6514, 636 and 443', () => {
    expect(catalog.entries.filter((e) => e.tls).map((e) => e.id).sort()).toEqual([
      'management.https.443', 'management.syslog-tls.6514', 'panorama.https.443', 'user-id.ldaps.636', 'user-id.syslog-tls.6514',
    ]);
  });

  it.each(EXPECTED)('%s expects app %s, exchange %s', (id, app, exchange) => {
    expect(byId(id)).toMatchObject({ app, exchange });
  });

  it('states app and exchange for every entry, in catalog order', () => {
    expect(catalog.entries.map((e) => e.id)).toEqual(EXPECTED.map(([id]) => id));
  });

  it('spells out app and exchange on every entry of the file (no schema defaults)', () => {
    const raw = JSON.parse(readFileSync(new URL('../../src/catalog/pan-ports.json', import.meta.url), 'utf8')) as {
      entries: Record<string, unknown>[];
    };
    expect(raw.entries).toHaveLength(46);
    for (const e of raw.entries) expect(Object.keys(e), String(e.id)).toEqual(expect.arrayContaining(['app', 'exchange']));
  });

  it('expects TLS on the wire of every entry marked tls', () => {
    for (const e of catalog.entries.filter((x) => x.tls)) expect(e.app, e.id).toBe('tls');
  });

  it('infers roles only from distinctive entries', () => {
    const infer = Object.fromEntries(catalog.entries.filter((e) => e.infer).map((e) => [e.id, e.infer]));
    const peers = { server: 'firewall', client: 'firewall' };
    expect(infer).toEqual({
      'ha.ha1-backup.28770': peers,
      'ha.heartbeat-backup.28771': peers,
      'ha.ha2-udp.29281': peers,
      'ha.ha2-ip.99': peers,
      'ha.ha2-ether.7261': peers,
      'panorama.device-mgmt.3978': { server: 'panorama' },
      'panorama.ha-clear.49160': { server: 'panorama', client: 'panorama' },
      'panorama.collector-group.28270': { server: 'log-collector', client: 'log-collector' },
      'panorama.collector-group.49190': { server: 'log-collector', client: 'log-collector' },
      // 5007 alone does not decide: a firewall or a Windows User-ID agent may listen there.
      'user-id.agent-mapping.5007': { serverOneOf: ['firewall', 'user-id-agent'] },
      'user-id.xml-api.5006': { server: 'user-id-agent' },
    });
  });

  it('names who listens', () => {
    expect(byId('management.ocsp.80').listener).toBe('firewall');
    expect(byId('management.snmp-trap.162').listener).toBe('snmp-manager');
    expect(byId('management.netflow.2055').listener).toBe('netflow-collector');
    expect(byId('panorama.device-mgmt.3978').listener).toBe('panorama');
    expect(byId('user-id.syslog-udp.514').listener).toBe('user-id-agent');
    expect(byId('user-id.agent-mapping.5007').listener).toBe('firewall');
    expect(byId('panorama.nfs.2049').listener).toBe('nfs-server');
  });
});
