import type { LinkParams } from '../topology/schema.js';

/** Milliseconds from a duration (number = ms, or "20ms", "1.5s", "500us"). */
export function durationMs(d: number | string): number {
  if (typeof d === 'number') return d;
  const m = /^(\d+(?:\.\d+)?)(us|ms|s)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  const v = Number(m[1]);
  return m[2] === 's' ? v * 1000 : m[2] === 'us' ? v / 1000 : v;
}

/** Percent from a loss value (number = %, or "1%"). */
export function lossPercent(l: number | string): number {
  return typeof l === 'number' ? l : Number(l.replace('%', ''));
}

/** Bits per second from a tc rate ("10mbit"). */
export function rateBps(r: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/.exec(r);
  if (!m) throw new Error(`not a rate: ${r}`);
  const mult = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2] as 'bit'];
  return Number(m[1]) * mult;
}

/** Whether these parameters need netem (delay, jitter or loss) rather than tbf alone. */
export function needsNetem(p: LinkParams): boolean {
  return (
    (p.delay !== undefined && durationMs(p.delay) > 0) ||
    (p.jitter !== undefined && durationMs(p.jitter) > 0) ||
    (p.loss !== undefined && lossPercent(p.loss) > 0)
  );
}

export function hasShaping(p: LinkParams): boolean {
  return needsNetem(p) || p.rate !== undefined;
}

/**
 * `tc -batch` lines that give an interface its link parameters on egress
 * (each end of a link shapes what it sends, so a link's delay applies in
 * each direction). netem carries delay, jitter, loss and rate together;
 * without them a tbf carries the rate. `replace` makes the same lines work
 * at deploy time and for run-time changes; empty parameters delete the qdisc.
 */
export function tcCommands(dev: string, p: LinkParams): string[] {
  if (!hasShaping(p)) return [`qdisc del dev ${dev} root`];
  if (needsNetem(p)) {
    const parts = [`qdisc replace dev ${dev} root netem`];
    if (p.delay !== undefined || p.jitter !== undefined) {
      parts.push(`delay ${fmtMs(p.delay === undefined ? 0 : durationMs(p.delay))}`);
      if (p.jitter !== undefined) parts.push(fmtMs(durationMs(p.jitter)));
    }
    if (p.loss !== undefined) parts.push(`loss ${lossPercent(p.loss)}%`);
    if (p.rate !== undefined) parts.push(`rate ${p.rate}`);
    // Room for a second of traffic at 100k packets/s so that delay does not become loss.
    parts.push('limit 100000');
    return [parts.join(' ')];
  }
  const bps = rateBps(p.rate as string);
  const burst = Math.max(Math.ceil(bps / 8 / 250), 3200);
  return [`qdisc replace dev ${dev} root tbf rate ${p.rate} burst ${burst} latency 100ms`];
}

function fmtMs(ms: number): string {
  return ms >= 1 ? `${ms}ms` : `${Math.round(ms * 1000)}us`;
}
