import { parse, stringify } from 'yaml';
import type { Step } from '../scenario/schema.js';
import { replicateSteps, replicateTopology } from './replicate.js';
import type { SweepParam } from './schema.js';

/** One point of a sweep: the parameter and its value there. */
export interface SweepPoint {
  param: SweepParam;
  value: number;
}

/** What each parameter means, as the sweep's files say it. */
export const PARAM_LABEL: Record<SweepParam, string> = {
  mns: 'mobile nodes running the pattern',
  delay: 'one-way delay per infrastructure link (ms)',
  wan: 'one-way delay per link between two networks (ms)',
  rate: 'handovers per second',
};

/**
 * The topology text a point runs (undefined: the placement's own file as it
 * is). mns: copies of each mobile node; delay: every infrastructure link
 * delayed by the value (netem on both ends; access links stay as they are);
 * wan: only the links whose ends are in different networks (the core between
 * them, not the links inside each).
 */
export function pointTopology(point: SweepPoint, text: string, mns: readonly string[]): string | undefined {
  if (point.param === 'mns') return point.value > 1 ? replicateTopology(text, mns, point.value) : undefined;
  if (point.param === 'delay') return point.value > 0 ? withInfraDelay(text, point.value) : undefined;
  if (point.param === 'wan') return point.value > 0 ? withInfraDelay(text, point.value, true) : undefined;
  return undefined;
}

/** The steps a point runs: mns repeats the mobile nodes' steps for each copy; rate sets the time between handovers. */
export function pointSteps(point: SweepPoint, steps: readonly Step[], mns: readonly string[]): Step[] {
  if (point.param === 'mns') return point.value > 1 ? replicateSteps(steps, mns, point.value) : [...steps];
  if (point.param === 'rate') return atHandoverRate(steps, point.value);
  return [...steps];
}

/** Every infrastructure link of a topology (`betweenNetworks`: only those joining two networks) with `ms` of one-way delay. */
export function withInfraDelay(text: string, ms: number, betweenNetworks = false): string {
  const t = parse(text) as { links?: (Record<string, unknown> & { endpoints?: string[] })[]; nodes?: Record<string, { network?: string }> };
  const networkOf = (n: string | undefined) => (n === undefined ? undefined : t.nodes?.[n]?.network);
  for (const l of t.links ?? []) {
    const [a, b] = l.endpoints ?? [];
    if (!betweenNetworks || networkOf(a) !== networkOf(b)) l.delay = `${ms}ms`;
  }
  return stringify(t);
}

/** Whether a sweep parameter delays links (and so needs netem, and has a closed form). */
export function delaysLinks(param: SweepParam): boolean {
  return param === 'delay' || param === 'wan';
}

/**
 * The steps at `rate` handovers per second: each wait that directly follows
 * a handover step (in repeat blocks too) becomes `1000/rate` ms, and those
 * handovers are not waited for (`wait: false`), so the node moves every
 * 1/rate s whether or not its previous handover has completed.
 */
export function atHandoverRate(steps: readonly Step[], rate: number): Step[] {
  const ms = Math.round(1000 / rate);
  const walk = (list: readonly Step[]): Step[] =>
    list.map((s, i) => {
      if (s.repeat) return { ...s, repeat: { times: s.repeat.times, steps: walk(s.repeat.steps) } };
      const next = list[i + 1];
      if (s.handover && next?.wait !== undefined) return { ...s, handover: { ...s.handover, wait: false } };
      return s.wait !== undefined && list[i - 1]?.handover ? { ...s, wait: `${ms}ms` } : s;
    });
  return walk(steps);
}

/** Whether a wait follows some handover (a rate sweep has something to set). */
export function hasWaitAfterHandover(steps: readonly Step[]): boolean {
  return steps.some((s, i) => (s.wait !== undefined && steps[i - 1]?.handover !== undefined) || (s.repeat ? hasWaitAfterHandover(s.repeat.steps) : false));
}
