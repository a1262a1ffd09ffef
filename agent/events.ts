import { createWriteStream, type WriteStream } from 'node:fs';
import { monoMs } from '../shared/clock.js';
import type { AgentEvent, EventFields, EventKind } from '../shared/control/events.js';

type Listener = (e: AgentEvent) => void;

/**
 * The agent's event stream and log. Every event is timestamped on the lab's
 * shared monotonic clock, appended to the node's log file (one JSON object per
 * line, so `dmmlab logs` and reports can read it back), kept in a ring for
 * late subscribers, and pushed to live subscribers (the orchestrator, the TUI).
 */
export class EventBus {
  private readonly ring: AgentEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly out: WriteStream | undefined;

  constructor(
    readonly node: string,
    logFile: string | undefined,
    private readonly ringSize = 5000,
  ) {
    this.out = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  }

  /** Records an event of `kind` with its fields. */
  emit<K extends EventKind>(kind: K, fields: EventFields[K]): AgentEvent {
    const e = { t: monoMs(), node: this.node, kind, ...fields } as AgentEvent;
    this.ring.push(e);
    if (this.ring.length > this.ringSize) this.ring.shift();
    this.out?.write(JSON.stringify(e) + '\n');
    for (const l of this.listeners) l(e);
    return e;
  }

  /** A log line (kept in the same file as a `log` event). */
  log(level: EventFields['log']['level'], message: string, fields: Omit<EventFields['log'], 'level' | 'message'> = {}): void {
    this.emit('log', { level, message, ...fields });
  }

  subscribe(l: Listener, history = 0): () => void {
    if (history > 0) for (const e of this.ring.slice(-history)) l(e);
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await new Promise<void>((r) => (this.out ? this.out.end(r) : r()));
  }
}
