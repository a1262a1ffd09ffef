/** A parsed expectation threshold such as "<= 50ms". */
export interface Comparison {
  op: '<=' | '>=' | '==' | '!=' | '<' | '>';
  value: number;
  unit: '' | 'us' | 'ms' | 's' | '%';
}

/** Parses a number (meaning ==) or a comparison string (validated by the scenario schema). */
export function parseComparison(c: number | string): Comparison {
  if (typeof c === 'number') return { op: '==', value: c, unit: '' };
  const m = /^\s*(<=|>=|==|!=|<|>)?\s*(-?\d+(?:\.\d+)?)\s*(us|ms|s|%)?\s*$/.exec(c);
  if (!m) throw new Error(`not a comparison: ${c}`);
  return { op: (m[1] ?? '==') as Comparison['op'], value: Number(m[2]), unit: (m[3] ?? '') as Comparison['unit'] };
}

/** The threshold in the measurement's unit: durations compare in ms. */
export function thresholdMs(c: Comparison): number {
  // Rounded to 12 significant digits: 1.001 * 1000 is 1000.9999999999999 in binary floating point.
  const exact = (x: number) => Number(x.toPrecision(12));
  return c.unit === 's' ? exact(c.value * 1000) : c.unit === 'us' ? exact(c.value / 1000) : c.value;
}

/** Whether `measured` (in ms for durations, plain otherwise) satisfies the comparison. */
export function satisfies(measured: number, c: Comparison): boolean {
  const v = thresholdMs(c);
  switch (c.op) {
    case '<=':
      return measured <= v;
    case '>=':
      return measured >= v;
    case '<':
      return measured < v;
    case '>':
      return measured > v;
    case '!=':
      return measured !== v;
    default:
      return measured === v;
  }
}

export function formatComparison(c: Comparison): string {
  return `${c.op} ${c.value}${c.unit}`;
}
