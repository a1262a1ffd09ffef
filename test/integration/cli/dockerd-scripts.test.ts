/**
 * scripts/stop-dockerd.sh stops only the daemon scripts/start-dockerd.sh started: its pid file holds
 * the pid and the process's start time, and a process now under that pid (another user's dockerd,
 * or a reused pid) is left alone. A stand-in "dockerd" (a copy of sleep) plays the daemon.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-dockerd-'));
const fake = path.join(dir, 'dockerd');
copyFileSync('/bin/sleep', fake);
const pidfile = path.join(dir, 'dockerd.pid');
const started: number[] = [];

afterAll(() => {
  for (const p of started) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function daemon(): number {
  const child = spawn(fake, ['60'], { detached: true, stdio: 'ignore' });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

const startTime = (pid: number) =>
  readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ')[19];
const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) &&
  !readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .startsWith('Z');
const stop = () => execa('sh', [path.join(ROOT, 'scripts/stop-dockerd.sh')], { env: { DOCKERD_PIDFILE: pidfile, DOCKERD_WAIT: '5' }, reject: false });

describe('scripts/stop-dockerd.sh', () => {
  it('leaves alone a dockerd whose start time is not the one recorded (another user’s, or a reused pid)', async () => {
    const pid = daemon();
    writeFileSync(pidfile, `${pid} ${Number(startTime(pid)) - 100}\n`);
    const r = await stop();
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('is not ours and is left alone');
    expect(alive(pid)).toBe(true);
    expect(existsSync(pidfile)).toBe(false);
  });

  it('leaves alone the pid of an old-style pid file that has no start time', async () => {
    const pid = daemon();
    writeFileSync(pidfile, `${pid}\n`);
    await stop();
    expect(alive(pid)).toBe(true);
  });

  it('stops the daemon it recorded', async () => {
    const pid = daemon();
    writeFileSync(pidfile, `${pid} ${startTime(pid)}\n`);
    const r = await stop();
    expect(r.stdout).toContain(`stopped dockerd (pid ${pid})`);
    await new Promise((res) => setTimeout(res, 100));
    expect(alive(pid)).toBe(false);
  });
});
