// The schema and cross-field checks applied to any catalog document.
import { describe, expect, it } from 'vitest';
import { validateCatalog } from '../../src/catalog/load.js';
import { APPS, EXCHANGES } from '../../src/catalog/schema.js';

const sections = [{ id: 'management', title: 'Management' }];
const entry = (over: Record<string, unknown> = {}) => ({
  id: 'management.ssh.22', section: 'management', transport: 'tcp', port: 22,
  name: 'SSH', listener: 'firewall', clients: ['admin-client'], ...over,
});
const check = (entries: unknown[]) => () => validateCatalog({ sections, entries }, 'cat.json');

describe('catalog validation', () => {
  it('accepts a minimal entry and fills the defaults', () => {
    const catalog = validateCatalog({ sections, entries: [entry()] }, 'cat.json');
    expect(catalog.entries[0]).toMatchObject({
      ipProtocol: null, ethertype: null, description: '', tls: false, app: null, exchange: null, configurable: false,
    });
  });

  it('accepts every app and exchange, and null for either', () => {
    const entries = [
      ...APPS.map((app, i) => entry({ id: `management.app.${i}`, port: i, app })),
      ...EXCHANGES.map((exchange, i) => entry({ id: `management.exchange.${i}`, port: 100 + i, exchange })),
      entry({ id: 'management.none.200', port: 200, app: null, exchange: null }),
    ];
    const catalog = validateCatalog({ sections, entries }, 'cat.json');
    expect(catalog.entries.map((e) => e.app)).toEqual([...APPS, ...EXCHANGES.map(() => null), null]);
    expect(catalog.entries.map((e) => e.exchange)).toEqual([...APPS.map(() => null), ...EXCHANGES, null]);
  });

  it.each([
    [{ port: 70000 }, 'cat.json: entries[0].port: must be an integer from 0 to 65535'],
    [{ port: '22' }, 'cat.json: entries[0].port: must be an integer from 0 to 65535'],
    [{ ipProtocol: 300, transport: 'ip', port: null }, 'cat.json: entries[0].ipProtocol: must be an integer from 0 to 255'],
    [{ transport: 'sctp' }, 'cat.json: entries[0].transport: must be one of tcp, udp, ip, ethertype'],
    [{ listener: 'printer' }, 'entries[0].listener: must be one of firewall, panorama,'],
    [{ clients: [] }, 'entries[0].clients: must NOT have fewer than 1 items'],
    [{ colour: 'red' }, 'entries[0].colour: unknown key'],
    [{ name: undefined }, 'entries[0].name: is required'],
    [{ app: 'telnet' }, 'cat.json: entries[0].app: must be one of tls, ssh, http, ldap, kerberos, ntp, snmp, radius, syslog, dcerpc, smb, icmp, null'],
    [{ app: 'TLS' }, 'entries[0].app: must be one of tls, ssh,'],
    [{ app: false }, 'entries[0].app: must be one of tls, ssh,'],
    [{ exchange: 'request' }, 'cat.json: entries[0].exchange: must be one of request-response, one-way, session, null'],
    [{ exchange: '' }, 'entries[0].exchange: must be one of request-response, one-way, session, null'],
    [{ versions: { min: 'five' } }, 'entries[0].versions.min: must match pattern'],
    [{ id: 'ha.ssh.22' }, 'entries[0].id: must start with "management."'],
    [{ port: null }, 'entries[0].port: required for a tcp entry'],
    [{ ipProtocol: 6 }, 'entries[0].ipProtocol: not allowed for a tcp entry'],
    [{ portRange: [1000, 2000] }, 'entries[0].portRange: cannot be combined with port'],
    [{ port: null, portRange: [2000, 1000] }, 'entries[0].portRange: start must not exceed end'],
    [{ transport: 'ethertype', port: null }, 'entries[0].ethertype: required for a ethertype entry'],
    [{ after: 'management.nope.1' }, 'entries[0].after: unknown entry "management.nope.1"'],
  ])('rejects %j', (over, message) => {
    expect(check([entry(over)])).toThrow(message);
  });

  it('rejects duplicate ids', () => {
    expect(check([entry(), entry()])).toThrow('entries[1].id: duplicate id "management.ssh.22"');
  });

  it('rejects entries in a section the catalog does not list', () => {
    expect(check([entry({ id: 'ha.x.1', section: 'ha' })])).toThrow('entries[0].section: "ha" is not a listed section');
  });

  it('rejects a document that is not a catalog', () => {
    expect(() => validateCatalog([], 'cat.json')).toThrow('cat.json: top level: must be object');
    expect(() => validateCatalog({ sections }, 'cat.json')).toThrow('cat.json: entries: is required');
    expect(() => validateCatalog({ sections: [...sections, ...sections], entries: [] }, 'cat.json')).toThrow(
      'sections[1].id: duplicate section "management"',
    );
  });

  it('raises CatalogError', () => {
    expect(check([entry({ port: -1 })])).toThrow(expect.objectContaining({ name: 'CatalogError', code: 'CATALOG' }));
  });
});
