// TurboFan's inlining budget for the report phase of a process that ends with its report.
//
// The report phase runs each of its functions once per flow or per channel (≈ 20,000 calls on
// mixed-2M), most of them before V8 has optimised them, and V8 optimises the hot ones with
// their callees inlined up to 920 bytes of bytecode per function: a large graph for each
// (classifyEach, addFlows, takeKey with every facts builder under it), compiled again after
// each deoptimisation when a flow of a kind not yet seen comes along. On mixed-2M that
// compiling was about half of the phase's CPU (`--single-threaded --trace-opt`: 415–494 ms of
// 922–961), for code that then runs a few ms. A table of many more flows runs that code long
// enough to pay for it: flood-1M's 500,000 flows took 4.8 % more instructions with the lower
// budget (bench/README.md, branch `rep6`). The feed's per-packet functions are compiled before
// the report phase and keep their inlining.

import { setFlagsFromString } from 'node:v8';

/** Bytecode inlined into one optimised function at most, from the report phase on (V8's default 920). */
const REPORT_INLINING_BYTES = 200;

/** Flows up to which the report phase's compiling outweighs what the inlining saves (mixed-2M: 20,000, flood-1M: 500,000). */
const LOWER_INLINING_FLOWS = 100_000;

/**
 * Lowers TurboFan's cumulative inlining budget for the rest of the process when the report
 * phase has `flows` flows to judge, at most LOWER_INLINING_FLOWS. Only for a process that ends
 * with the report (SessionOptions.exitsAfterReport: the CLI), as collect.ts' stopPretenuring:
 * the flag is process-wide (worker isolates too, whose feed is over) and stays set. It changes
 * what is compiled, never what the code does.
 */
export function lowerInlining(flows: number): void {
  if (flows <= LOWER_INLINING_FLOWS) setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${REPORT_INLINING_BYTES}`);
}
