// `pantap catalog`: shows the catalog in use (built-in plus overrides) as one table per
// section, or as JSON for scripts (schema "pantap.catalog.v1").
import Table from 'cli-table3';
import pc from 'picocolors';
import { UsageError } from '../errors.js';
import { entryWithEveryKey, type Catalog, type CatalogEntry, type Section } from '../catalog/schema.js';

export interface RenderCatalogOptions {
  /** Only this section (a section id). */
  section?: string;
  format: 'table' | 'json';
  color: boolean;
}

export function renderCatalog(catalog: Catalog, opts: RenderCatalogOptions): string {
  const sections = pickSections(catalog, opts.section);
  const entries = catalog.entries.filter((e) => sections.some((s) => s.id === e.section));
  if (opts.format === 'json') {
    const doc = { schema: 'pantap.catalog.v1', sections, entries: entries.map(jsonEntry) };
    return `${JSON.stringify(doc, null, 2)}\n`;
  }
  const c = pc.createColors(opts.color);
  const tables = sections.map((s) => {
    // cli-table3 colours heads and borders itself (through @colors/colors, which guesses
    // from the terminal); switch that off so `color` alone decides.
    const table = new Table({
      head: ['Port', 'Transport', 'App', 'Name', 'Listener', 'Versions', 'Configurable', 'Id'].map((h) => c.bold(h)),
      style: { head: [], border: [], compact: true },
    });
    for (const e of entries) {
      if (e.section !== s.id) continue;
      const transport = e.tls ? `${e.transport} (TLS)` : e.transport;
      table.push([portText(e), transport, e.app ?? '', e.name, e.listener, versionsText(e), e.configurable ? 'yes' : 'no', c.dim(e.id)]);
    }
    return `${c.bold(c.cyan(s.title))}\n${table.toString()}`;
  });
  return `${tables.join('\n\n')}\n`;
}

function pickSections(catalog: Catalog, id: string | undefined): readonly Section[] {
  if (id === undefined) return catalog.sections;
  const found = catalog.sections.filter((s) => s.id === id);
  if (found.length === 0) {
    throw new UsageError(`unknown section "${id}" (valid: ${catalog.sections.map((s) => s.id).join(', ')})`);
  }
  return found;
}

function portText(e: CatalogEntry): string {
  if (e.transport === 'ip') return String(e.ipProtocol);
  if (e.transport === 'ethertype') return `0x${(e.ethertype ?? 0).toString(16).padStart(4, '0')}`;
  return e.portRange ? `${e.portRange[0]}-${e.portRange[1]}` : String(e.port);
}

function versionsText(e: CatalogEntry): string {
  const { min, max } = e.versions ?? {};
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (min !== undefined) return `${min} and later`;
  if (max !== undefined) return `${max} and earlier`;
  return '';
}

/** Every key present, in one order (entryWithEveryKey), absent ones null for JSON. */
function jsonEntry(e: CatalogEntry) {
  return { ...entryWithEveryKey(e), portRange: e.portRange ?? null, after: e.after ?? null, versions: e.versions ?? null, infer: e.infer ?? null };
}
