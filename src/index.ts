// pantap as a library: analyze capture files into the summary the CLI prints as JSON.
export { analyze, type AnalyzeOptions } from './analyze.js';
export { renderJson } from './report/json.js';
export type { Summary, EntrySummary, SectionSummary, InputSummary, FlowRecord, RoleAssignment } from './report/model.js';
export { PantapError, CaptureError, CatalogError, UsageError, type ErrorCode } from './errors.js';
// Offline filters (AnalyzeOptions.filter): -f's compiler (needs the pantap-live addon) and the value parsers.
export { openBpf } from './capture/bpf.js';
export { parseHostRange, parseTimeBound } from './pipeline/filter-spec.js';
export type { FilterSpec, HostRange, TimeBound } from './pipeline/filter.js';
export { ArgumentError, FilterError } from './errors.js';
// Merging summaries (`pantap merge`): protobuf summaries in and out, merged in the model.
export { mergeSummaries, type MergeOptions } from './report/merge.js';
export { encodeSummary, summaryFromProtobuf } from './report/protobuf.js';
// Capture sets: the flows with the file each came from (README "Library").
export { analyzeCaptures, type Analysis } from './analyze.js';
export { sourceFile, type FilesRead } from './session/files.js';
export type { FileMap } from './capture/merge.js';
