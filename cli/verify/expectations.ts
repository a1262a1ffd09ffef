import { containsPrefix, parsePrefix } from '../../shared/ipv6.js';
import type { LabSession } from '../lab/session.js';
import type { Plan } from '../plan/types.js';
import type { Analysis, FlowAnalysis } from '../analyze/types.js';
import { formatComparison, parseComparison, satisfies } from './comparison.js';
import { result, type CheckResult, type ExpectationResult } from '../scenario/results.js';
import type { Expectation } from '../scenario/schema.js';
import { checkAttached, checkBinding, checkClean, checkProxied, checkReleased } from './state-checks.js';

/** A short name for an expectation (its `name`, or what it checks). */
export function expectationName(e: Expectation): string {
  if (e.name) return e.name;
  if (e.flow) return `flow ${e.flow}`;
  if (e.signalling) return `signalling ${e.signalling.message}${e.signalling.handover !== undefined ? ` in handover ${e.signalling.handover}` : ''}`;
  if (e.clean) return 'no stale state';
  if (e.attached) return `${e.attached.mn} attached to ${e.attached.ar}`;
  if (e.binding) return `binding of ${e.binding.mn}'s ${e.binding.anchor} prefix at ${e.binding.at}`;
  if (e.released) return `${e.released.mn}'s ${e.released.anchor} prefix released`;
  if (e.proxied) return `LM proxy ${e.proxied.proxy} tracks ${e.proxied.mn} at ${e.proxied.at}`;
  return 'expectation';
}

/** Whether the expectation looks at the live lab (checked where it stands) rather than at the capture. */
export function isStateExpectation(e: Expectation): boolean {
  return Boolean(e.clean || e.attached || e.binding || e.released || e.proxied);
}

/** Checks the state parts of an expectation on the live lab. */
export async function evaluateState(e: Expectation, session: LabSession, at: string): Promise<ExpectationResult> {
  const checks: CheckResult[] = [];
  if (e.clean) checks.push(...(await checkClean(session)));
  if (e.attached) checks.push(...(await checkAttached(session, e.attached.mn, e.attached.ar)));
  if (e.binding) checks.push(...(await checkBinding(session, e.binding.mn, e.binding.anchor, e.binding.at)));
  if (e.released) checks.push(...(await checkReleased(session, e.released.mn, e.released.anchor)));
  if (e.proxied) checks.push(...(await checkProxied(session, e.proxied.mn, e.proxied.proxy, e.proxied.at)));
  return result(expectationName(e), at, checks);
}

const num = (x: number | undefined, digits = 1) => (x === undefined ? 'n/a' : Number.isInteger(x) ? String(x) : x.toFixed(digits));

/** Checks the traffic and signalling parts of an expectation on the run's analysis. */
export function evaluateTraffic(e: Expectation, a: Analysis, plan: Plan): ExpectationResult {
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
  if (e.flow !== undefined) {
    const f = a.flows.find((x) => x.id === e.flow);
    if (!f) checks.push({ what: `flow ${e.flow}`, expected: 'measured in the capture', measured: 'no packets of it in the capture', ok: false });
    else {
      cmp('sent', f.sent, e.sent);
      cmp('received', f.received, e.received);
      cmp('lost', f.lost, e.lost);
      cmp('loss', f.lossPercent, e.lossPercent, '%');
      cmp('duplicates', f.duplicates, e.duplicates);
      cmp('reordered', f.reordered, e.reordered);
      const worst = (xs: (number | undefined)[]) => {
        const defined = xs.filter((x): x is number => x !== undefined);
        return defined.length ? Math.max(...defined) : undefined;
      };
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
      if (e.sourceAnchoredAt) {
        const anchor = plan.nodes.find((n) => n.name === e.sourceAnchoredAt)?.anchor;
        const src = f.sources[0]?.address;
        const ok = Boolean(anchor && src && containsPrefix(parsePrefix(anchor), { addr: parsePrefix(`${src}/128`).addr, len: 128 }));
        checks.push({
          what: 'inner source address',
          expected: `a home address anchored at ${e.sourceAnchoredAt} (${anchor ?? '?'})`,
          measured: src ?? 'none',
          ok,
        });
      }
    }
  }
  if (e.signalling) {
    const s = e.signalling;
    const count = a.signalling.messages.filter(
      (m) =>
        m.name === s.message &&
        (s.from === undefined || m.from === s.from) &&
        (s.to === undefined || m.to === s.to) &&
        (s.handover === undefined || m.handover === s.handover),
    ).length;
    const parsed = parseComparison(s.count ?? '>= 1');
    const scope = [s.from ? `from ${s.from}` : '', s.to ? `to ${s.to}` : '', s.handover !== undefined ? `during handover ${s.handover}` : '']
      .filter(Boolean)
      .join(' ');
    checks.push({
      what: `${s.message} messages${scope ? ` ${scope}` : ''}`,
      expected: formatComparison(parsed),
      measured: String(count),
      ok: satisfies(count, parsed),
    });
  }
  return result(expectationName(e), 'end', checks);
}

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
