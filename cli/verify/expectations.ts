import type { Analysis } from '../analyze/types.js';
import type { LabSession } from '../lab/session.js';
import type { Plan } from '../plan/types.js';
import { result, type CheckResult, type ExpectationResult } from '../scenario/results.js';
import { EXPECTATION_KINDS, kindsOf, type Expectation } from '../scenario/schema.js';
import { VERIFIERS } from './registry.js';

/** A short name for an expectation (its `name`, or what its first kind checks). */
export function expectationName(e: Expectation): string {
  if (e.name) return e.name;
  const [kind] = kindsOf(e);
  return kind ? VERIFIERS[kind].name(e) : 'expectation';
}

/** Whether the expectation looks at the live lab (checked where it stands) rather than at the capture. */
export function isStateExpectation(e: Expectation): boolean {
  return kindsOf(e).some((k) => EXPECTATION_KINDS[k].on === 'lab');
}

/** Checks the lab parts of an expectation on the live lab. */
export async function evaluateState(e: Expectation, session: LabSession, at: string): Promise<ExpectationResult> {
  const t0 = performance.now();
  const checks: CheckResult[] = [];
  for (const k of kindsOf(e)) {
    const v = VERIFIERS[k];
    if (v.on === 'lab') checks.push(...(await v.check(e, { session })));
  }
  return result(expectationName(e), at, checks, performance.now() - t0);
}

/** Checks the traffic and signalling parts of an expectation on the run's analysis. */
export function evaluateTraffic(e: Expectation, analysis: Analysis, plan: Plan): ExpectationResult {
  const t0 = performance.now();
  const checks: CheckResult[] = [];
  for (const k of kindsOf(e)) {
    const v = VERIFIERS[k];
    if (v.on === 'capture') checks.push(...v.check(e, { analysis, plan }));
  }
  return result(expectationName(e), 'end', checks, performance.now() - t0);
}
