import type { AgentEvent } from '../../shared/control/events.js';

/** Wall-clock time of an event (HH:MM:SS.mmm) given the lab's monotonic-to-Unix offset. */
export function eventClock(t: number, monoToWallMs: number | undefined): string {
  if (monoToWallMs === undefined) return `${(t / 1000).toFixed(3)}s`;
  const d = new Date(t + monoToWallMs);
  return d.toISOString().slice(11, 23);
}

const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** One readable line for an event (logs, plain run output, the TUI's event log). */
export function describeEvent(e: AgentEvent): string {
  switch (e.kind) {
    case 'mh.sent':
    case 'mh.received': {
      const parts = [`${e.msg} seq ${e.seq}`, e.kind === 'mh.sent' ? `→ ${e.to}` : `← ${e.from}`];
      if (e.purpose) parts.push(String(e.purpose));
      if (e.mnId) parts.push(e.mnId);
      if (e.prefixes?.length) parts.push(`[${e.prefixes.join(' ')}]`);
      if (e.location) parts.push(`at ${e.location}`);
      if (e.previousMr) parts.push(`previous ${e.previousMr}`);
      if (e.status !== undefined && e.status !== 0) parts.push(`status ${e.status}`);
      if (e.lifetime === 0 && (e.msg === 'PBU' || e.msg === 'BU')) parts.push('(deregistration)');
      return parts.join(' ');
    }
    case 'mh.rejected':
      return `REJECTED from ${e.from}: ${e.reason}${e.msg ? ` (${e.msg})` : ''}`;
    case 'route.changed':
      return `${e.prefix}: ${e.previous} ⇒ ${e.route} (${e.reason})`;
    case 'mn.attached':
    case 'mn.detached':
      return `${e.mn} ${e.kind === 'mn.attached' ? 'attached' : 'detached'} on ${e.iface}`;
    case 'handover.completed':
    case 'attachment.completed':
      return `${e.mn} ${e.mode} ${e.from ? `${e.from}→` : ''}${e.to} in ${e.ms.toFixed(1)} ms, prefixes ${e.prefixes.join(' ')}`;
    case 'binding.updated':
      return `binding ${e.prefix} → ${e.mr}`;
    case 'cache.updated':
      return `cache ${e.prefix} → ${e.mr} (${e.source})`;
    case 'log':
      return `${e.level}: ${e.message}`;
    case 'flow.stats':
      return `flow ${e.flowId} ${e.role}: ${e.received !== undefined ? `received ${e.received}, lost ${e.lost ?? 0}` : `sent ${e.sent ?? 0}`}`;
    default:
      return Object.entries(e)
        .filter(([k]) => k !== 't' && k !== 'node' && k !== 'kind')
        .map(([k, v]) => `${k}=${str(v)}`)
        .join(' ');
  }
}

/** `time node kind description`, aligned. */
export function formatEvent(e: AgentEvent, monoToWallMs: number | undefined): string {
  return `${eventClock(e.t, monoToWallMs)} ${e.node.padEnd(6)} ${e.kind.padEnd(20)} ${describeEvent(e)}`;
}
