import type { AgentEvent } from '../../shared/control/events.js';
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

/** One line for the event log, or undefined for events the log leaves out. */
export function eventLine(e: AgentEvent, naming: Naming): { category: EventCategory; text: string } | undefined {
  if (UNLOGGED.has(e.kind)) return undefined;
  return { category: category(e), text: eventText(e, naming) };
}

function eventText(e: AgentEvent, naming: Naming): string {
  const name = (a: string) => naming.names.get(a) ?? a;
  const mn = (id: string) => naming.mnIds.get(id) ?? id;
  const ms = (x: number) => x.toFixed(1);
  switch (e.kind) {
    case 'mh.sent':
    case 'mh.received': {
      const parts = [`${e.msg} ${e.kind === 'mh.sent' ? `→ ${name(e.to)}` : `← ${name(e.from)}`}`];
      if (e.purpose) parts.push(String(e.purpose));
      if (e.mnId) parts.push(mn(e.mnId));
      if (e.prefixes?.length) parts.push(e.prefixes.join(' '));
      if (e.location) parts.push(`at ${name(e.location)}`);
      if (e.previousMr) parts.push(`previous ${name(e.previousMr)}`);
      if (e.status !== undefined && e.status !== 0) parts.push(`status ${e.status}`);
      if (e.lifetime === 0 && (e.msg === 'PBU' || e.msg === 'BU')) parts.push('(dereg)');
      parts.push(`seq ${e.seq}`);
      return parts.join(' ');
    }
    case 'mh.rejected':
      return `REJECTED ${e.msg ? `${e.msg} ` : ''}from ${name(e.from)}: ${e.reason}`;
    case 'mh.timeout':
      return `TIMEOUT ${e.msg} → ${name(e.to)} after ${e.attempts} attempts`;
    case 'mn.attached':
      return `${e.mn} attached to ${e.node}`;
    case 'mn.detached':
      return `${e.mn} detached from ${e.node}`;
    case 'attachment.completed':
      return `${e.mn} ${e.mode} attachment at ${e.to} in ${ms(e.ms)} ms ${e.prefixes.join(' ')}`.trimEnd();
    case 'handover.completed':
      return `HANDOVER ${e.mn} ${e.from ?? '?'} → ${e.to} in ${ms(e.ms)} ms ${e.prefixes.join(' ')}`.trimEnd();
    case 'context.created':
      return `context ${e.mn ?? mn(e.mnId)} → ${e.to} for ${e.lifetimeS} s ${e.prefixes.join(' ')}`.trimEnd();
    case 'context.deleted':
      return `context ${e.prefix} → ${e.to ?? '?'} ended`;
    case 'context.transferred':
      return `context of ${e.mn} transferred from ${e.from}`;
    case 'binding.updated':
      return `binding ${e.prefix} → ${e.mr}${e.previous ? ` (was ${name(e.previous)})` : ''} ${mn(e.mnId)}`;
    case 'binding.removed':
      return `binding ${e.prefix} removed (${e.reason})`;
    case 'cache.updated':
      return `cache ${e.prefix} → ${e.mr} (${e.source}, ${e.lifetime} s)`;
    case 'cache.removed':
      return `cache ${e.prefix} removed (${e.reason})`;
    case 'route.changed':
      return `route ${e.prefix}: ${e.route} (was ${e.previous}; ${e.reason})`;
    case 'prefix.allocated':
      return `prefix ${e.prefix} for ${e.mn}, anchored at ${e.anchor} (${e.lifetime} s)`;
    case 'prefix.removed':
      return `prefix ${e.prefix} of ${e.mn} removed (${e.reason})`;
    case 'anchor.binding':
      return `anchor: ${e.prefix} served by ${e.servedBy}`;
    case 'anchor.released':
      return `anchor: ${e.prefix} released (${e.reason})`;
    case 'proxy.updated':
      return `LM proxy: ${mn(e.mnId)} at ${e.serving}${e.previous ? ` (was ${e.previous})` : ''}${e.upstream ? ', home LM told' : ', home LM not told'}`;
    case 'proxy.departed':
      return `LM proxy: ${mn(e.mnId)} left (${e.reason})`;
    case 'proxy.relayed':
      return `LM proxy: context transfer for ${mn(e.mnId)} relayed to ${e.to} for ${e.for}`;
    case 'redirect.sent':
      return `redirect ${e.to}: ${e.prefix} is at ${e.location} (${e.reason})`;
    case 'redirect.revoked':
      return `redirect revoked at ${e.to}: ${e.prefix} is gone`;
    case 'radio.up':
    case 'radio.down':
      return `radio ${e.iface} to ${e.ar} ${e.kind === 'radio.up' ? 'up' : 'down'}`;
    case 'agent.error':
      return `ERROR ${e.message}`;
    case 'kernel.error':
      return `ERROR ${e.message} (${e.command})`;
    case 'agent.down':
      return `AGENT DOWN ${e.why}`;
    case 'flow.started':
      return `flow ${e.flowId} ${e.flowKind} ${e.role} started`;
    case 'flow.stopped':
      return `flow ${e.flowId} ${e.flowKind} ${e.role} ${e.state}${e.received !== undefined ? `, received ${e.received} lost ${e.lost ?? 0}` : ''}${e.sent !== undefined ? `, sent ${e.sent}` : ''}`;
    case 'flow.error':
      return `flow ${e.flowId} ${e.role}: ${e.message}`;
    case 'tui.note':
    case 'tui.error':
    case 'lab.gone':
    case 'step':
    case 'mark':
      return e.text;
    case 'step.handover':
      return `step: handover ${e.mn} ${e.from.join(',') || '-'} → ${e.to} (${e.mode})`;
    case 'step.attach':
      return `step: attach ${e.mn} to ${e.ar}`;
    case 'step.detach':
      return `step: detach ${e.mn} from ${e.ar ?? 'every cell'}`;
    case 'step.flow-start':
      return `step: start flow ${e.flow} ${e.flowKind} ${e.from} → ${e.to}`;
    case 'step.flow-stop':
      return `step: stop flow ${e.flow}`;
    default:
      return e.node === 'dmmlab' ? `${e.kind.replace(/^step\./, 'step: ')} ${describeEvent(e)}`.trim() : describeEvent(e);
  }
}
