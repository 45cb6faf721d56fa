// How reports name catalog entries and flows' protocols: `3978/tcp`, `99/ip`, `0x7261/ether`,
// and entry names without the port their label already says. The text report, the failure
// groups (problems.ts) and the live view all label with these.
import { hex16 } from './format.js';
import type { EntrySummary } from './model.js';

/** What labelling an entry needs: the catalog's own entry and EntrySummary both have it. */
export type EntryShape = Pick<EntrySummary, 'id' | 'name' | 'port' | 'ipProtocol' | 'ethertype'> & {
  transport: string;
  portRange?: readonly [number, number] | null;
};

/** `3978/tcp`, `49152-65535/tcp`, `99/ip`, `0x7261/ether`: how engineers write a service. */
export function entryWhere(e: EntryShape): string {
  if (e.transport === 'ip') return `${e.ipProtocol}/ip`;
  if (e.transport === 'ethertype') return `${hex16(e.ethertype ?? 0)}/ether`;
  return `${e.portRange ? `${e.portRange[0]}-${e.portRange[1]}` : e.port}/${e.transport}`;
}

/** The name without a trailing "(3978)" / "(protocol 99)" / "(0x7261)" the label already says. */
export function entryName(e: EntryShape): string {
  const nums = [e.port, e.ipProtocol, e.ethertype].filter((n): n is number => n !== null).flatMap((n) => [String(n), hex16(n)]);
  if (e.portRange) nums.push(`${e.portRange[0]}-${e.portRange[1]}`);
  if (nums.length === 0) return e.name;
  return e.name.replace(new RegExp(`\\s*\\((?:port |protocol |ethertype )?(?:${nums.join('|')})\\)$`, 'i'), '');
}

/** `3978/tcp Panorama ↔ device` */
export function entryLabel(e: EntryShape): string {
  return `${entryWhere(e)} ${entryName(e)}`;
}

/** `tcp`, `udp`, `icmp`, `47/ip` as in entry labels; a bare `0x88cc` for an ethertype (narrow). */
export function flowProto(f: { transport: string; ipProtocol: number | null; ethertype: number | null }): string {
  if (f.transport === 'ip') return `${f.ipProtocol}/ip`;
  if (f.transport === 'ethertype') return hex16(f.ethertype ?? 0);
  return f.transport;
}
