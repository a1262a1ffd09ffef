import type { AgentEvent } from '../../shared/control/messages.js';

/** Wall-clock time of an event (HH:MM:SS.mmm) given the lab's monotonic-to-Unix offset. */
export function eventClock(t: number, monoToWallMs: number | undefined): string {
  if (monoToWallMs === undefined) return `${(t / 1000).toFixed(3)}s`;
  const d = new Date(t + monoToWallMs);
  return d.toISOString().slice(11, 23);
}

const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** One readable line for an event (logs, plain run output, the TUI's event log). */
export function describeEvent(e: AgentEvent): string {
  const f = e as Record<string, unknown>;
  switch (e.kind) {
    case 'mh.sent':
    case 'mh.received': {
      const dir = e.kind === 'mh.sent' ? `→ ${str(f.to)}` : `← ${str(f.from)}`;
      const parts = [`${str(f.msg)} seq ${str(f.seq)}`, dir];
      if (f.purpose) parts.push(str(f.purpose));
      if (f.mnId) parts.push(str(f.mnId));
      if (Array.isArray(f.prefixes) && f.prefixes.length) parts.push(`[${(f.prefixes as string[]).join(' ')}]`);
      if (f.location) parts.push(`at ${str(f.location)}`);
      if (f.previousMr) parts.push(`previous ${str(f.previousMr)}`);
      if (f.status !== undefined && f.status !== 0) parts.push(`status ${str(f.status)}`);
      if (f.lifetime === 0 && (f.msg === 'PBU' || f.msg === 'BU')) parts.push('(deregistration)');
      return parts.join(' ');
    }
    case 'mh.rejected':
      return `REJECTED from ${str(f.from)}: ${str(f.reason)}${f.msg ? ` (${str(f.msg)})` : ''}`;
    case 'route.changed':
      return `${str(f.prefix)}: ${str(f.previous)} ⇒ ${str(f.route)} (${str(f.reason)})`;
    case 'mn.attached':
    case 'mn.detached':
      return `${str(f.mn)} ${e.kind === 'mn.attached' ? 'attached' : 'detached'} on ${str(f.iface)}`;
    case 'handover.completed':
    case 'attachment.completed':
      return `${str(f.mn)} ${str(f.mode)} ${f.from ? `${str(f.from)}→` : ''}${str(f.to)} in ${Number(f.ms).toFixed(1)} ms, prefixes ${(f.prefixes as string[] | undefined)?.join(' ') ?? ''}`;
    case 'binding.updated':
      return `binding ${str(f.prefix)} → ${str(f.mr ?? f.location)}`;
    case 'cache.updated':
      return `cache ${str(f.prefix)} → ${str(f.mr)} (${str(f.source)})`;
    case 'log':
      return `${str(f.level)}: ${str(f.message)}`;
    case 'flow.stats':
      return `flow ${str(f.flowId)} ${str(f.role)}: ${f.received !== undefined ? `received ${str(f.received)}, lost ${str(f.lost)}` : `sent ${str(f.sent)}`}`;
    default: {
      const rest = Object.entries(f)
        .filter(([k]) => k !== 't' && k !== 'node' && k !== 'kind')
        .map(([k, v]) => `${k}=${str(v)}`)
        .join(' ');
      return rest;
    }
  }
}

/** `time node kind description`, aligned. */
export function formatEvent(e: AgentEvent, monoToWallMs: number | undefined): string {
  return `${eventClock(e.t, monoToWallMs)} ${e.node.padEnd(6)} ${e.kind.padEnd(20)} ${describeEvent(e)}`;
}
