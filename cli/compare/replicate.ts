import { parse, stringify } from 'yaml';
import type { Step } from '../scenario/schema.js';

/** Name of the k-th copy (k ≥ 2) of a mobile node: `mn1` → `mn1c2`. */
export const copyName = (mn: string, k: number) => `${mn}c${k}`;

/**
 * A topology text with `copies − 1` more mobile nodes like each of `mns`: the
 * same network, the same cells and start cell (`mn1c2`, `mn1c3`, ...). Used by
 * `compare --sweep mns=...` to run one pattern with more mobile nodes.
 */
export function replicateTopology(text: string, mns: readonly string[], copies: number): string {
  const t = parse(text) as { nodes: Record<string, unknown>; access?: { mn: string }[] };
  for (const mn of mns) {
    const node = t.nodes[mn];
    const access = (t.access ?? []).find((a) => a.mn === mn);
    for (let k = 2; k <= copies; k++) {
      t.nodes[copyName(mn, k)] = structuredClone(node);
      if (access) (t.access ??= []).push({ ...structuredClone(access), mn: copyName(mn, k) });
    }
  }
  return stringify(t);
}

/**
 * The steps with every step about one of `mns` repeated for each copy (flows
 * get ids `<id>-c<k>`, and their stops follow), right after the original.
 */
export function replicateSteps(steps: readonly Step[], mns: readonly string[], copies: number): Step[] {
  const flowsOf = new Set<string>();
  const find = (steps: readonly Step[]) => {
    for (const s of steps) {
      if (s.flow && (mns.includes(s.flow.from) || mns.includes(s.flow.to))) flowsOf.add(s.flow.id);
      if (s.repeat) find(s.repeat.steps);
    }
  };
  find(steps);
  const rename = (n: string, k: number) => (mns.includes(n) ? copyName(n, k) : n);
  const expand = (steps: readonly Step[]): Step[] =>
    steps.flatMap((s): Step[] => {
      if (s.repeat) return [{ ...s, repeat: { times: s.repeat.times, steps: expand(s.repeat.steps) } }];
      const copiesOf = (k: number): Step | undefined => {
        if (s.flow && flowsOf.has(s.flow.id))
          return { ...s, flow: { ...s.flow, id: `${s.flow.id}-c${k}`, from: rename(s.flow.from, k), to: rename(s.flow.to, k) } };
        if (s.stop && flowsOf.has(s.stop)) return { ...s, stop: `${s.stop}-c${k}` };
        if (s.handover && mns.includes(s.handover.mn)) return { ...s, handover: { ...s.handover, mn: copyName(s.handover.mn, k) } };
        if (s.attach && mns.includes(s.attach.mn)) return { ...s, attach: { ...s.attach, mn: copyName(s.attach.mn, k) } };
        if (s.detach && mns.includes(s.detach.mn)) return { ...s, detach: { ...s.detach, mn: copyName(s.detach.mn, k) } };
        return undefined;
      };
      const extra = Array.from({ length: copies - 1 }, (_, i) => copiesOf(i + 2)).filter((x): x is Step => x !== undefined);
      return [s, ...extra];
    });
  return expand(steps);
}
