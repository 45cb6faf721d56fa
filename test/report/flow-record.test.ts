// orderedFlow's shortcut: a record flowRecord made (with judge's TCP facts) is written as it
// is, without the copy that puts keys in FLOW_RECORD_KEYS' order. Held here to the copy's
// result on real captures, so a key moved in flowRecord's or tcpFacts' literal, a key left
// out or an undefined value (JSON drops it, the copy writes null) fails.
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import { FLOW_RECORD_KEYS, orderedFlow, type FlowRecord } from '../../src/report/flow-record.js';
import { renderJson, renderJsonChunks } from '../../src/report/json.js';

const CAPTURES = [
  'pan-lab/a01_management.pcap',
  'pan-lab/a02_ha.pcap',
  'pan-lab/a03_panorama.pcap',
  'pan-lab/a04_userid.pcap',
  'pan-lab/a05_unexpected.pcap',
  'pan-lab/a06_failures.pcap',
  'pan-lab/a07_mixed.pcap',
  'ha-outage/h01_ha_outage.pcap',
  // TLS (its alerts and certificates are built in another order: rebuilt), SSH, applications.
  ...['v01_tls_certs', 'v02_tcp_faults', 'v05_ssh_http', 'v06_ldap', 'v07_kerberos', 'v08_radius', 'v09_snmp', 'v10_ntp', 'v11_syslog', 'v12_rpc'].map((v) => `verdicts/${v}.pcap`),
].map((f) => new URL(`../../fixtures/${f}`, import.meta.url).pathname);

/** The contract's keys of orderedTcp, in order. */
const TCP_KEYS = ['connState', 'history', 'retransmissions', 'zeroWindows', 'duplicateAcks', 'rttMs', 'mss', 'maxSegment'];

describe('orderedFlow', () => {
  it('writes a record flowRecord made as it is, byte for byte what the rebuild in order writes', async () => {
    let taken = 0;
    let takenTcp = 0;
    for (const file of CAPTURES) {
      const s = await analyze([file], { workers: 0, allFlows: true });
      for (const f of s.flows) {
        const o = orderedFlow(f);
        // A copy is not flowRecord's (identity): orderedFlow rebuilds it key by key.
        const copy = { ...f } as FlowRecord;
        const rebuilt = orderedFlow(copy);
        expect(rebuilt).not.toBe(copy);
        expect(Object.keys(o), file).toEqual([...FLOW_RECORD_KEYS]);
        expect(JSON.stringify(o), file).toBe(JSON.stringify(rebuilt));
        if ((o as unknown) === f) {
          taken++;
          expect(Object.values(o), file).not.toContain(undefined);
          if (f.tcp !== null) {
            takenTcp++;
            expect(Object.keys(f.tcp)).toEqual(TCP_KEYS);
          }
        }
      }
    }
    // The shortcut is taken, with TCP facts too (else the checks above prove nothing).
    expect(taken).toBeGreaterThanOrEqual(70);
    expect(takenTcp).toBeGreaterThanOrEqual(20);
  });

  it("renderJson writes a library caller's edited records in the contract's form: no extra key, null for undefined, nested keys in order", async () => {
    const s = await analyze([CAPTURES[5]], { workers: 0, allFlows: true });
    const f = s.flows.find((x) => orderedFlow(x) === (x as unknown) && x.tcp !== null)!;
    expect(f).toBeDefined();
    const before = JSON.parse(renderJson(s)) as { flows: Record<string, unknown>[] };
    const i = s.flows.indexOf(f);
    (f as unknown as Record<string, unknown>).note = 'a caller annotation';
    (f as unknown as Record<string, unknown>).detail = undefined;
    const t = f.tcp!;
    f.tcp = { history: t.history, connState: t.connState, retransmissions: t.retransmissions, zeroWindows: t.zeroWindows, duplicateAcks: t.duplicateAcks, rttMs: t.rttMs, mss: t.mss, maxSegment: t.maxSegment };
    const after = JSON.parse(renderJson(s)) as { flows: Record<string, unknown>[] };
    expect(Object.keys(after.flows[i])).toEqual([...FLOW_RECORD_KEYS]);
    expect(after.flows[i].detail).toBeNull();
    expect(Object.keys(after.flows[i].tcp as object)).toEqual(TCP_KEYS);
    expect(after.flows.filter((_, k) => k !== i)).toEqual(before.flows.filter((_, k) => k !== i));
    // The CLI's writer (a summary no caller holds) takes the shortcut and is the same text for an unedited summary.
    const fresh = await analyze([CAPTURES[5]], { workers: 0, allFlows: true });
    expect(Buffer.concat([...renderJsonChunks(fresh)].map((c) => Buffer.from(c))).toString('utf8')).toBe(renderJson(fresh));
  });
});
