import type { AgentEvent } from '../../shared/control/messages.js';
import { linkLocalFromMac } from '../../shared/ipv6.js';
import { describeEvent } from '../output/format-event.js';
import type { Plan } from '../plan/types.js';

/** How a line of the event log is coloured and filtered. */
export type EventCategory = 'signalling' | 'attach' | 'handover' | 'binding' | 'flow' | 'error' | 'step' | 'other';

/** Node names for addresses (loopbacks, link addresses, link-locals) and mobile node identifiers. */
export interface Naming {
  names: ReadonlyMap<string, string>;
  mnIds: ReadonlyMap<string, string>;
}

/** Names every address the plan knows, so the log says `lm1`, not `2001:db8:1::3`. */
export function namingFor(plan: Plan): Naming {
  const names = new Map<string, string>();
  for (const n of plan.nodes) {
    if (n.loopback) names.set(n.loopback, n.name);
    for (const i of n.interfaces) {
      for (const a of i.addresses) names.set(a.split('/')[0] as string, n.name);
      try {
        names.set(linkLocalFromMac(i.mac), n.name);
      } catch {
        // not a MAC: no link-local to name
      }
    }
  }
  for (const m of plan.mobility?.mrs ?? []) names.set(m.address, m.node);
  const mnIds = new Map((plan.mobility?.mns ?? []).map((m) => [m.id, m.node] as const));
  return { names, mnIds };
}

/** Events that never go to the log (too frequent, shown elsewhere). */
const UNLOGGED = new Set(['flow.stats', 'observer.filter']);

const CATEGORY: Record<string, EventCategory> = {
  'mn.attached': 'attach',
  'mn.detached': 'attach',
  'attachment.completed': 'attach',
  'radio.up': 'attach',
  'radio.down': 'attach',
  'handover.completed': 'handover',
  'context.created': 'handover',
  'context.deleted': 'handover',
  'context.transferred': 'handover',
  'binding.updated': 'binding',
  'binding.removed': 'binding',
  'cache.updated': 'binding',
  'cache.removed': 'binding',
  'prefix.allocated': 'binding',
  'proxy.updated': 'binding',
  'proxy.departed': 'binding',
  'proxy.relayed': 'handover',
  'agent.error': 'error',
  'kernel.error': 'error',
  'mh.rejected': 'error',
  'mh.timeout': 'error',
  'flow.error': 'error',
  'agent.down': 'error',
  'lab.gone': 'error',
};

function category(e: AgentEvent): EventCategory {
  if (e.kind.startsWith('mh.')) return CATEGORY[e.kind] ?? 'signalling';
  if (e.kind === 'log') return e.level === 'error' || e.level === 'warn' ? 'error' : 'other';
  if (e.node === 'dmmlab' || e.kind.startsWith('tui.')) return e.kind === 'tui.error' ? 'error' : 'step';
  if (e.kind.startsWith('flow.')) return 'flow';
  return CATEGORY[e.kind] ?? 'other';
}

const s = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** One line for the event log, or undefined for events the log leaves out. */
export function eventLine(e: AgentEvent, naming: Naming): { category: EventCategory; text: string } | undefined {
  if (UNLOGGED.has(e.kind)) return undefined;
  return { category: category(e), text: eventText(e, naming) };
}

function eventText(e: AgentEvent, naming: Naming): string {
  const name = (a: unknown) => (typeof a === 'string' ? (naming.names.get(a) ?? a) : s(a));
  const mn = (id: unknown) => (typeof id === 'string' ? (naming.mnIds.get(id) ?? id) : s(id));
  const f = e as Record<string, unknown>;
  const prefixes = Array.isArray(f.prefixes) ? (f.prefixes as string[]).join(' ') : '';
  switch (e.kind) {
    case 'mh.sent':
    case 'mh.received': {
      const parts = [`${s(f.msg)} ${e.kind === 'mh.sent' ? `→ ${name(f.to)}` : `← ${name(f.from)}`}`];
      if (f.purpose) parts.push(s(f.purpose));
      if (f.mnId) parts.push(mn(f.mnId));
      if (prefixes) parts.push(prefixes);
      if (f.location) parts.push(`at ${name(f.location)}`);
      if (f.previousMr) parts.push(`previous ${name(f.previousMr)}`);
      if (f.status !== undefined && f.status !== 0) parts.push(`status ${s(f.status)}`);
      if (f.lifetime === 0 && (f.msg === 'PBU' || f.msg === 'BU')) parts.push('(dereg)');
      parts.push(`seq ${s(f.seq)}`);
      return parts.join(' ');
    }
    case 'mh.rejected':
      return `REJECTED ${f.msg ? `${s(f.msg)} ` : ''}from ${name(f.from)}: ${s(f.reason)}`;
    case 'mh.timeout':
      return `TIMEOUT ${s(f.msg)} → ${name(f.to)} after ${s(f.attempts)} attempts`;
    case 'mn.attached':
      return `${s(f.mn)} attached to ${e.node}`;
    case 'mn.detached':
      return `${s(f.mn)} detached from ${e.node}`;
    case 'attachment.completed':
      return `${s(f.mn)} ${s(f.mode)} attachment at ${s(f.to)} in ${Number(f.ms).toFixed(1)} ms ${prefixes}`.trimEnd();
    case 'handover.completed':
      return `HANDOVER ${s(f.mn)} ${f.from ? s(f.from) : '?'} → ${s(f.to)} in ${Number(f.ms).toFixed(1)} ms ${prefixes}`.trimEnd();
    case 'context.created':
      return `context ${f.mn ? s(f.mn) : mn(f.mnId)} → ${s(f.to)} for ${s(f.lifetimeS)} s ${prefixes}`.trimEnd();
    case 'context.deleted':
      return `context ${s(f.prefix)} → ${s(f.to)} ended`;
    case 'context.transferred':
      return `context of ${s(f.mn)} transferred from ${s(f.from)}`;
    case 'binding.updated':
      return `binding ${s(f.prefix)} → ${s(f.mr ?? name(f.location))}${f.previous ? ` (was ${name(f.previous)})` : ''} ${mn(f.mnId)}`;
    case 'binding.removed':
      return `binding ${s(f.prefix)} removed (${s(f.reason)})`;
    case 'cache.updated':
      return `cache ${s(f.prefix)} → ${s(f.mr)} (${s(f.source)}, ${s(f.lifetime)} s)`;
    case 'cache.removed':
      return `cache ${s(f.prefix)} removed (${s(f.reason)})`;
    case 'route.changed':
      return `route ${s(f.prefix)}: ${s(f.route)} (was ${s(f.previous)}; ${s(f.reason)})`;
    case 'prefix.allocated':
      return `prefix ${s(f.prefix)} for ${s(f.mn)}, anchored at ${s(f.anchor)} (${s(f.lifetime)} s)`;
    case 'prefix.removed':
      return `prefix ${s(f.prefix)} of ${s(f.mn)} removed (${s(f.reason)})`;
    case 'anchor.binding':
      return `anchor: ${s(f.prefix)} served by ${s(f.servedBy)}`;
    case 'anchor.released':
      return `anchor: ${s(f.prefix)} released (${s(f.reason)})`;
    case 'proxy.updated':
      return `LM proxy: ${mn(f.mnId)} at ${s(f.serving)}${f.previous ? ` (was ${s(f.previous)})` : ''}${f.upstream ? ', home LM told' : ', home LM not told'}`;
    case 'proxy.departed':
      return `LM proxy: ${mn(f.mnId)} left (${s(f.reason)})`;
    case 'proxy.relayed':
      return `LM proxy: context transfer for ${mn(f.mnId)} relayed to ${s(f.to)} for ${s(f.for)}`;
    case 'redirect.sent':
      return `redirect ${s(f.to)}: ${s(f.prefix)} is at ${s(f.location)} (${s(f.reason)})`;
    case 'radio.up':
    case 'radio.down':
      return `radio ${s(f.iface)} to ${s(f.ar)} ${e.kind === 'radio.up' ? 'up' : 'down'}`;
    case 'agent.error':
    case 'kernel.error':
      return `ERROR ${s(f.message)}${f.command ? ` (${s(f.command)})` : ''}`;
    case 'agent.down':
      return `AGENT DOWN ${s(f.why)}`;
    case 'flow.started':
    case 'flow.stopped':
      return `flow ${s(f.flowId)} ${s(f.flowKind ?? '')} ${s(f.role)} ${e.kind === 'flow.started' ? 'started' : s(f.state)}${f.received !== undefined ? `, received ${s(f.received)} lost ${s(f.lost)}` : ''}${f.sent !== undefined ? `, sent ${s(f.sent)}` : ''}`;
    case 'flow.error':
      return `flow ${s(f.flowId)} ${s(f.role)}: ${s(f.message)}`;
    default:
      if (typeof f.text === 'string') return f.text;
      if (e.node === 'dmmlab') return stepText(e);
      return describeEvent(e);
  }
}

/** The session's own notes (steps people and scenarios take). */
function stepText(e: AgentEvent): string {
  const f = e as Record<string, unknown>;
  const from = Array.isArray(f.from) ? (f.from as string[]).join(',') || '-' : s(f.from);
  switch (e.kind) {
    case 'step.handover':
      return `step: handover ${s(f.mn)} ${from} → ${s(f.to)} (${s(f.mode)})`;
    case 'step.attach':
      return `step: attach ${s(f.mn)} to ${s(f.ar)}`;
    case 'step.detach':
      return `step: detach ${s(f.mn)} from ${f.ar ? s(f.ar) : 'every cell'}`;
    case 'step.flow-stop':
      return `step: stop flow ${s(f.flow)}`;
    default:
      // step.flow-start (its flow's `kind` may have overwritten the event's)
      if (f.flow !== undefined && f.to !== undefined)
        return `step: start flow ${s(f.flow)} ${e.kind.startsWith('step.') ? s(f.flowKind ?? '') : e.kind} ${from} → ${s(f.to)}`.replace(/ {2,}/g, ' ');
      return `${e.kind.replace(/^step\./, 'step: ')} ${describeEvent(e)}`.trim();
  }
}
