// Roles from what the packets show (roles.ts): a 5007 listener is a firewall or a Windows
// User-ID agent, and only the other channels of the listener or of its client say which.
// Each case is a scripted capture run through the whole analysis; each role says what it
// rests on.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { renderText } from '../../src/report/text.js';
import { tempDir } from '../helpers/build.js';
import { TcpScript } from '../helpers/tcp-script.js';

const tmp = tempDir('pantap-roles-');
afterAll(() => tmp.remove());

const FW = '10.20.0.1';
const PANORAMA = '10.20.0.5';
const AGENT = '10.20.0.40';

/** One capture of several TCP conversations (client, server, server port), one after the other. */
let n = 0;
async function analyze(convs: [client: string, server: string, port: number][]) {
  const all = new TcpScript(convs[0][0], convs[0][1], 40000, convs[0][2]);
  for (const [i, [c, s, port]] of convs.entries()) {
    const t = new TcpScript(c, s, 40001 + i, port).handshake();
    t.c(new Uint8Array(40).fill(1)).s(new Uint8Array(40).fill(2)).fin();
    for (const f of t.frames) all.raw(f.data);
  }
  const path = all.write(join(tmp.dir, `r${n++}.pcap`));
  const { summary } = await analyzeCaptures([path], { workers: 0, allFlows: true });
  return summary;
}

describe('roles on User-ID 5007', () => {
  it('a Windows agent listening on 5007, the firewall (a Panorama 3978 client) connecting: the agent is not called a firewall', async () => {
    const s = await analyze([
      [FW, PANORAMA, 3978],
      [FW, AGENT, 5007],
    ]);
    expect(s.roles).toEqual([
      { address: AGENT, roles: ['user-id-agent'], source: 'inferred', evidence: [`5007 listener reached by PAN device ${FW} (3978 client to panorama ${PANORAMA})`], possible: [] },
      { address: PANORAMA, roles: ['panorama'], source: 'inferred', evidence: [`3978 server for ${FW}`], possible: [] },
    ]);
    // The 5007 flow keeps its User-ID entry whatever the listener is.
    expect(s.flows.find((f) => f.serverPort === 5007)).toMatchObject({ client: FW, server: AGENT, section: 'user-id', entries: ['user-id.agent-mapping.5007'] });
  });

  it('a firewall listening on 5007 that also talks 3978 to Panorama is a firewall, with that evidence', async () => {
    const s = await analyze([
      [AGENT, FW, 5007],
      [FW, PANORAMA, 3978],
    ]);
    expect(s.roles).toEqual([
      {
        address: FW,
        roles: ['firewall'],
        source: 'inferred',
        evidence: [`3978 client to panorama ${PANORAMA}`, `listens on 5007 (Agent → firewall mappings) for ${AGENT}`],
        possible: [],
      },
      { address: PANORAMA, roles: ['panorama'], source: 'inferred', evidence: [`3978 server for ${FW}`], possible: [] },
    ]);
  });

  it('with no other channel, the 5007 listener is left open: firewall or user-id-agent (unknown)', async () => {
    const s = await analyze([[AGENT, FW, 5007]]);
    expect(s.roles).toEqual([
      {
        address: FW,
        roles: [],
        source: 'inferred',
        evidence: [`listens on 5007 (Agent → firewall mappings) for ${AGENT}; no other channel says which`],
        possible: ['firewall', 'user-id-agent'],
      },
    ]);
    const text = renderText(s, { color: false, width: 200 });
    expect(text).toMatch(new RegExp(`${FW.replace(/\./g, '\\.')} +firewall or user-id-agent \\(unknown\\) +inferred +listens on 5007`));
  });

  it('a client proven to be a User-ID agent (its own 5006 listener) makes the 5007 listener the firewall', async () => {
    const s = await analyze([
      ['10.20.0.10', AGENT, 5006],
      [AGENT, FW, 5007],
    ]);
    expect(s.roles.find((r) => r.address === FW)).toEqual({
      address: FW,
      roles: ['firewall'],
      source: 'inferred',
      evidence: [`5007 listener for user-id-agent ${AGENT} (5006 server for 10.20.0.10)`],
      possible: [],
    });
  });

  it('the inventory decides, and says so', async () => {
    const path = join(tmp.dir, 'inv.yaml');
    writeFileSync(path, `user-id-agent: [${FW}]\n`);
    const t = new TcpScript(AGENT, FW, 40000, 5007).handshake().fin();
    const { summary } = await analyzeCaptures([t.write(join(tmp.dir, 'inv.pcap'))], { workers: 0, allFlows: true, rolesFile: path });
    expect(summary.roles).toEqual([{ address: FW, roles: ['user-id-agent'], source: 'inventory', evidence: ['inventory (--roles)'], possible: [] }]);
  });
});
