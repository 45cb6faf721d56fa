// The catalog's schema validators. The build compiles them ahead of time with ajv's
// standalone code generator (scripts/compile-validators.mjs → dist/catalog/validators.cjs),
// so a run does not spend ~100 ms compiling schemas at start-up; the schema still checks
// every catalog at load time. Running from source (tests), they are compiled on first use.
import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import { catalogSchema, overrideSchema, type Catalog, type Override } from './schema.js';

export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ErrorObject[] | null;
}

export interface Validators {
  checkCatalog: Validator<Catalog>;
  checkOverride: Validator<Override>;
}

/**
 * Options shared by the build-time and run-time compilers. useDefaults fills the keys user
 * entries may omit; verbose keeps the failing schema on each error so that messages can
 * state the allowed range.
 */
export const AJV_OPTIONS = { useDefaults: true, allowUnionTypes: true, verbose: true } as const;

const require = createRequire(import.meta.url);
let cached: Validators | null = null;

export function validators(): Validators {
  if (cached !== null) return cached;
  try {
    cached = require('./validators.cjs') as Validators;
  } catch {
    const { Ajv } = require('ajv') as typeof import('ajv');
    const ajv = new Ajv(AJV_OPTIONS);
    cached = { checkCatalog: ajv.compile<Catalog>(catalogSchema), checkOverride: ajv.compile<Override>(overrideSchema) };
  }
  return cached;
}
