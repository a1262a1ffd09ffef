import { describe, expect, it } from 'vitest';
import { encodeFlowHeader, type FlowHeader } from '../../../shared/flow-format.js';
import { FlowStats, LatencyHistogram, SendMeter, type Arrival } from '../../../agent/flows/flow-stats.js';
import { parsePingLine, pingErrorCode } from '../../../agent/flows/icmp-echo.js';
import { RecordCutter } from '../../../agent/flows/tcp-receiver.js';
import { Schedule } from '../../../agent/flows/schedule.js';

const W = 0xffffffff;

/** Feeds `seqs` and answers the classifications and the counters that matter. */
function feed(seqs: number[], opts: ConstructorParameters<typeof FlowStats>[0] = {}) {
  const s = new FlowStats(opts);
  const arrivals: Arrival[] = seqs.map((q) => s.record(q, 100));
  const { received, lost, duplicates, reordered, stale, lastSeq, maxSeq } = s.counters();
  return { arrivals, received, lost, duplicates, reordered, stale, lastSeq, maxSeq };
}

describe('sequence accounting', () => {
  it.each<[string, number[], FlowStatsCase, ConstructorParameters<typeof FlowStats>[0]?]>([
    ['in order', [1, 2, 3, 4, 5], { arrivals: ['new', 'new', 'new', 'new', 'new'], lost: 0, duplicates: 0, reordered: 0, stale: 0, maxSeq: 5 }],
    [
      'a gap, then both late ones',
      [1, 2, 5, 3, 4],
      { arrivals: ['new', 'new', 'new', 'reordered', 'reordered'], lost: 0, reordered: 2, maxSeq: 5, lastSeq: 4 },
    ],
    ['a gap never filled', [1, 2, 5, 6], { lost: 2, reordered: 0 }],
    ['a duplicate in order', [1, 2, 2, 3], { arrivals: ['new', 'new', 'duplicate', 'new'], duplicates: 1, lost: 0, received: 4 }],
    ['a duplicate of a late packet', [1, 3, 2, 2], { arrivals: ['new', 'new', 'reordered', 'duplicate'], duplicates: 1, reordered: 1, lost: 0 }],
    ['the first packets missing', [3, 4], { lost: 2 }],
    ['sequence 0 before the start', [1, 2, 0], { arrivals: ['new', 'new', 'stale'], stale: 1, lost: 0 }],
    // Window of 32: after 40, sequence 9 is the oldest one still remembered and 8 is just outside.
    [
      'the window edge',
      [1, 40, 9, 8, 9],
      { arrivals: ['new', 'new', 'reordered', 'stale', 'duplicate'], lost: 37, reordered: 1, stale: 1, duplicates: 1 },
      { window: 32 },
    ],
    // Slots are reused modulo the window: 33 lands on 1's slot and must not look like a duplicate.
    ['bitmap slots reused across the window', [1, 33, 2, 33, 1], { arrivals: ['new', 'new', 'reordered', 'duplicate', 'stale'], lost: 30 }, { window: 32 }],
    [
      'bitmap word boundary',
      [30, 31, 32, 33, 34, 35, 33, 31],
      { arrivals: ['new', 'new', 'new', 'new', 'new', 'new', 'duplicate', 'duplicate'], lost: 29 },
      { window: 32 },
    ],
    ['a jump longer than the window', [1, 100, 50, 69, 68], { arrivals: ['new', 'new', 'stale', 'reordered', 'stale'], lost: 97, stale: 2 }, { window: 32 }],
    ['uint32 wrap', [W - 1, W, 0, 1, W, 2], { arrivals: ['new', 'new', 'new', 'new', 'duplicate', 'new'], lost: W - 2, duplicates: 1, maxSeq: 2 }],
    [
      'uint32 wrap with a late packet from before it',
      [W - 2, W, 1, W - 1, 0],
      { arrivals: ['new', 'new', 'new', 'reordered', 'reordered'], reordered: 2, lost: W - 3 },
    ],
    ['uint16 wrap (ICMP echo)', [65534, 65535, 0, 1, 65535], { arrivals: ['new', 'new', 'new', 'new', 'duplicate'], lost: 65533, maxSeq: 1 }, { seqBits: 16 }],
    ['uint16: a late packet from before the wrap', [65534, 1, 65535, 0], { arrivals: ['new', 'new', 'reordered', 'reordered'], lost: 65533 }, { seqBits: 16 }],
  ])('%s', (_what, seqs, want, opts) => {
    expect(feed(seqs, opts)).toMatchObject(want);
  });

  it('never goes below zero loss and keeps counting past the window many times', () => {
    const s = new FlowStats({ window: 64 });
    for (let q = 1; q <= 10_000; q++) if (q % 100 !== 0) s.record(q);
    for (let q = 9_950; q <= 10_000; q++) s.record(q);
    expect(s.counters()).toMatchObject({ lost: 99, reordered: 0, duplicates: 50, maxSeq: 10_000 }); // 100, 200, ... 9900
    expect(s.record(9_900)).toBe('stale');
    expect(s.record(9_937)).toBe('duplicate');
  });

  it('refuses a window that is not a power of two', () => {
    expect(() => new FlowStats({ window: 1000 })).toThrow(/power of two/);
  });
});

type FlowStatsCase = Partial<ReturnType<typeof feed>>;

describe('latency and rates', () => {
  it('gives percentiles within the histogram precision and the exact maximum', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.add(i);
    const s = h.summary()!;
    expect(s.n).toBe(100);
    expect(s.p50).toBeGreaterThan(49);
    expect(s.p50).toBeLessThan(51.1);
    expect(s.p95).toBeGreaterThan(94);
    expect(s.p95).toBeLessThan(97);
    expect(s.max).toBe(100);
  });

  it('handles sub-microsecond, zero, negative and huge values', () => {
    const h = new LatencyHistogram();
    for (const v of [0, -1, 0.0001, Number.NaN]) h.add(v);
    expect(h.summary()).toEqual({ p50: 0, p95: 0, max: 0, n: 4 });
    h.add(1e9);
    expect(h.summary()!.max).toBe(1e9);
  });

  it('takes interval figures and starts over; totals stay', () => {
    const s = new FlowStats({}, 0);
    for (let q = 1; q <= 100; q++) s.record(q, 200, q % 2 ? 1 : 3);
    const first = s.interval(500);
    expect(first.rate).toBe(200);
    expect(first.byteRate).toBe(40_000);
    expect(first.latencyMs?.n).toBe(100);
    expect(first.latencyMs?.max).toBe(3);
    const second = s.interval(750);
    expect(second).toEqual({ rate: 0, byteRate: 0, latencyMs: null });
    expect(s.latencyTotal()?.n).toBe(100);
    expect(s.counters()).toMatchObject({ received: 100, receivedBytes: 20_000 });
  });

  it('counts sends, failures by code and later socket errors', () => {
    const m = new SendMeter(0);
    for (let i = 0; i < 10; i++) m.sentOne(100);
    m.failed('ENETUNREACH');
    m.failed('ENETUNREACH');
    m.failed('EADDRNOTAVAIL');
    m.notice('ECONNREFUSED');
    expect(m).toMatchObject({ sent: 10, sentBytes: 1000, sendErrors: 3, errors: { ENETUNREACH: 2, EADDRNOTAVAIL: 1, ECONNREFUSED: 1 } });
    expect(m.interval(100)).toEqual({ rate: 100, byteRate: 10_000 });
    expect(m.interval(200)).toEqual({ rate: 0, byteRate: 0 });
  });
});

describe('send schedule', () => {
  it('is drift-free: late ticks take what is due, the rate stays', () => {
    const s = new Schedule(1000, 0);
    let taken = 0;
    // Ticks every 1.3 ms: 1 or 2 packets each, never fewer in total than the elapsed time allows.
    for (let t = 0; t <= 1000; t += 1.3) {
      const n = s.due(t);
      s.take(n, t);
      taken += n;
    }
    expect(taken).toBe(1000);
    expect(s.nextAt()).toBeCloseTo(taken, 6);
    expect(s.lagMs()).toBeLessThanOrEqual(1.3);
  });

  it('stops at its limit', () => {
    const s = new Schedule(100, 0, 5);
    expect(s.due(10_000)).toBe(5);
    s.take(5, 0);
    expect(s.done).toBe(true);
    expect(s.due(20_000)).toBe(0);
  });

  it('restarts from now after falling more than a second behind', () => {
    const s = new Schedule(100, 0);
    s.take(s.due(0), 0);
    expect(s.due(3000)).toBe(300);
    expect(s.take(150, 3000)).toBeCloseTo(2990, 3);
    expect(s.resyncs).toBe(1);
    expect(s.due(3000)).toBe(1);
    expect(s.nextAt()).toBeCloseTo(3000, 6);
    expect(s.lagMs()).toBeCloseTo(2990, 3);
  });
});

describe('TCP record cutting', () => {
  const rec = (seq: number, size = 40, flowId = 9): Buffer => Buffer.from(encodeFlowHeader({ flowId, seq, sendNs: 5n, length: size }));

  it.each([
    ['whole records', [Buffer.concat([rec(1), rec(2), rec(3)])]],
    ['byte by byte', [...Buffer.concat([rec(1), rec(2), rec(3)])].map((b) => Buffer.from([b]))],
    [
      'split inside the header and the padding',
      [
        Buffer.concat([rec(1), rec(2), rec(3)]).subarray(0, 10),
        Buffer.concat([rec(1), rec(2), rec(3)]).subarray(10, 70),
        Buffer.concat([rec(1), rec(2), rec(3)]).subarray(70),
      ],
    ],
  ])('cuts %s', (_what, chunks) => {
    const got: FlowHeader[] = [];
    const c = new RecordCutter((h) => got.push(h));
    for (const ch of chunks) expect(c.push(ch)).toBeUndefined();
    expect(got.map((h) => h.seq)).toEqual([1, 2, 3]);
    expect(c.streamBytes).toBe(120);
  });

  it('cuts header-only records', () => {
    const got: number[] = [];
    const c = new RecordCutter((h) => got.push(h.seq));
    expect(c.push(Buffer.concat([rec(1, 24), rec(2, 24)]))).toBeUndefined();
    expect(got).toEqual([1, 2]);
  });

  it('says where the stream stops being records', () => {
    const c = new RecordCutter(() => undefined);
    expect(c.push(Buffer.concat([rec(1), rec(2, 41)]))).toMatch(/record 2 \(stream byte 40\) is not a flow record of 40 bytes/);
    expect(new RecordCutter(() => undefined).push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toMatch(/does not start with a flow record/);
  });
});

describe('ping output', () => {
  it.each([
    ['[1795329346.090443] 64 bytes from 2001:db8::2: icmp_seq=17 ttl=64 time=0.256 ms', { type: 'reply', seq: 17, rttMs: 0.256 }],
    ['[1795329346.090443] 64 bytes from 2001:db8::2: icmp_seq=18 ttl=64 time=12.5 ms (DUP!)', { type: 'reply', seq: 18, rttMs: 12.5 }],
    ['[1795329346.090443] no answer yet for icmp_seq=19', { type: 'no-answer', seq: 19 }],
    [
      '[1795329346.090443] From 2001:db8:10:1000::1 icmp_seq=20 Destination unreachable: No route',
      { type: 'icmp-error', seq: 20, from: '2001:db8:10:1000::1', what: 'Destination unreachable: No route' },
    ],
    ['10 packets transmitted, 9 received, +1 duplicates, 10% packet loss, time 937ms', { type: 'summary', transmitted: 10, received: 9 }],
    ['PING 2001:db8::2(2001:db8::2) from 2001:db8::1 : 56 data bytes', { type: 'start' }],
    ['rtt min/avg/max/mdev = 0.033/0.048/0.053/0.005 ms', { type: 'other' }],
  ])('%s', (line, want) => {
    expect(parsePingLine(line)).toEqual(want);
  });

  it.each([
    ['ping: sendmsg: Network is unreachable', 'ENETUNREACH'],
    ['ping: sendmsg: Cannot assign requested address', 'EADDRNOTAVAIL'],
    ['ping: sendmsg: No buffer space available', 'ENOBUFS'],
    ['ping: something new', 'something new'],
  ])('names the error of %j', (line, code) => {
    expect(pingErrorCode(line)).toBe(code);
  });
});
