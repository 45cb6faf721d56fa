// Live equals file, for real: pan-lab captures are replayed with tcpreplay into a veth
// pair between two namespaces this test creates, `pantap live` captures the far end, and
// its flows (timestamps aside: the replay has its own clock) and section/entry totals
// equal `pantap analyze` on the file. Skipped, with the reason, without root, iproute2,
// tcpreplay or the native capture addon.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackend } from '../../src/capture/live.js';
import { createPair, netnsUnavailable, type NetnsPair } from '../helpers/netns.js';
import { REPO } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const CAPTURES = ['a02_ha.pcap', 'a06_failures.pcap', 'a07_mixed.pcap'];

function whyNot(): string | null {
  const ns = netnsUnavailable();
  if (ns !== null) return ns;
  if (spawnSync('tcpreplay', ['--version']).error) return 'tcpreplay is not installed (apt-get install tcpreplay)';
  try {
    loadBackend('native');
  } catch (err) {
    return `the native capture addon is not available: ${(err as Error).message}`;
  }
  return null;
}
const skipReason = whyNot();

interface Flow {
  [k: string]: unknown;
  firstSeen?: string;
  lastSeen?: string;
}
interface Json {
  input: { packets: number };
  sections: { id: string; flows: number; packets: number; bytes: number; failed: number }[];
  entries: { id: string; flows: number; packets: number; bytes: number; failed: number }[];
  flows: Flow[];
}

/** Flows without their times (first/last seen, handshake RTTs: a replay has its own pace), as sorted JSON lines. */
const flowSet = (s: Json): string[] =>
  s.flows
    .map(({ firstSeen: _f, lastSeen: _l, ...rest }) => {
      const tcp = rest.tcp as { rttMs?: unknown } | null | undefined;
      // A heartbeat gap is timing too: --pps replays at a pace of its own.
      if (rest.reason === 'heartbeat-gap') Object.assign(rest, { verdict: 'ok', reason: null, detail: null });
      return JSON.stringify(tcp ? { ...rest, tcp: { ...tcp, rttMs: tcp.rttMs === null ? null : 'timed' } } : rest);
    })
    .sort();
const totals = (xs: { id: string; flows: number; packets: number; bytes: number; failed: number }[]) => xs.map((x) => [x.id, x.flows, x.packets, x.bytes, x.failed]);

describe.skipIf(skipReason !== null)(`live replay equals file analysis${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
  let net: NetnsPair;
  beforeAll(() => {
    net = createPair();
  });
  afterAll(() => net?.destroy());

  for (const name of CAPTURES) {
    it(`${name}: tcpreplay into a veth pair, pantap live on the far end`, async () => {
      const path = resolve(REPO, 'fixtures/pan-lab', name);
      const file = JSON.parse(execFileSync(process.execPath, [BIN, 'analyze', path, '-F', 'json', '--flows', '-w', '0'], { encoding: 'utf8' })) as Json;
      const pantap = net.spawn(net.b, process.execPath, [BIN, 'live', '-i', net.ifB, '-F', 'json', '--flows', '-c', String(file.input.packets), '--duration', '30']);
      pantap.child.stdin!.end();
      await net.waitForCapture(net.b, 10_000);
      const replay = await net.run(net.a, 'tcpreplay', ['-i', net.ifA, '--pps=2000', path], 20_000);
      expect(replay.code, replay.stderr).toBe(0);
      const done = await pantap.exited;
      expect(done.code, pantap.stderr()).toBe(0);
      const live = JSON.parse(pantap.stdout()) as Json;
      expect(live.input.packets).toBe(file.input.packets);
      expect(flowSet(live)).toEqual(flowSet(file));
      expect(totals(live.sections)).toEqual(totals(file.sections));
      expect(totals(live.entries)).toEqual(totals(file.entries));
    });
  }
});
