import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/catalog/load.js';
import { renderCatalog } from '../../src/cli/catalog-command.js';

const catalog = builtinCatalog();
const ESC = '\u001b[';

describe('renderCatalog', () => {
  it('prints one table per section, in catalog order', () => {
    const out = renderCatalog(catalog, { format: 'table', color: false });
    const titles = catalog.sections.map((s) => out.indexOf(`${s.title}\n`));
    expect(titles.every((i) => i >= 0)).toBe(true);
    expect([...titles].sort((a, b) => a - b)).toEqual(titles);
    for (const h of ['Port', 'Transport', 'App', 'Name', 'Listener', 'Versions', 'Configurable', 'Id']) expect(out).toContain(h);
    expect(out).not.toContain(ESC);
    expect(out).toMatch(/│ 28769 +│ tcp +│ +│ Panorama HA clear text +│ panorama +│ 5\.1 and later +│ no +│ panorama\.ha-clear\.28769 +│/);
    expect(out).toMatch(/│ 2055 +│ udp +│ +│ NetFlow export +│ netflow-collector +│ +│ yes +│/);
    expect(out).toMatch(/│ 6514 +│ tcp \(TLS\) +│ tls +│/);
    expect(out).toMatch(/│ 88 +│ udp +│ kerberos +│ Kerberos +│/);
  });

  it('filters one section', () => {
    const out = renderCatalog(catalog, { section: 'ha', format: 'table', color: false });
    expect(out).toContain('ha.ha1-clear.28769');
    expect(out).toMatch(/│ 99 +│ ip +│/);
    expect(out).toMatch(/│ 0x7261 +│ ethertype +│/);
    expect(out).not.toContain('panorama.');
    expect(out).not.toContain('management.');
  });

  it('colours only when asked', () => {
    expect(renderCatalog(catalog, { section: 'ha', format: 'table', color: true })).toContain(ESC);
  });

  it('prints JSON with a stable shape', () => {
    const doc = JSON.parse(renderCatalog(catalog, { format: 'json', color: true }));
    expect(Object.keys(doc)).toEqual(['schema', 'sections', 'entries']);
    expect(doc.schema).toBe('pantap.catalog.v1');
    expect(doc.sections.map((s: { id: string }) => s.id)).toEqual(['management', 'ha', 'panorama', 'user-id']);
    expect(doc.entries).toHaveLength(catalog.entries.length);
    const keys = Object.keys(doc.entries[0]);
    for (const e of doc.entries) expect(Object.keys(e)).toEqual(keys);
    expect(doc.entries.find((e: { id: string }) => e.id === 'panorama.ha-clear.49160')).toMatchObject({
      transport: 'tcp', port: 49160, ipProtocol: null, ethertype: null, portRange: null, versions: { max: '5.0' },
      app: null, exchange: 'session',
    });
    expect(keys).toEqual(expect.arrayContaining(['tls', 'app', 'exchange']));
    expect(doc.entries.find((e: { id: string }) => e.id === 'management.snmp.161')).toMatchObject({ app: 'snmp', exchange: 'request-response' });
  });

  it('filters JSON by section', () => {
    const doc = JSON.parse(renderCatalog(catalog, { section: 'user-id', format: 'json', color: false }));
    expect(doc.sections).toEqual([{ id: 'user-id', title: 'User-ID' }]);
    expect(doc.entries).toHaveLength(13);
    expect(doc.entries.every((e: { section: string }) => e.section === 'user-id')).toBe(true);
  });

  it('rejects an unknown section, listing the valid ones', () => {
    expect(() => renderCatalog(catalog, { section: 'vpn', format: 'table', color: false })).toThrow(
      expect.objectContaining({ name: 'UsageError', message: 'unknown section "vpn" (valid: management, ha, panorama, user-id)' }),
    );
  });
});
