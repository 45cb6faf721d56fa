// Build step: compiles the catalog schemas (dist/catalog/schema.js) into standalone
// validator code at dist/catalog/validators.cjs, loaded by dist/catalog/validators.js.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
const { catalogSchema, overrideSchema } = await import('../dist/catalog/schema.js');
const { AJV_OPTIONS } = await import('../dist/catalog/validators.js');

const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
ajv.addSchema(catalogSchema, 'catalog');
ajv.addSchema(overrideSchema, 'override');
writeFileSync('dist/catalog/validators.cjs', standaloneCode(ajv, { checkCatalog: 'catalog', checkOverride: 'override' }));

// The built-in catalog, checked once here (schema with its defaults filled in, then the
// entry checks) and shipped checked: builtinCatalog() reads it without the validators.
const { validateCatalog, CHECKED_BUILTIN } = await import('../dist/catalog/load.js');
const { rmSync, readFileSync } = await import('node:fs');
rmSync(`dist/catalog/${CHECKED_BUILTIN}`, { force: true });
const checked = validateCatalog(JSON.parse(readFileSync('dist/catalog/pan-ports.json', 'utf8')), 'dist/catalog/pan-ports.json');
writeFileSync(`dist/catalog/${CHECKED_BUILTIN}`, JSON.stringify(checked));
