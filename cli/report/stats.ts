import type { Stat } from './report-schema.js';

/** n, min, median, p95 (nearest rank) and max of some numbers; undefined when there are none. */
export function summarize(values: readonly number[]): Stat | undefined {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const rank = (p: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] as number;
  const mid = Math.floor(xs.length / 2);
  const median = xs.length % 2 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
  return { n: xs.length, min: xs[0] as number, median, p95: rank(95), max: xs[xs.length - 1] as number };
}
