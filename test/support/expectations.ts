import type { RunReport } from '../../cli/report/report-schema.js';

/** The expectations a run failed, each with its failed checks (`what expected X measured Y`): [] when it passed. */
export function failedExpectations(r: Pick<RunReport, 'expectations'>): string[] {
  return r.expectations
    .filter((e) => !e.ok)
    .map(
      (e) =>
        `${e.name}: ${e.checks
          .filter((c) => !c.ok)
          .map((c) => `${c.what} expected ${c.expected} measured ${c.measured}`)
          .join('; ')}`,
    );
}
