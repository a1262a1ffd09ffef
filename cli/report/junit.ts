import type { RunReport } from './report-schema.js';

/**
 * An attribute value: markup characters escaped, line breaks kept as character references (a parser
 * would turn them into spaces), and the control characters XML 1.0 forbids (ANSI colours in a
 * tool's output) dropped, since one of them makes the whole file unreadable.
 */
const xml = (s: string) =>
  s
    // eslint-disable-next-line no-control-regex -- colour codes start with ESC
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    // eslint-disable-next-line no-control-regex -- characters XML 1.0 does not allow
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');

/** Seconds for a JUnit time attribute. */
const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

/**
 * JUnit XML for CI: one test case per expectation (timed: how long checking it took) and per failed
 * step (timed: how long the step ran), failures carrying the measured values.
 */
export function renderJunit(reports: readonly RunReport[]): string {
  const suites = reports.map((r, k) => {
    const cases: string[] = [];
    for (const e of r.expectations) {
      const failed = e.checks.filter((c) => !c.ok);
      const body = failed.length
        ? `<failure message="${xml(failed.map((c) => `${c.what}: expected ${c.expected}, measured ${c.measured}`).join('; '))}"/>`
        : '';
      cases.push(`    <testcase classname="${xml(r.scenario.name)}" name="${xml(`${e.name} (${e.at})`)}" time="${seconds(e.durationMs)}">${body}</testcase>`);
    }
    for (const s of r.steps.filter((x) => !x.ok))
      cases.push(
        `    <testcase classname="${xml(r.scenario.name)}" name="${xml(`step ${s.path}: ${s.text}`)}" time="${seconds(s.durationMs)}"><failure message="${xml(s.error ?? 'failed')}"/></testcase>`,
      );
    const failures = r.expectations.filter((e) => !e.ok).length + r.steps.filter((s) => !s.ok).length;
    const name = reports.length > 1 ? `${r.scenario.name}#${k + 1}` : r.scenario.name;
    return `  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" time="${(r.durationMs / 1000).toFixed(3)}" timestamp="${xml(r.startedAt)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}\n</testsuites>\n`;
}
