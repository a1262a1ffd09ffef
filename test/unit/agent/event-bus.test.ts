import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFER_MS, EventBus } from '../../../agent/events.js';
import type { AgentEvent } from '../../../shared/control/events.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('the agents’ event bus (deferred)', () => {
  it('delivers a burst once, DEFER_MS after its first event, in order, with the times the events happened', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-events-'));
    dirs.push(dir);
    const log = path.join(dir, 'events.jsonl');
    const bus = new EventBus('mr2', log, { deferred: true });
    const got: { e: AgentEvent; at: number }[] = [];
    bus.subscribe((e) => got.push({ e, at: performance.now() }));
    const start = performance.now();
    bus.emit('radio.up', { iface: 'mr2', ar: 'mr2' });
    let built = false;
    bus.emitLater('radio.down', () => {
      built = true;
      return { iface: 'mr11', ar: 'mr11' };
    });
    // Nothing is serialised, written or pushed while the work that raised the events goes on.
    await new Promise((r) => setTimeout(r, DEFER_MS / 2));
    expect(got).toEqual([]);
    expect(built).toBe(false);
    bus.emit('mn.attached', { mn: 'mn1', mnId: 'mn1@x', iface: 'mn1' });
    await new Promise((r) => setTimeout(r, DEFER_MS));
    expect(got.map((g) => g.e.kind)).toEqual(['radio.up', 'radio.down', 'mn.attached']);
    // One batch, after the delay, its times those of the emits.
    expect(got[2]!.at - got[0]!.at).toBeLessThan(1);
    expect(got[0]!.at - start).toBeGreaterThanOrEqual(DEFER_MS - 1);
    expect(got[0]!.e.t).toBeLessThan(got[2]!.e.t);
    await bus.close();
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as AgentEvent).kind)).toEqual(['radio.up', 'radio.down', 'mn.attached']);
  });

  it('flushNow delivers what is pending at once', async () => {
    const bus = new EventBus('mr2', undefined, { deferred: true });
    const got: string[] = [];
    bus.subscribe((e) => got.push(e.kind));
    bus.emit('radio.up', { iface: 'mr2', ar: 'mr2' });
    bus.flushNow();
    expect(got).toEqual(['radio.up']);
  });
});
