/** One checked field of an expectation: what was expected, what was measured, whether it held. */
export interface CheckResult {
  what: string;
  expected: string;
  measured: string;
  ok: boolean;
}

/** An expectation of the scenario and how it came out. */
export interface ExpectationResult {
  name: string;
  /** Where it was checked: "end" or the step's position. */
  at: string;
  ok: boolean;
  checks: CheckResult[];
  /** How long checking it took (ms): the lab's state read back, or the analysis looked through. */
  durationMs?: number;
}

export function result(name: string, at: string, checks: CheckResult[], durationMs?: number): ExpectationResult {
  return { name, at, ok: checks.every((c) => c.ok), checks, ...(durationMs !== undefined ? { durationMs: Math.round(durationMs * 1000) / 1000 } : {}) };
}
