/** Milliseconds rounded to the nanosecond (drops float noise from ns → ms conversions). */
export function ms(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Nearest-rank percentile (`p` in 0..100) of ascending `sorted`: the value at rank ceil(p/100 · n). */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** Milliseconds as integer nanoseconds, without the precision a double loses above 2^53 ns (Unix times are ~1.7e18 ns). */
export function msToNs(x: number): bigint {
  const whole = Math.trunc(x);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((x - whole) * 1e6));
}

/** x mod 2^32 as a non-negative number. */
export function mod32(x: number): number {
  const m = x % 2 ** 32;
  return m < 0 ? m + 2 ** 32 : m;
}
