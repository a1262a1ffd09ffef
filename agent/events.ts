import { createWriteStream, type WriteStream } from 'node:fs';
import { monoMs } from '../shared/clock.js';
import type { AgentEvent, EventFields, EventKind } from '../shared/control/events.js';

type Listener = (e: AgentEvent) => void;

/** How long a deferred bus collects events before delivering them (ms). */
export const DEFER_MS = 20;

/** An event whose time is taken; its fields are built when the bus delivers it. */
type Pending = AgentEvent | (() => AgentEvent);

/**
 * The agent's event stream and log. Every event is timestamped on the lab's
 * shared monotonic clock when it happens, appended to the node's log file (one
 * JSON object per line, so `dmmlab logs` and reports can read it back), kept in
 * a ring for late subscribers, and pushed to live subscribers (the
 * orchestrator, the TUI).
 *
 * With `deferred` (the agents), serialising, writing and pushing happen
 * DEFER_MS after the first event of a batch, in one batch: a handover's
 * signalling (about 10 ms on an agent host) runs to its end before the log
 * is written and the orchestrator woken. Each write and each push wakes
 * another thread or process (libuv's file thread, the orchestrator) that
 * took the agent host's core in the middle of the exchange: measured on
 * the figure-5 handover, flushing once per turn of the event loop instead
 * made the radio change → HAck 6.5-7.2 ms against 4.3-6.0 ms (docs/protocol.md).
 * Times are taken when events happen, so nothing about them changes.
 */
export class EventBus {
  private readonly ring: AgentEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly out: WriteStream | undefined;
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    readonly node: string,
    logFile: string | undefined,
    private readonly opts: { ringSize?: number; deferred?: boolean } = {},
  ) {
    this.out = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  }

  /** Records an event of `kind` with its fields. */
  emit<K extends EventKind>(kind: K, fields: EventFields[K]): AgentEvent {
    const e = { t: monoMs(), node: this.node, kind, ...fields } as AgentEvent;
    this.enqueue(e);
    return e;
  }

  /**
   * Records an event whose fields cost something to build (a decoded
   * message's summary): the time is now, `build` runs when the bus delivers
   * it (at once when not deferred).
   */
  emitLater<K extends EventKind>(kind: K, build: () => EventFields[K]): void {
    const t = monoMs();
    this.enqueue(() => ({ t, node: this.node, kind, ...build() }) as AgentEvent);
  }

  /** A log line (kept in the same file as a `log` event). */
  log(level: EventFields['log']['level'], message: string, fields: Omit<EventFields['log'], 'level' | 'message'> = {}): void {
    this.emit('log', { level, message, ...fields });
  }

  subscribe(l: Listener, history = 0): () => void {
    this.flush();
    if (history > 0) for (const e of this.ring.slice(-history)) l(e);
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async close(): Promise<void> {
    this.flush();
    this.listeners.clear();
    await new Promise<void>((r) => (this.out ? this.out.end(r) : r()));
  }

  /** Delivers the pending events now. */
  flushNow(): void {
    this.flush();
  }

  private enqueue(e: Pending): void {
    this.pending.push(e);
    if (!this.opts.deferred) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(this.flush, DEFER_MS).unref();
    }
  }

  /** Delivers what is pending: ring, log file (one write), subscribers, in order. */
  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const ringSize = this.opts.ringSize ?? 5000;
    const lines: string[] = [];
    for (const p of batch) {
      const e = typeof p === 'function' ? p() : p;
      this.ring.push(e);
      if (this.out) lines.push(JSON.stringify(e));
      for (const l of this.listeners) l(e);
    }
    if (this.ring.length > ringSize) this.ring.splice(0, this.ring.length - ringSize);
    if (lines.length) this.out?.write(lines.join('\n') + '\n');
  };
}
