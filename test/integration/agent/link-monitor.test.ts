/**
 * The agent host's one link monitor (`ip monitor all-nsid`, agent/io/shared-link-events.ts) on a
 * lab of 201 namespaces: a mobile node of the last network (whose namespaces were created last and
 * have the highest ids; `ip netns list-id` once listed only the first 134 of them, and their
 * access routers never saw a node arrive) is seen by its new access router after a handover; the
 * monitor killed with SIGKILL is started again and the next handover is seen too.
 */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../../../cli/lab/deploy.js';
import { destroy } from '../../../cli/lab/destroy.js';
import { LabSession } from '../../../cli/lab/session.js';
import type { Plan } from '../../../cli/plan/types.js';
import type { AgentEvent } from '../../../shared/control/events.js';
import { ensureBuilt } from '../../support/build.js';
import { generateTopology } from '../../support/generate-topology.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';

const runtimes = await testRuntimes();
const lab = uniqueLab('linkmon');
let dir = '';
let plan: Plan;
let session: LabSession;
const events: AgentEvent[] = [];

beforeAll(async () => {
  if (!runtimes.includes('netns')) return;
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-linkmon-'));
  const file = path.join(dir, 'lab.yaml');
  await writeFile(file, generateTopology({ name: lab, size: 201, mnsPerNetwork: 4 }));
  plan = (await deploy({ topology: file, runtime: 'netns' })).plan;
  session = await LabSession.open(lab);
  session.on('event', (e) => events.push(e));
}, 120_000);

afterAll(async () => {
  session?.close();
  if (plan) await destroy(lab);
  if (dir) await rm(dir, { recursive: true, force: true });
  expect(await leftovers(lab)).toEqual([]);
}, 60_000);

/** Moves the mobile node to its other access router and waits for that router's mn.attached. */
async function moveAndSee(mn: string): Promise<string> {
  const node = plan.nodes.find((n) => n.name === mn)!;
  const attached = await session.attachedTo(mn);
  const to = node.interfaces.find((i) => i.kind === 'access' && !attached.includes(i.peer.node))!.peer.node;
  await session.handover(mn, to);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (events.some((e) => e.kind === 'mn.attached' && e.node === to && e.mn === mn)) return to;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${to} never saw ${mn} arrive`);
}

describe.runIf(runtimes.includes('netns'))('the shared link monitor', () => {
  it('sees a handover in the namespaces created last', async () => {
    const last = plan.mobility.mns.at(-1)!.node;
    expect(await moveAndSee(last)).toBeTruthy();
  });

  it('is started again after SIGKILL and sees the next handover', async () => {
    const { stdout } = await execa('pgrep', ['-f', '^ip -o monitor all-nsid']);
    const pids = stdout.trim().split('\n').map(Number);
    const host = Number((await session.agentState(plan.mobility.mns[0]!.node)).pid);
    const mine = [];
    for (const p of pids) {
      const ppid = Number((await execa('ps', ['-o', 'ppid=', '-p', String(p)], { reject: false })).stdout.trim());
      if (ppid === host) mine.push(p);
    }
    expect(mine).toHaveLength(1);
    process.kill(mine[0]!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    expect(await moveAndSee(plan.mobility.mns.at(-2)!.node)).toBeTruthy();
  });
});
