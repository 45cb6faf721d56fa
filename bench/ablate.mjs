// Ablation copies of the built CLI: what each part of the per-flow conversation work costs.
//
//   npm run build && node bench/ablate.mjs OUTDIR
//   ARGS="-F json" bash bench/phase-ab.sh bench/data/mixed-2M.pcap 7 . OUTDIR/nobeat OUTDIR/nokeep OUTDIR/nobk OUTDIR/noconv
//
// Each variant is dist/ copied and patched in its bundled text (never a mode of the product:
// its verdicts are wrong):
//   nobeat  no HA heartbeat or silence logging (the aggregator's convs.beat calls, and
//           ConversationStore.packet's beatAt / silenceAfter block);
//   nokeep  no TCP payload kept (ConversationStore's keep() call), so no decoder sees TCP bytes;
//   nobk    both;
//   noconv  convs.packet and convs.datagram skipped: no per-flow conversation work at all.
// A patch that does not match exactly as often as expected stops the script, so a rebuild
// that changes the bundle's text cannot give a silently unpatched copy.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node bench/ablate.mjs OUTDIR');
  process.exit(2);
}

/** [what, pattern, replacement, expected matches] over the concatenation of dist/cli's chunks. */
const BEAT = [
  ['convs.beat calls', /convs\.beat\(table, slot/g, '0 && convs.beat(table, slot', 4],
  ['beatAt/silenceAfter block', /if \(\(cf & 16\) !== 0 && this\.beatAt\(id, side, 0, 0\), \(cf & 32\) !== 0\) \{/g, 'if (false) {', 1],
];
const KEEP = [['keep() call', /\? this\.keep\(id, base, side, seq, data, l4 \+ hlen, paylen, end, record, \(flags & 2\) !== 0\) :/g, '? 0 :', 1]];
const CONV = [
  ['convs.packet call', /convs\.tsUs = tsUs, convs\.packet\(/g, 'convs.tsUs = tsUs, 0 && convs.packet(', 1],
  ['convs.datagram call', /convs\.tsUs = tsUs, convs\.datagram\(pf, b, table, slot\)/g, 'convs.tsUs = tsUs, 0', 1],
];
const VARIANTS = { nobeat: BEAT, nokeep: KEEP, nobk: [...BEAT, ...KEEP], noconv: CONV };

const cli = join(root, 'dist', 'cli');
const chunks = readdirSync(cli).filter((f) => f.endsWith('.js'));
for (const [name, patches] of Object.entries(VARIANTS)) {
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const seen = new Map(patches.map(([what]) => [what, 0]));
  for (const f of chunks) {
    const path = join(dir, 'dist', 'cli', f);
    let text = readFileSync(path, 'utf8');
    const before = text;
    for (const [what, re, to] of patches) {
      text = text.replace(re, () => {
        seen.set(what, seen.get(what) + 1);
        return to;
      });
    }
    if (text !== before) writeFileSync(path, text);
  }
  for (const [what, , , want] of patches) {
    if (seen.get(what) !== want) {
      console.error(`bench/ablate: ${name}: "${what}" matched ${seen.get(what)} times, expected ${want} (the bundle changed: update the pattern)`);
      process.exit(1);
    }
  }
  console.log(`${dir}: ${patches.map(([what]) => what).join(', ')}`);
}
