import type { Analysis } from '../analyze/types.js';
import type { LabSession } from '../lab/session.js';
import type { Plan } from '../plan/types.js';
import type { CheckResult } from '../scenario/results.js';
import type { Expectation } from '../scenario/schema.js';

/** What a kind checked on the live lab gets. */
export interface LabCheck {
  session: LabSession;
}

/** What a kind checked on the capture gets. */
export interface CaptureCheck {
  analysis: Analysis;
  plan: Plan;
}

/** How a kind checked on the live lab is named and checked. */
export interface LabVerifier {
  on: 'lab';
  name(e: Expectation): string;
  check(e: Expectation, ctx: LabCheck): Promise<CheckResult[]>;
}

/** How a kind checked on the capture is named and checked. */
export interface CaptureVerifier {
  on: 'capture';
  name(e: Expectation): string;
  check(e: Expectation, ctx: CaptureCheck): CheckResult[];
}

/** How one kind of expectation is named and checked (cli/verify/kinds/, one file each). */
export type Verifier = LabVerifier | CaptureVerifier;
