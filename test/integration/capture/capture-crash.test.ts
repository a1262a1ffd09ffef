import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { ensureBuilt } from '../../support/build.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '../../../cli/state/journal.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';

// A process that captures with the lab's journal dies by SIGKILL: its tcpdumps
// must not outlive the lab. With the default (die with parent) the kernel stops
// them at once; without it they keep running, and `dmmlab destroy` stops them
// from the journal.

const lab = uniqueLab('capk');
const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-capcrash-'));

/** tcpdumps writing under `sub` (their command line names the file). */
async function tcpdumpsIn(sub: string): Promise<number[]> {
  const r = await execa('pgrep', ['-af', 'tcpdump'], { reject: false });
  return r.stdout
    .split('\n')
    .filter((l) => l.includes(sub))
    .map((l) => Number(l.split(' ')[0]));
}

/** A child node process that starts a CaptureSession with the lab's journal (compiled code in dist/), says "ready" and waits (wrapped: the child is a thenable). */
async function capturingChild(sub: string, dieWithParent: boolean): Promise<{ child: ResultPromise }> {
  const script = `
    import { CaptureSession } from ${JSON.stringify(path.join(ROOT, 'dist/cli/capture/capture-session.js'))};
    import { Journal } from ${JSON.stringify(path.join(ROOT, 'dist/cli/state/journal.js'))};
    import { getRuntime } from ${JSON.stringify(path.join(ROOT, 'dist/cli/runtime/registry.js'))};
    const journal = await Journal.open(${JSON.stringify(lab)});
    const runtime = await getRuntime(journal.current.runtime);
    const s = await CaptureSession.start({ plan: journal.current.plan, access: (n) => runtime.access(${JSON.stringify(lab)}, n), dir: ${JSON.stringify(path.join(dir, sub))}, journal, dieWithParent: ${dieWithParent} });
    process.stdout.write('ready ' + s.files.length + '\\n');
    setInterval(() => {}, 1000);`;
  const child = execa('node', ['--input-type=module', '-e', script], { reject: false, cwd: ROOT });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`capturing child did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d: Buffer) => void (out += d.toString()));
    void child.then(() => reject(new Error(`capturing child exited: ${out}`)));
  });
  return { child };
}

/** The process exists and is not a zombie (a dead tcpdump waits for init to reap it, and kill(pid, 0) still succeeds then). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

const journalTcpdumps = async () => (await readState(lab)).resources.flatMap((r) => (r.kind === 'process' && r.what.startsWith('tcpdump') ? [r.pid] : []));

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this integration test needs root (namespaces, tcpdump)');
  await ensureBuilt();
  const dep = await dmmlab(['deploy', path.join(ROOT, 'topologies/smoke.yaml'), '--runtime', 'netns', '--name', lab]);
  if (dep.exitCode !== 0) throw new Error(`deploy failed: ${dep.stderr}`);
}, 180_000);

afterAll(async () => {
  if (existsSync(`/run/dmmlab/${lab}`)) await dmmlab(['destroy', lab]);
  for (const pid of await tcpdumpsIn(dir)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('captures of a killed process', () => {
  it('die with the process by default', async () => {
    const { child } = await capturingChild('a', true);
    const pids = await tcpdumpsIn(path.join(dir, 'a'));
    expect(pids).toHaveLength(4);
    expect((await journalTcpdumps()).sort()).toEqual([...pids].sort());
    child.kill('SIGKILL');
    await child;
    for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(alive)).toEqual([]);
  });

  it('are stopped by dmmlab destroy from the journal when they outlive it', async () => {
    const { child } = await capturingChild('b', false);
    const pids = await tcpdumpsIn(path.join(dir, 'b'));
    expect(pids).toHaveLength(4);
    expect(await journalTcpdumps()).toEqual(expect.arrayContaining(pids));
    child.kill('SIGKILL');
    await child;
    await new Promise((r) => setTimeout(r, 300));
    expect(pids.filter(alive)).toEqual(pids); // nothing else stops them
    const des = await dmmlab(['destroy', lab]);
    expect(des.exitCode, des.stderr).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(await tcpdumpsIn(dir)).toEqual([]);
    expect(await leftovers(lab)).toEqual([]);
  });
});
