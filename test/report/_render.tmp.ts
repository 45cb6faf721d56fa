import { renderText } from '../../src/report/text.js';
import { fixtureSummary } from './fixture.js';
const s = fixtureSummary();
if (process.argv[2] === 'all') s.allFlows = true;
process.stdout.write(renderText(s, { color: process.argv[3] === 'color', width: Number(process.argv[4] ?? 100) }));
