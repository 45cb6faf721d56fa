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
