import { describe, expect, it } from 'vitest';
import { formatComparison, parseComparison, satisfies, thresholdMs, type Comparison } from '../../../cli/verify/comparison.js';
import { comparison } from '../../../cli/scenario/schema.js';

describe('parseComparison', () => {
  it.each<[number | string, Comparison]>([
    [3, { op: '==', value: 3, unit: '' }],
    [0, { op: '==', value: 0, unit: '' }],
    [-2.5, { op: '==', value: -2.5, unit: '' }],
    ['<= 50ms', { op: '<=', value: 50, unit: 'ms' }],
    ['>= 3', { op: '>=', value: 3, unit: '' }],
    ['== 0', { op: '==', value: 0, unit: '' }],
    ['!= 7', { op: '!=', value: 7, unit: '' }],
    ['< 1%', { op: '<', value: 1, unit: '%' }],
    ['> 0.5s', { op: '>', value: 0.5, unit: 's' }],
    ['< 800us', { op: '<', value: 800, unit: 'us' }],
    // No operator means ==; spaces anywhere around the parts.
    ['12', { op: '==', value: 12, unit: '' }],
    ['20ms', { op: '==', value: 20, unit: 'ms' }],
    ['<=50ms', { op: '<=', value: 50, unit: 'ms' }],
    ['  >=   1.25 s  ', { op: '>=', value: 1.25, unit: 's' }],
    ['> -3', { op: '>', value: -3, unit: '' }],
    ['<= 0.001ms', { op: '<=', value: 0.001, unit: 'ms' }],
  ])('%j', (input, parsed) => {
    expect(parseComparison(input)).toEqual(parsed);
  });

  it.each(['<= fast', '', '=< 5', '=> 5', '< 5 min', '5 minutes', '<= ms', '<= 1.', '<= .5', '<= 1e3', '<<= 3', '<= 5 5', '= 5'])('refuses %j', (input) => {
    expect(() => parseComparison(input)).toThrow(`not a comparison: ${input}`);
  });

  // The scenario schema and the parser each hold a pattern: they must agree, or a file that loads fails at the end of a run.
  it.each(['<= 50ms', '==0', '  >=   1.25 s  ', '> -3', '12', '20ms', '< 1%', '!= 7', '<= fast', '', '=< 5', '< 5 min', '<= 1e3', '<= .5', '= 5'])(
    'agrees with the scenario schema on %j',
    (input) => {
      let parses = true;
      try {
        parseComparison(input);
      } catch {
        parses = false;
      }
      expect(comparison.safeParse(input).success).toBe(parses);
    },
  );
});

describe('thresholdMs', () => {
  it.each<[string, number]>([
    ['<= 50ms', 50],
    ['<= 1.5s', 1500],
    ['<= 250us', 0.25],
    ['<= 7', 7],
    ['< 5%', 5],
    // Binary floating point: 1.001 * 1000 is 1000.9999999999999 and 0.07 * 1000 is 70.00000000000001.
    ['<= 1.001s', 1001],
    ['<= 0.07s', 70],
    ['<= 1100us', 1.1],
  ])('%s is %d in the measurement unit', (c, ms) => {
    expect(thresholdMs(parseComparison(c))).toBe(ms);
  });
});

describe('satisfies', () => {
  it.each<[number, string, boolean]>([
    // Each operator, at, below and above the threshold.
    [49.9, '<= 50ms', true],
    [50, '<= 50ms', true],
    [50.1, '<= 50ms', false],
    [49.9, '< 50ms', true],
    [50, '< 50ms', false],
    [2, '>= 3', false],
    [3, '>= 3', true],
    [4, '>= 3', true],
    [3, '> 3', false],
    [3.01, '> 3', true],
    [0, '== 0', true],
    [1, '== 0', false],
    [0, '!= 0', false],
    [1, '!= 0', true],
    // Units: seconds and microseconds compare with milliseconds, % with a plain percentage.
    [50, '<= 0.05s', true],
    [50.001, '<= 0.05s', false],
    [1001, '<= 1.001s', true],
    [70, '>= 0.07s', true],
    [70, '== 0.07s', true],
    [79.999, '< 80000us', true],
    [80, '< 80000us', false],
    [4.99, '< 5%', true],
    [5, '< 5%', false],
    // Negative thresholds and a measured zero.
    [-1, '> -3', true],
    [-3, '> -3', false],
    [0, '<= 0ms', true],
  ])('%d against %s: %s', (measured, c, ok) => {
    expect(satisfies(measured, parseComparison(c))).toBe(ok);
  });

  it('takes a plain number as ==', () => {
    expect(satisfies(3, parseComparison(3))).toBe(true);
    expect(satisfies(2, parseComparison(3))).toBe(false);
  });

  it('never holds for NaN except with !=', () => {
    for (const c of ['<= 5', '>= 5', '== 5', '< 5', '> 5']) expect(satisfies(Number.NaN, parseComparison(c)), c).toBe(false);
    expect(satisfies(Number.NaN, parseComparison('!= 5'))).toBe(true);
  });
});

describe('formatComparison', () => {
  it.each<[number | string, string]>([
    ['<=50ms', '<= 50ms'],
    ['  >=   1.50 s ', '>= 1.5s'],
    [3, '== 3'],
    ['20ms', '== 20ms'],
    ['< 1%', '< 1%'],
    ['!= 0', '!= 0'],
    ['> -0.25us', '> -0.25us'],
  ])('%j reads %j', (input, text) => {
    expect(formatComparison(parseComparison(input))).toBe(text);
  });

  it('gives back text that parses to the same comparison', () => {
    for (const c of ['<= 50ms', '>= 1.5s', '== 3', '< 1%', '!= 0', '> 800us']) {
      const parsed = parseComparison(c);
      expect(parseComparison(formatComparison(parsed))).toEqual(parsed);
    }
  });
});
