import { analyze } from '../../src/analyze.js';
import { renderText } from '../../src/report/text.js';
import { renderJson } from '../../src/report/json.js';
import { encodeSummary } from '../../src/report/protobuf.js';
const [file, roles, mode] = process.argv.slice(2);
const a = await analyze([file], { workers: 1, rolesFile: roles || undefined, allFlows: mode === 'all' });
process.stdout.write(renderText(a.summary, { color: false, width: 100 }));
renderJson(a.summary); encodeSummary(a.summary);
