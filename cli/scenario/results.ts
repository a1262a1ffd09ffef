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
}

export function result(name: string, at: string, checks: CheckResult[]): ExpectationResult {
  return { name, at, ok: checks.every((c) => c.ok), checks };
}
