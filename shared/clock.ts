/**
 * One clock for the whole lab: CLOCK_MONOTONIC, which every namespace and
 * container on the host shares. Events carry it in milliseconds (fractional,
 * microsecond precision) so the orchestrator, reports and captures line up.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Milliseconds to add to a monotonic time to get Unix epoch milliseconds (sampled now). */
export function monoToWallOffsetMs(): number {
  const before = monoMs();
  const wall = performance.timeOrigin + performance.now();
  const after = monoMs();
  return wall - (before + after) / 2;
}
