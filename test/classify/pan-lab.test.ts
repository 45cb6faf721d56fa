// Every purposeful flow of every pan-lab capture is found with the expected section, server
// side, server port and outcome; noise (ARP) never lands in a PAN section. The captures
// are bundled in fixtures/pan-lab (copied from ../shared/captures/pan-lab).
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import type { FlowRecord } from '../../src/report/model.js';
import { REPO } from '../helpers/shared.js';

const DIR = resolve(REPO, 'fixtures/pan-lab');
const ROLES = resolve(DIR, 'lab-roles.yaml');
const CAPTURES = readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort();

interface TruthFlow {
  id: string;
  transport: string;
  client: string;
  server: string;
  client_port: number | null;
  server_port: number | null;
  section: string;
  outcome: string;
  catalog_port: number | null;
}

function find(flows: FlowRecord[], t: TruthFlow): FlowRecord | undefined {
  const tr = t.transport === 'ip99' ? 'ip' : t.transport.startsWith('ethertype') ? 'ethertype' : t.transport;
  return flows.find(
    (x) =>
      x.transport === tr &&
      x.client === t.client &&
      x.server === t.server &&
      (t.client_port === null || x.clientPort === t.client_port) &&
      (t.server_port === null || x.serverPort === t.server_port),
  );
}

// The truth's "established" means the handshake completed; we also say how it ended.
const HANDSHAKE = ['established', 'closed', 'reset'];

function outcomeOk(t: TruthFlow, f: FlowRecord): boolean {
  if (t.outcome === 'n/a') return f.transport !== 'tcp';
  if (t.outcome === 'established') return HANDSHAKE.includes(f.state ?? '');
  return f.state === t.outcome;
}

describe.each(CAPTURES)('pan-lab %s', (name) => {
  const truth = JSON.parse(readFileSync(resolve(DIR, name.replace('.pcap', '.truth.json')), 'utf8')) as { flows: TruthFlow[]; frames_total: number };

  it('with the lab inventory: every truth flow has its section, server, port and outcome', async () => {
    const { summary } = await analyzeCaptures([resolve(DIR, name)], { workers: 0, allFlows: true, rolesFile: ROLES });
    expect(summary.input.packets).toBe(truth.frames_total);
    for (const t of truth.flows) {
      const f = find(summary.flows, t);
      expect(f, `${t.id} found`).toBeDefined();
      // With an inventory, traffic between two non-PAN hosts is "other", which the truth calls unexpected.
      const section = t.section === 'unexpected' && f!.section === 'other' ? 'unexpected' : f!.section;
      expect(section, `${t.id} section`).toBe(t.section);
      expect(outcomeOk(t, f!), `${t.id} outcome ${f!.state} vs ${t.outcome}`).toBe(true);
      if (t.catalog_port !== null && t.transport !== 'ip99') expect(f!.entries.length, `${t.id} entries`).toBeGreaterThan(0);
    }
    // Noise (ARP) is never classified into a PAN section.
    for (const f of summary.flows.filter((x) => x.transport === 'ethertype' && x.ethertype === 0x0806)) expect(f.section).toBe('other');
  });

  it('without an inventory: roles inferred from distinctive ports', async () => {
    const { summary } = await analyzeCaptures([resolve(DIR, name)], { workers: 0, allFlows: true });
    let right = 0;
    for (const t of truth.flows) {
      const f = find(summary.flows, t);
      expect(f, `${t.id} found`).toBeDefined();
      if (f!.section === t.section && outcomeOk(t, f!)) right++;
    }
    // a07-07 (admin → standby Panorama web port, RST) cannot be told from a firewall's web
    // port without an inventory: its candidates keep both sections, listed under management.
    const expected = name === 'a07_mixed.pcap' ? truth.flows.length - 1 : truth.flows.length;
    expect(right).toBe(expected);
  });
});
