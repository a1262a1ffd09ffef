import { describe, expect, it } from 'vitest';
import {
  type MhMessage,
  type ReplayTuple,
  BU_FLAG_BITS,
  createReplayGuard,
  decodeMessage,
  encodeMessage,
  makeFlags,
  timestampFromMillis,
} from '../../../shared/protocol/index.js';

const T0 = 1_700_000_000_000;

function setup(opts: { maxEntries?: number } = {}) {
  let now = T0;
  const guard = createReplayGuard({ now: () => now, ...opts });
  return {
    guard,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const tuple = (over: Partial<ReplayTuple> & { at?: number } = {}): ReplayTuple => ({
  sender: '2001:db8:1::1',
  kind: 'PBU',
  sequence: 1,
  timestamp: timestampFromMillis(over.at ?? T0),
  ...over,
});

const verdict = (r: { ok: boolean; reason?: string }): string => (r.ok ? 'ok' : (r.reason as string));

describe('replay guard', () => {
  it.each([
    ['a fresh message', tuple(), 'ok'],
    ['timestamp 1500 ms old (edge of the window)', tuple({ at: T0 - 1500 }), 'ok'],
    ['timestamp 1500 ms ahead (edge of the window)', tuple({ at: T0 + 1500 }), 'ok'],
    ['timestamp 1501 ms old', tuple({ at: T0 - 1501 }), 'stale'],
    ['timestamp 1501 ms ahead', tuple({ at: T0 + 1501 }), 'future'],
    ['timestamp an hour old', tuple({ at: T0 - 3_600_000 }), 'stale'],
  ])('%s → %s', (_name, t, expected) => {
    expect(verdict(setup().guard.check(t))).toBe(expected);
  });

  it('rejects an identical resend, even with the sender spelled differently', () => {
    const { guard, advance } = setup();
    expect(verdict(guard.check(tuple()))).toBe('ok');
    advance(10);
    expect(verdict(guard.check(tuple()))).toBe('replay');
    expect(verdict(guard.check(tuple({ sender: '2001:DB8:1:0:0:0:0:1' })))).toBe('replay');
  });

  it.each([
    ['another sender', { sender: '2001:db8:1::2' }],
    ['another kind', { kind: 'PBA' as const }],
    ['another sequence number', { sequence: 2 }],
    ['another timestamp', { at: T0 + 1 }],
  ])('accepts the same message from %s', (_name, over) => {
    const { guard } = setup();
    expect(verdict(guard.check(tuple()))).toBe('ok');
    expect(verdict(guard.check(tuple(over)))).toBe('ok');
  });

  it('forgets a tuple after twice the window, when its timestamp is stale anyway', () => {
    const { guard, advance } = setup();
    guard.check(tuple({ at: T0 + 1500 }));
    advance(2999);
    expect(guard.size()).toBe(1);
    expect(verdict(guard.check(tuple({ at: T0 + 1500 })))).toBe('replay');
    advance(2);
    expect(verdict(guard.check(tuple({ at: T0 + 1500 })))).toBe('stale');
    expect(guard.size()).toBe(0);
  });

  it('keeps memory bounded and still refuses replays of tuples it had to forget', () => {
    const { guard } = setup({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) {
      expect(verdict(guard.check(tuple({ sequence: i, at: T0 + i / 10 })))).toBe('ok');
      expect(guard.size()).toBeLessThanOrEqual(100);
    }
    expect(verdict(guard.check(tuple({ sequence: 0, at: T0 })))).toBe('replay');
    // Conservative: anything not newer than a forgotten tuple is refused, never let in.
    expect(verdict(guard.check(tuple({ sequence: 60_000, at: T0 + 1 })))).toBe('replay');
    expect(verdict(guard.check(tuple({ sequence: 60_000, at: T0 + 1200 })))).toBe('ok');
  });

  it('checks decoded messages, refusing one without a Timestamp option', () => {
    const { guard } = setup();
    const pbu: MhMessage = { type: 'PBU', sequence: 5, flags: makeFlags(BU_FLAG_BITS, { P: true }), lifetime: 8, options: [] };
    const stamped: MhMessage = { ...pbu, options: [{ kind: 'timestamp', value: timestampFromMillis(T0) }] };
    const wire = decodeMessage(encodeMessage(stamped));
    if (!wire.ok) throw new Error(wire.error.detail);
    expect(verdict(guard.checkMessage('2001:db8::1', pbu))).toBe('no-timestamp');
    expect(verdict(guard.checkMessage('2001:db8::1', wire.message))).toBe('ok');
    expect(verdict(guard.checkMessage('2001:db8::1', wire.message))).toBe('replay');
  });
});
