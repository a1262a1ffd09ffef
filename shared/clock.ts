/**
 * One clock for the whole lab: CLOCK_MONOTONIC, which every namespace and
 * container on the host shares. Events carry it in milliseconds (fractional,
 * microsecond precision) so the orchestrator, reports and captures line up.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Milliseconds to add to a monotonic time to get Unix epoch milliseconds,
 * measured now to about a microsecond: the wall clock is only readable in
 * whole milliseconds here, but the instant it steps to the next one is an
 * exact wall time, so spinning until it steps and reading the monotonic
 * clock right there pins the offset down (median of a few steps; costs a
 * few milliseconds of spinning). `performance.timeOrigin`, by contrast, is
 * sampled once at process start against a separate clock read, and was seen
 * off by tens of microseconds: enough to make short one-way latencies
 * negative.
 */
export function monoToWallOffsetMs(samples = 5): number {
  const offsets: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = Date.now();
    let mono = monoMs();
    let wall = Date.now();
    while (wall === start) {
      mono = monoMs();
      wall = Date.now();
    }
    offsets.push(wall - mono);
  }
  offsets.sort((a, b) => a - b);
  return offsets[Math.floor(offsets.length / 2)] as number;
}
