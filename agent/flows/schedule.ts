/** At most this much of a late schedule is caught up in a burst; beyond it the schedule restarts from now. */
const MAX_CATCH_UP_MS = 1000;

/**
 * A drift-free send schedule: unit k (from 0) is due at t0 + k / rate, so
 * late timers never accumulate into a lower rate; each tick takes what is due.
 */
export class Schedule {
  private taken = 0;
  private t0: number;
  /** Worst lateness (ms) of a unit taken since the last `interval()`. */
  private lagMax = 0;
  /** Times the schedule fell more than MAX_CATCH_UP_MS behind and restarted. */
  resyncs = 0;

  constructor(
    private readonly perSecond: number,
    now: number,
    private readonly limit = Infinity,
  ) {
    this.t0 = now;
  }

  /** Units due at `now` and not taken yet (never past the limit). */
  due(now: number): number {
    const upTo = Math.min(this.limit, Math.floor(((now - this.t0) * this.perSecond) / 1000) + 1);
    return Math.max(0, upTo - this.taken);
  }

  /** Takes `n` due units at `now`; a schedule too far behind restarts from now. Answers the lag (ms) when it restarted. */
  take(n: number, now: number): number | undefined {
    const lag = now - this.nextAt();
    if (lag > this.lagMax) this.lagMax = lag;
    this.taken += n;
    if (lag > MAX_CATCH_UP_MS && this.due(now) > 0) {
      this.t0 = now - (this.taken * 1000) / this.perSecond;
      this.resyncs++;
      return lag;
    }
    return undefined;
  }

  /** When the next unit is due (monotonic ms). */
  nextAt(): number {
    return this.t0 + (this.taken * 1000) / this.perSecond;
  }

  /** Whether the limit has been reached. */
  get done(): boolean {
    return this.taken >= this.limit;
  }

  /** Worst lateness since the last call (ms), then starts over. */
  lagMs(): number {
    const l = this.lagMax;
    this.lagMax = 0;
    return Math.round(Math.max(0, l) * 1000) / 1000;
  }
}
