import { durationMs } from '../links/tc-commands.js';
import type { Step } from './schema.js';

/** A step as it ran: when, what, and what came of it. */
export interface StepRecord {
  index: number;
  /** Position in the scenario (e.g. "steps[4]" or "steps[2].repeat[3].steps[1]"). */
  path: string;
  text: string;
  kind: string;
  /** Monotonic ms. */
  startedAt: number;
  endedAt: number;
  ok: boolean;
  error?: string;
  detail?: unknown;
}

/** One line saying what a step does ("handover mn1 → mr2 (break, gap 0 ms)"). */
export function describeStep(s: Step): string {
  if (s.wait !== undefined) return `wait ${typeof s.wait === 'number' ? `${s.wait} ms` : s.wait}`;
  if (s.flow)
    return `start ${s.flow.kind} flow ${s.flow.id} ${s.flow.from} → ${s.flow.to}${s.flow.address ? ` (${s.flow.address})` : ''}${s.flow.rate !== undefined ? ` at ${s.flow.rate}${s.flow.kind === 'tcp' ? ' B/s' : ' pkt/s'}` : ''}`;
  if (s.stop !== undefined) return `stop flow ${s.stop}`;
  if (s.attach) return `attach ${s.attach.mn} to ${s.attach.ar}`;
  if (s.detach) return `detach ${s.detach.mn}${s.detach.ar ? ` from ${s.detach.ar}` : ''}`;
  if (s.handover) {
    const h = s.handover;
    const how =
      h.mode === 'make'
        ? `make-before-break${h.overlap !== undefined ? `, overlap ${durationMs(h.overlap)} ms` : ''}`
        : `break-before-make${h.gap !== undefined ? `, gap ${durationMs(h.gap)} ms` : ''}`;
    return `${h.predictive ? 'predictive ' : ''}handover ${h.mn} → ${h.to} (${how})`;
  }
  if (s.link) {
    const l = s.link;
    const params = Object.entries(l)
      .filter(([k]) => k !== 'between' && k !== 'state')
      .map(([k, v]) => `${k} ${String(v)}`);
    return `link ${l.between[0]}–${l.between[1]}${l.state ? ` ${l.state}` : ''}${params.length ? ` ${params.join(', ')}` : ''}`;
  }
  if (s.mark !== undefined) return `mark: ${s.mark}`;
  if (s.expect) return `check ${s.expect.length} expectation(s)`;
  if (s.repeat) return `repeat ${s.repeat.times}× (${s.repeat.steps.length} steps)`;
  return 'step';
}

export function stepKind(s: Step): string {
  return Object.keys(s).find((k) => (s as Record<string, unknown>)[k] !== undefined) ?? 'step';
}
