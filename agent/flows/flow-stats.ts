/**
 * Accounting for flows by sequence number: loss, duplicates, reordering and
 * latency, in bounded memory (a sliding window of sequence numbers in a
 * bitmap, latency in log-scaled histograms). Pure: the receivers feed it.
 */
import type { LatencySummary } from '../../shared/control/flow-report.js';

/** How one arrival was classified. */
export type Arrival = 'new' | 'reordered' | 'duplicate' | 'stale';

/** Per-interval figures (the last `flow.stats` period). */
export interface IntervalFigures {
  /** Packets (records, replies, writes) per second over the interval. */
  rate: number;
  /** Payload bytes per second over the interval. */
  byteRate: number;
  /** Latency over the interval, or null when nothing arrived. */
  latencyMs: LatencySummary | null;
}

/** Cumulative receive-side counters. */
export interface ReceiveCounters {
  /** Every decoded arrival, duplicates included. */
  received: number;
  /** Payload bytes of those arrivals. */
  receivedBytes: number;
  /** Sequence numbers below the highest one seen that never arrived (tail loss is invisible here). */
  lost: number;
  duplicates: number;
  /** Arrivals below the highest sequence number seen that filled a gap. */
  reordered: number;
  /** Arrivals too old for the window (cannot tell duplicate from late). */
  stale: number;
  /** Sequence number (as on the wire) of the last arrival; 0 before any. */
  lastSeq: number;
  /** Highest sequence number (as on the wire) seen; 0 before any. */
  maxSeq: number;
}

const LOG_BASE_MS = 0.001;
const LOG_RATIO = 1.02;
const BUCKETS = 1100;
const LN_RATIO = Math.log(LOG_RATIO);

/** Latency histogram with log-scaled buckets from 1 µs to a few minutes (2% wide). */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private n = 0;
  private maxMs = 0;

  add(ms: number): void {
    const v = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const i = v <= LOG_BASE_MS ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(v / LOG_BASE_MS) / LN_RATIO));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.n++;
    if (v > this.maxMs) this.maxMs = v;
  }

  /** The value at quantile `q` (0..1): the middle of its bucket, never above the maximum seen. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return i === 0 ? Math.min(LOG_BASE_MS, this.maxMs) : Math.min(this.maxMs, LOG_BASE_MS * LOG_RATIO ** (i - 0.5));
    }
    return this.maxMs;
  }

  summary(): LatencySummary | null {
    if (this.n === 0) return null;
    return { p50: round3(this.quantile(0.5)), p95: round3(this.quantile(0.95)), max: round3(this.maxMs), n: this.n };
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.maxMs = 0;
  }
}

/** Options of a sequence-number account. */
export interface FlowStatsOptions {
  /** Sequence numbers remembered behind the highest one (a power of two; default 65536). */
  window?: number;
  /** Width of the sequence number on the wire (32 for flow headers, 16 for ICMP echo); wraps are followed. */
  seqBits?: 16 | 32;
}

/**
 * Loss, duplicate and reordering accounting by sequence number. Sequence
 * numbers are unwrapped (serial-number arithmetic, so a uint32 or uint16
 * wrap continues the count), the last `window` of them are kept in a bitmap.
 * A jump ahead counts the numbers skipped as lost; one of them arriving later
 * is reordered and no longer lost; an arrival older than the window is stale.
 */
export class FlowStats {
  private readonly window: number;
  private readonly modulus: number;
  private readonly bits: Uint32Array;
  private highest = 0;
  private started = false;
  private readonly c: ReceiveCounters = { received: 0, receivedBytes: 0, lost: 0, duplicates: 0, reordered: 0, stale: 0, lastSeq: 0, maxSeq: 0 };
  private readonly total = new LatencyHistogram();
  private readonly recent = new LatencyHistogram();
  private intervalCount = 0;
  private intervalBytes = 0;
  private intervalStart: number;

  constructor(opts: FlowStatsOptions = {}, nowMs = 0) {
    const seqBits = opts.seqBits ?? 32;
    this.modulus = 2 ** seqBits;
    this.window = Math.min(opts.window ?? 65536, this.modulus / 2);
    if (!Number.isInteger(Math.log2(this.window)) || this.window < 32) throw new RangeError(`window ${this.window} is not a power of two of at least 32`);
    this.bits = new Uint32Array(this.window / 32);
    this.intervalStart = nowMs;
  }

  /** Accounts one arrival of sequence number `seq` (as on the wire). */
  record(seq: number, bytes = 0, latencyMs?: number): Arrival {
    const ext = this.unwrap(seq);
    const c = this.c;
    c.received++;
    c.receivedBytes += bytes;
    c.lastSeq = seq;
    this.intervalCount++;
    this.intervalBytes += bytes;
    if (latencyMs !== undefined) {
      this.total.add(latencyMs);
      this.recent.add(latencyMs);
    }
    if (ext > this.highest) {
      this.advance(ext);
      this.set(ext);
      return 'new';
    }
    if (ext < 1 || ext <= this.highest - this.window) {
      c.stale++;
      return 'stale';
    }
    if (this.has(ext)) {
      c.duplicates++;
      return 'duplicate';
    }
    this.set(ext);
    c.reordered++;
    c.lost--;
    return 'reordered';
  }

  /** Cumulative counters. */
  counters(): ReceiveCounters {
    return { ...this.c };
  }

  /** Latency over the whole flow. */
  latencyTotal(): LatencySummary | null {
    return this.total.summary();
  }

  /** Figures since the previous call (or the start), then starts a new interval. */
  interval(nowMs: number): IntervalFigures {
    const s = Math.max(1e-3, (nowMs - this.intervalStart) / 1000);
    const out = { rate: round3(this.intervalCount / s), byteRate: Math.round(this.intervalBytes / s), latencyMs: this.recent.summary() };
    this.intervalStart = nowMs;
    this.intervalCount = 0;
    this.intervalBytes = 0;
    this.recent.reset();
    return out;
  }

  /** The unwrapped sequence number closest to the highest seen. */
  private unwrap(seq: number): number {
    if (!this.started) {
      this.started = true;
      return seq;
    }
    const m = this.modulus;
    let d = (((seq - (this.highest % m)) % m) + m) % m;
    if (d >= m / 2) d -= m;
    return this.highest + d;
  }

  private advance(ext: number): void {
    const gap = ext - this.highest - 1;
    this.c.lost += gap;
    if (gap + 1 >= this.window) this.bits.fill(0);
    else for (let s = this.highest + 1; s < ext; s++) this.clear(s);
    this.highest = ext;
    this.c.maxSeq = ext % this.modulus;
  }

  private index(ext: number): [word: number, mask: number] {
    const i = ext & (this.window - 1);
    return [i >>> 5, 1 << (i & 31)];
  }

  private has(ext: number): boolean {
    const [w, m] = this.index(ext);
    return ((this.bits[w] ?? 0) & m) !== 0;
  }

  private set(ext: number): void {
    const [w, m] = this.index(ext);
    this.bits[w] = (this.bits[w] ?? 0) | m;
  }

  private clear(ext: number): void {
    const [w, m] = this.index(ext);
    this.bits[w] = (this.bits[w] ?? 0) & ~m;
  }
}

/** Send-side counters for one interval and in total: packets, bytes, errors by code. */
export class SendMeter {
  /** Packets (records, writes) handed to the kernel. */
  sent = 0;
  sentBytes = 0;
  /** Sends that failed (counted, not fatal). */
  sendErrors = 0;
  /** Errors by code (EADDRNOTAVAIL, ENETUNREACH, ...): failed sends and errors the socket reported later. */
  readonly errors: Record<string, number> = {};
  private intervalCount = 0;
  private intervalBytes = 0;
  private intervalStart: number;

  constructor(nowMs = 0) {
    this.intervalStart = nowMs;
  }

  sentOne(bytes: number, packets = 1): void {
    this.sent += packets;
    this.sentBytes += bytes;
    this.intervalCount += packets;
    this.intervalBytes += bytes;
  }

  failed(code: string): void {
    this.sendErrors++;
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  /** An error reported later by the socket (e.g. ICMP port unreachable): counted by code, not as a failed send. */
  notice(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  /** Rate figures since the previous call, then starts a new interval. */
  interval(nowMs: number): Omit<IntervalFigures, 'latencyMs'> {
    const s = Math.max(1e-3, (nowMs - this.intervalStart) / 1000);
    const out = { rate: round3(this.intervalCount / s), byteRate: Math.round(this.intervalBytes / s) };
    this.intervalStart = nowMs;
    this.intervalCount = 0;
    this.intervalBytes = 0;
    return out;
  }
}

/** An error's code (ENETUNREACH...) or, lacking one, its message. */
export function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message : String(e);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
