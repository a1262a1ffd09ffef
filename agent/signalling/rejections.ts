import type { EventFields } from '../../shared/control/events.js';
import type { RejectionCounts } from '../../shared/control/role-state.js';
import type { EventBus } from '../events.js';

/** `mh.rejected` events logged per second at most; the rest are counted and summed up. */
export const REJECTIONS_LOGGED_PER_SECOND = 10;
/** Senders counted one by one; rejections from any further sender go to one "(others)" count. */
export const REJECTION_SOURCES_KEPT = 64;

/**
 * What the signalling transport refused, and from whom, in bounded memory:
 * counts per reason and per sender (the first 64 senders, then "(others)"),
 * and the log kept to REJECTIONS_LOGGED_PER_SECOND events a second. A flood
 * of forged or malformed packets costs counters, not memory or disk; the
 * events left out are summed up in the next one (`suppressed`) and, once the
 * flood stops, in a warning.
 */
export class Rejections {
  private readonly byReason = new Map<string, number>();
  private readonly bySource = new Map<string, number>();
  private others = 0;
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;
  private suppressedTotal = 0;
  private summary: NodeJS.Timeout | undefined;

  constructor(private readonly events: EventBus) {}

  /** Counts a refused message and logs it unless this second's share is used up. `kind` is the reason's first word. */
  reject(kind: string, from: string, fields: () => EventFields['mh.rejected']): void {
    this.byReason.set(kind, (this.byReason.get(kind) ?? 0) + 1);
    if (this.bySource.has(from) || this.bySource.size < REJECTION_SOURCES_KEPT) this.bySource.set(from, (this.bySource.get(from) ?? 0) + 1);
    else this.others++;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow < REJECTIONS_LOGGED_PER_SECOND) {
      this.inWindow++;
      const e = fields();
      this.events.emit('mh.rejected', this.suppressed > 0 ? { ...e, suppressed: this.suppressed } : e);
      this.suppressed = 0;
      return;
    }
    this.suppressed++;
    this.suppressedTotal++;
    this.summary ??= setTimeout(() => this.sumUp(), 1000);
    this.summary.unref?.();
  }

  /** The flood's tail that no event carried. */
  private sumUp(): void {
    this.summary = undefined;
    if (this.suppressed === 0) return;
    const reasons = [...this.byReason].map(([k, n]) => `${k} ${n}`).join(', ');
    this.events.log('warn', `${this.suppressed} more rejected messages not logged one by one (rejected so far: ${reasons})`);
    this.suppressed = 0;
  }

  counts(): RejectionCounts {
    const sources = [...this.bySource].sort((a, b) => b[1] - a[1]).map(([source, count]) => ({ source, count }));
    if (this.others > 0) sources.push({ source: '(others)', count: this.others });
    return { byReason: Object.fromEntries(this.byReason), bySource: sources, notLogged: this.suppressedTotal };
  }

  stop(): void {
    if (this.summary) clearTimeout(this.summary);
  }
}
