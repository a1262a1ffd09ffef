import { containsPrefix, parsePrefix } from '../../../shared/ipv6.js';
import type { FlowAnalysis } from '../../analyze/types.js';
import type { Plan } from '../../plan/types.js';
import type { CheckResult } from '../../scenario/results.js';
import { formatComparison, parseComparison, satisfies } from '../comparison.js';
import type { CaptureVerifier } from '../verifier.js';

const num = (x: number | undefined, digits = 1) => (x === undefined ? 'n/a' : Number.isInteger(x) ? String(x) : x.toFixed(digits));

/** The worst of the defined values (the worst handover). */
function worst(xs: (number | undefined)[]): number | undefined {
  const defined = xs.filter((x): x is number => x !== undefined);
  return defined.length ? Math.max(...defined) : undefined;
}

/** A flow's figures from the capture: counts, loss, handover interruption, the settled path, the source address. */
export const flowVerifier: CaptureVerifier = {
  on: 'capture',
  name: (e) => `flow ${e.flow ?? '?'}`,
  check(e, { analysis, plan }) {
    const f = analysis.flows.find((x) => x.id === e.flow);
    if (!f) return [{ what: `flow ${e.flow ?? '?'}`, expected: 'measured in the capture', measured: 'no packets of it in the capture', ok: false }];
    const checks: CheckResult[] = [];
    const cmp = (what: string, measured: number | undefined, c: number | string | undefined, unit = '') => {
      if (c === undefined) return;
      const parsed = parseComparison(c);
      checks.push({
        what,
        expected: formatComparison(parsed),
        measured: measured === undefined ? 'not measured' : `${num(measured, 2)}${unit}`,
        ok: measured !== undefined && satisfies(measured, parsed),
      });
    };
    cmp('sent', f.sent, e.sent);
    cmp('received', f.received, e.received);
    cmp('lost', f.lost, e.lost);
    cmp('loss', f.lossPercent, e.lossPercent, '%');
    cmp('duplicates', f.duplicates, e.duplicates);
    cmp('reordered', f.reordered, e.reordered);
    cmp('interruption (worst handover)', worst(f.handovers.map((h) => h.interruptionMs)), e.interruption, ' ms');
    cmp('attachment to first packet (worst handover)', worst(f.handovers.map((h) => h.attachToFirstPacketMs)), e.attachToFirstPacket, ' ms');
    if (e.path) checks.push(pathCheck(f, e.path, plan));
    cmp('path stretch', f.pathStretch, e.pathStretch);
    if (e.keepsSource !== undefined) {
      checks.push({
        what: 'inner source address',
        expected: e.keepsSource ? 'one address for the whole flow' : 'changes',
        measured: f.sources.map((s) => `${s.address} (${s.packets})`).join(', ') || 'none',
        ok: f.keepsSource === e.keepsSource,
      });
    }
    if (e.sourceAnchoredAt) checks.push(sourceCheck(f, e.sourceAnchoredAt, plan));
    return checks;
  },
};

function pathCheck(f: FlowAnalysis, expected: string[], plan: Plan): CheckResult {
  const plain = new Set(plan.nodes.filter((n) => n.roles.every((r) => r === 'router')).map((n) => n.name));
  const useMobility = !expected.some((n) => plain.has(n));
  const got = f.settledPath ? (useMobility ? f.settledPath.mobilityNodes : f.settledPath.nodes) : undefined;
  return {
    what: `settled path${useMobility ? ' (MRs and endpoints)' : ''}`,
    expected: expected.join(' → '),
    measured: got ? got.join(' → ') : 'no packets',
    ok: Boolean(got && got.length === expected.length && got.every((n, i) => n === expected[i])),
  };
}

function sourceCheck(f: FlowAnalysis, anchorNode: string, plan: Plan): CheckResult {
  const anchor = plan.nodes.find((n) => n.name === anchorNode)?.anchor;
  const src = f.sources[0]?.address;
  const ok = Boolean(anchor && src && containsPrefix(parsePrefix(anchor), { addr: parsePrefix(`${src}/128`).addr, len: 128 }));
  return { what: 'inner source address', expected: `a home address anchored at ${anchorNode} (${anchor ?? '?'})`, measured: src ?? 'none', ok };
}
