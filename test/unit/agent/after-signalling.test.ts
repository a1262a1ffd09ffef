import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_DELAY_MS, QUIET_MS, afterSignalling, signallingActivity } from '../../../agent/util/after-signalling.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Signalling every `everyMs` for `forMs`, the clock advancing in between. */
function busy(forMs: number, everyMs = 1): void {
  for (let t = 0; t < forMs; t += everyMs) {
    signallingActivity();
    vi.advanceTimersByTime(everyMs);
  }
}

describe('work deferred until the signalling is quiet', () => {
  it('waits while messages keep coming, then runs once QUIET_MS passed without one', () => {
    const ran: string[] = [];
    signallingActivity();
    afterSignalling(() => ran.push('radvd mr2'));
    afterSignalling(() => ran.push('radvd mr11'));
    busy(10);
    expect(ran).toEqual([]);
    vi.advanceTimersByTime(QUIET_MS + 1);
    expect(ran).toEqual(['radvd mr2', 'radvd mr11']);
  });

  it('runs after QUIET_MS when there was no signalling at all', () => {
    const ran: number[] = [];
    vi.advanceTimersByTime(100);
    afterSignalling(() => ran.push(performance.now()));
    const asked = performance.now();
    vi.advanceTimersByTime(QUIET_MS);
    expect(ran).toHaveLength(1);
    expect(ran[0]! - asked).toBeLessThanOrEqual(QUIET_MS);
  });

  it('never waits longer than MAX_DELAY_MS, however long the signalling goes on', () => {
    const ran: number[] = [];
    signallingActivity();
    const asked = performance.now();
    afterSignalling(() => ran.push(performance.now()));
    busy(MAX_DELAY_MS + 20);
    expect(ran).toHaveLength(1);
    expect(ran[0]! - asked).toBeGreaterThanOrEqual(MAX_DELAY_MS);
    expect(ran[0]! - asked).toBeLessThanOrEqual(MAX_DELAY_MS + QUIET_MS);
  });

  it('runs the rest of the queue when one piece of work throws', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const ran: string[] = [];
    afterSignalling(() => {
      throw new Error('disk full');
    });
    afterSignalling(() => ran.push('second'));
    vi.advanceTimersByTime(MAX_DELAY_MS);
    expect(ran).toEqual(['second']);
    expect(String(warn.mock.calls[0]?.[0])).toContain('disk full');
    warn.mockRestore();
  });
});
