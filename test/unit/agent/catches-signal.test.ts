import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { catchesSignal } from '../../../agent/util/process.js';

// catchesSignal reads the caught-signal mask of a real process, so the agent
// signals a daemon (radvd) only once the signal no longer kills it.

const HUP = constants.signals.SIGHUP;

function shell(script: string) {
  const child = spawn('sh', ['-c', script], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | number | null>((r) => child.on('exit', (code, sig) => r(sig ?? code)));
  return { child, exited };
}

describe('catchesSignal', () => {
  it('waits until the process installs its handler, after which the signal does not kill it', async () => {
    const { child, exited } = shell('sleep 0.4; trap "exit 7" HUP; while :; do sleep 0.05; done');
    const t0 = Date.now();
    expect(await catchesSignal(child.pid!, HUP, 5000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    child.kill('SIGHUP');
    expect(await exited).toBe(7); // the trap ran: the handler, not the default action
  });

  it('gives up after the timeout for a process that never catches the signal', async () => {
    const { child, exited } = shell('sleep 5');
    const t0 = Date.now();
    expect(await catchesSignal(child.pid!, HUP, 300)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    child.kill('SIGKILL');
    await exited;
  });

  it('answers false at once for a process that is gone', async () => {
    const { child, exited } = shell('exit 0');
    const pid = child.pid!;
    await exited;
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    expect(await catchesSignal(pid, HUP, 2000)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
