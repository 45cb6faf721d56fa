// Loads the built-in catalog and applies a user's override file. Everything is checked
// here, once, so that the matcher and the classifier can trust the entries they get.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { CatalogError } from '../errors.js';
import { readDocument, readText } from './file.js';
import {
  type Catalog,
  type CatalogEntry,
  type Override,
  type SectionId,
  type Transport,
} from './schema.js';

import { validators } from './validators.js';

/** The catalog shipped with pantap (src/catalog/pan-ports.json, copied to dist/ by the build). */
/**
 * The build checks the built-in catalog once (scripts/compile-validators.mjs: the schema,
 * its defaults filled in, and the checks below) and ships the result as this file, so a
 * run does not load the validators to check it again (~10 ms of start-up). Running from
 * source (tests), pan-ports.json is checked on load.
 */
export const CHECKED_BUILTIN = 'pan-ports.checked.json';

export function builtinCatalog(): Catalog {
  const checked = fileURLToPath(new URL(`./${CHECKED_BUILTIN}`, import.meta.url));
  if (existsSync(checked)) return JSON.parse(readText(checked)) as Catalog;
  const file = fileURLToPath(new URL('./pan-ports.json', import.meta.url));
  return validateCatalog(JSON.parse(readText(file)), file);
}

/** The built-in catalog, with the override file at `overridePath` applied if given. */
export function loadCatalog(overridePath?: string): Catalog {
  const base = builtinCatalog();
  if (overridePath === undefined) return base;
  const data = readDocument(overridePath);
  const { checkOverride } = validators();
  if (!checkOverride(data)) throw schemaError(overridePath, data, checkOverride.errors);
  return applyOverride(base, data, overridePath);
}

/** Checks a parsed catalog document; fills omitted optional keys into `data` in place. */
export function validateCatalog(data: unknown, file: string): Catalog {
  const { checkCatalog } = validators();
  if (!checkCatalog(data)) throw schemaError(file, data, checkCatalog.errors);
  const sections = new Set<SectionId>();
  data.sections.forEach((s, i) => {
    if (sections.has(s.id)) throw new CatalogError(file, `sections[${i}].id: duplicate section "${s.id}"`);
    sections.add(s.id);
  });
  checkEntries(file, data.entries, [], sections);
  return data;
}

function applyOverride(base: Catalog, override: Override, file: string): Catalog {
  const added = override.entries ?? [];
  checkEntries(file, added, base.entries, new Set(base.sections.map((s) => s.id)));
  const entries: CatalogEntry[] = [...base.entries, ...added];
  for (const [id, port] of Object.entries(override.move ?? {})) {
    const key = `move.${id}`;
    const i = entries.findIndex((e) => e.id === id);
    if (i < 0) throw new CatalogError(file, `${key}: no such entry`);
    if (!entries[i].configurable) throw new CatalogError(file, `${key}: entry is not configurable`);
    if (entries[i].port === null) throw new CatalogError(file, `${key}: entry has no single port to move`);
    // The id stays: reports keep naming the entry the same way whatever port it uses.
    entries[i] = { ...entries[i], port };
  }
  return { sections: base.sections, entries };
}

/** Which of port / portRange / ipProtocol / ethertype each transport uses. */
const KEYS_FOR: Record<Transport, readonly (keyof CatalogEntry)[]> = {
  tcp: ['port', 'portRange'],
  udp: ['port', 'portRange'],
  ip: ['ipProtocol'],
  ethertype: ['ethertype'],
};
const MATCH_KEYS = ['port', 'portRange', 'ipProtocol', 'ethertype'] as const;

/** Rules across fields and entries; `existing` entries were checked before. */
function checkEntries(
  file: string,
  entries: readonly CatalogEntry[],
  existing: readonly CatalogEntry[],
  sections: ReadonlySet<SectionId>,
): void {
  const ids = new Set(existing.map((e) => e.id));
  entries.forEach((e, i) => {
    const fail = (key: string, what: string) => new CatalogError(file, `entries[${i}].${key}: ${what}`);
    if (!sections.has(e.section)) throw fail('section', `"${e.section}" is not a listed section`);
    if (!e.id.startsWith(`${e.section}.`)) throw fail('id', `must start with "${e.section}."`);
    if (ids.has(e.id)) throw fail('id', `duplicate id "${e.id}"`);
    ids.add(e.id);
    const allowed = KEYS_FOR[e.transport];
    const set = MATCH_KEYS.filter((k) => e[k] !== null && e[k] !== undefined);
    const stray = set.find((k) => !allowed.includes(k));
    if (stray !== undefined) throw fail(stray, `not allowed for a ${e.transport} entry`);
    if (set.length === 0) throw fail(allowed[0], `required for a ${e.transport} entry`);
    if (set.length > 1) throw fail(set[1], `cannot be combined with ${set[0]}`);
    if (e.portRange && e.portRange[0] > e.portRange[1]) throw fail('portRange', 'start must not exceed end');
  });
  entries.forEach((e, i) => {
    if (e.after !== undefined && !ids.has(e.after)) {
      throw new CatalogError(file, `entries[${i}].after: unknown entry "${e.after}"`);
    }
  });
}

/** Turns ajv's first error into `key.path[1]: what is wrong`. */
function schemaError(file: string, data: unknown, errors: ErrorObject[] | null | undefined): CatalogError {
  const err = errors?.[0];
  if (!err) return new CatalogError(file, 'is invalid');
  const path = keyPath(data, err.instancePath);
  const child = err.keyword === 'required' ? err.params.missingProperty : err.keyword === 'additionalProperties' ? err.params.additionalProperty : undefined;
  const key = child === undefined ? path : path ? `${path}.${child}` : String(child);
  return new CatalogError(file, `${key || 'top level'}: ${describe(err)}`);
}

/** JSON pointer → `entries[1].port`, walking the data to tell array indices from keys. */
function keyPath(data: unknown, pointer: string): string {
  let path = '';
  let node = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += Array.isArray(node) ? `[${seg}]` : path ? `.${seg}` : seg;
    node = (node as Record<string, unknown>)[seg];
  }
  return path;
}

function describe(err: ErrorObject): string {
  const schema = err.parentSchema as { type?: string | string[]; minimum?: number; maximum?: number } | undefined;
  switch (err.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'unknown key';
    case 'enum':
      return `must be one of ${(err.params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'type':
    case 'minimum':
    case 'maximum':
      if ([schema?.type].flat().includes('integer') && schema?.minimum !== undefined) {
        return `must be an integer from ${schema.minimum} to ${schema.maximum}`;
      }
  }
  return err.message ?? 'is invalid';
}
