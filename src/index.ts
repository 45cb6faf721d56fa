// pantap as a library: analyze capture files into the summary the CLI prints as JSON.
export { analyze, type AnalyzeOptions } from './analyze.js';
export { renderJson } from './report/json.js';
export type { Summary, EntrySummary, SectionSummary, InputSummary, FlowRecord, RoleAssignment } from './report/model.js';
export { PantapError, CaptureError, CatalogError, UsageError, type ErrorCode } from './errors.js';
