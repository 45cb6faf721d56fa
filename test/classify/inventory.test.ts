import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Inventory, isPanDevice, loadInventory } from '../../src/classify/inventory.js';

const dir = mkdtempSync(join(tmpdir(), 'pantap-roles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string, name = `roles${n++}.yaml`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadInventory', () => {
  const inventory = loadInventory(file(`
firewall: [10.99.1.1, 10.99.2.0/24, "00:1B:17:03:01:01", "2001:db8:1::/48"]
panorama: [10.99.0.10, "fe80::10"]
log-collector: [10.99.0.10, 10.99.0.11]
syslog-server: [192.0.2.5]
`));

  it('finds addresses, prefixes and MACs', () => {
    expect([...inventory.rolesOf('10.99.1.1')]).toEqual(['firewall']);
    expect([...inventory.rolesOf('10.99.2.200')]).toEqual(['firewall']);
    expect([...inventory.rolesOf('00:1b:17:03:01:01')]).toEqual(['firewall']);
    expect([...inventory.rolesOf('2001:db8:1:ff::1')]).toEqual(['firewall']);
    expect([...inventory.rolesOf('192.0.2.5')]).toEqual(['syslog-server']);
  });

  it('returns every role of an address listed twice', () => {
    expect(inventory.rolesOf('10.99.0.10')).toEqual(new Set(['panorama', 'log-collector']));
  });

  it('compares IPv6 in any textual form', () => {
    expect([...inventory.rolesOf('fe80:0:0:0:0:0:0:10')]).toEqual(['panorama']);
  });

  it('returns nothing for unlisted addresses', () => {
    expect(inventory.rolesOf('10.99.3.1').size).toBe(0);
    expect(inventory.rolesOf('00:1b:17:03:01:02').size).toBe(0);
    expect(inventory.rolesOf('not-an-address').size).toBe(0);
  });

  it('reads JSON', () => {
    const inv = loadInventory(file('{ "user-id-agent": ["10.1.1.1"] }', 'roles.json'));
    expect([...inv.rolesOf('10.1.1.1')]).toEqual(['user-id-agent']);
  });

  it('names the bad item', () => {
    const path = file('panorama: [10.0.0.1, 10.0.0.2, panorama-1]\n');
    expect(() => loadInventory(path)).toThrow(`${path}: panorama[2]: not an IP address, prefix or MAC address`);
  });

  it.each([
    ['firewall: [10.0.0.0/33]\n', 'firewall[0]: not an IP address, prefix or MAC address'],
    ['firewall: ["10.0.0.0/"]\n', 'firewall[0]: not an IP address, prefix or MAC address'],
    ['firewall: ["fe80::/129"]\n', 'firewall[0]: not an IP address, prefix or MAC address'],
    ['firewall: [42]\n', 'firewall[0]: not an IP address, prefix or MAC address'],
    ['firewall: 10.0.0.1\n', 'firewall: must be a list of addresses'],
    ['router: [10.0.0.1]\n', 'router: unknown role (roles: firewall, panorama, log-collector, user-id-agent,'],
    ['- 10.0.0.1\n', 'top level: must be a mapping of role to addresses'],
    ['firewall: [10.0.0.1\n', 'not valid YAML or JSON:'],
  ])('rejects %j', (text, message) => {
    expect(() => loadInventory(file(text))).toThrow(message);
  });

  it('reports a missing file', () => {
    const path = join(dir, 'missing.yaml');
    expect(() => loadInventory(path)).toThrow(`${path}: cannot read file (ENOENT)`);
  });

  it('builds from an already parsed document', () => {
    const inv = Inventory.fromDocument({ 'log-collector': ['10.0.0.0/8'] }, 'x');
    expect([...inv.rolesOf('10.2.3.4')]).toEqual(['log-collector']);
  });
});

describe('isPanDevice', () => {
  it('is true for the four PAN device roles only', () => {
    expect(['firewall', 'panorama', 'log-collector', 'user-id-agent'].every((r) => isPanDevice(r as never))).toBe(true);
    expect(isPanDevice('syslog-server')).toBe(false);
    expect(isPanDevice('admin-client')).toBe(false);
  });
});
