/**
 * An agent under a flood of bad signalling (issue 13): from the correspondent node of the smoke lab,
 * 100,000 datagrams to MR1's port 5436 — random bytes and a well-formed PBU signed with the wrong
 * key. Every one is refused and counted by reason and by sender (`state`, and `dmmlab inspect`);
 * the log gets at most ten lines a second and a summary, so it grows by under 100 KB, and the agent
 * host's resident memory by under 5 MB; the agent still answers afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../../../cli/lab/deploy.js';
import { destroy } from '../../../cli/lab/destroy.js';
import { LabSession } from '../../../cli/lab/session.js';
import { nodeLog } from '../../../cli/state/paths.js';
import type { Plan } from '../../../cli/plan/types.js';
import { BU_FLAG_BITS, encodeMessage, makeFlags, timestampFromMillis } from '../../../shared/protocol/index.js';
import { ensureBuilt } from '../../support/build.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';

const runtimes = await testRuntimes();
const lab = uniqueLab('flood');
let dir = '';
let plan: Plan;
let session: LabSession;

/** Sends `count` datagrams from `src` to [dst]:5436 inside the sender's namespace, cycling through `payloads`, 500 at a time. */
const SENDER = `
const dgram = require('node:dgram');
const [src, dst, count, file] = process.argv.slice(1);
const payloads = require(file).map((h) => Buffer.from(h, 'hex'));
const s = dgram.createSocket({ type: 'udp6', sendBufferSize: 1 << 22 });
s.bind({ address: src, port: 0 }, async () => {
  let sent = 0;
  while (sent < Number(count)) {
    const batch = [];
    for (let i = 0; i < 500 && sent < Number(count); i++, sent++)
      batch.push(new Promise((res) => s.send(payloads[sent % payloads.length], 5436, dst, res)));
    await Promise.all(batch);
    await new Promise((res) => setTimeout(res, 2));
  }
  s.close();
  console.log(sent);
});
`;

beforeAll(async () => {
  if (!runtimes.includes('netns')) return;
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-flood-'));
  plan = (await deploy({ topology: path.join(ROOT, 'topologies/smoke.yaml'), name: lab, runtime: 'netns' })).plan;
  session = await LabSession.open(lab);
}, 60_000);

afterAll(async () => {
  session?.close();
  if (plan) await destroy(lab);
  if (dir) await rm(dir, { recursive: true, force: true });
  expect(await leftovers(lab)).toEqual([]);
}, 60_000);

async function flood(count: number): Promise<void> {
  const cn = plan.nodes.find((n) => n.name === 'cn1')!;
  const mr = plan.nodes.find((n) => n.name === 'mr1')!;
  const src = cn.loopback!;
  const dst = mr.loopback!;
  const forged = encodeMessage(
    {
      type: 'PBU',
      sequence: 7,
      flags: makeFlags(BU_FLAG_BITS, { A: true, P: true }),
      lifetime: 600,
      options: [{ kind: 'timestamp', value: timestampFromMillis(Date.now()) }],
    },
    { src, dst, auth: { spi: 300, key: new Uint8Array(32).fill(7) } },
  );
  const payloads = [Buffer.from(forged).toString('hex'), ...Array.from({ length: 7 }, (_, i) => randomBytes(20 + 13 * i).toString('hex'))];
  const file = path.join(dir, `payloads-${count}.json`);
  await writeFile(file, JSON.stringify(payloads));
  const r = await execa('ip', ['netns', 'exec', cn.netns, 'node', '-e', SENDER, src, dst, String(count), file]);
  expect(Number(r.stdout.trim())).toBe(count);
}

const rssOf = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

describe.runIf(runtimes.includes('netns'))('an agent under a flood of bad signalling', () => {
  it('counts every refusal by reason and sender, keeps its log and memory bounded, and still answers', async () => {
    const pid = Number((await session.agentState('mr1')).pid);
    await flood(20_000); // warm-up: code paths compiled, buffers grown
    await new Promise((r) => setTimeout(r, 1500));
    const rss0 = await rssOf(pid);
    const log0 = (await stat(nodeLog(lab, 'mr1'))).size;
    await flood(100_000);
    await new Promise((r) => setTimeout(r, 1500));
    const rss1 = await rssOf(pid);
    const log1 = (await stat(nodeLog(lab, 'mr1'))).size;
    expect(rss1 - rss0, `resident ${Math.round(rss0 / 2 ** 20)} → ${Math.round(rss1 / 2 ** 20)} MB`).toBeLessThanOrEqual(5 * 2 ** 20);
    expect(log1 - log0).toBeLessThanOrEqual(100 * 1024);

    const s = await session.agentState('mr1');
    const c = s.signalling!;
    const refused = c.malformed + c.unauthenticated;
    // The kernel may drop some when the socket's buffer is full; most arrive.
    expect(refused).toBeGreaterThan(60_000);
    expect(c.rejections!.byReason.malformed).toBe(c.malformed);
    expect(c.rejections!.byReason.unauthenticated).toBe(c.unauthenticated);
    expect(c.unauthenticated).toBeGreaterThan(0);
    const cn = plan.nodes.find((n) => n.name === 'cn1')!.loopback!;
    expect(c.rejections!.bySource).toEqual([{ source: cn, count: refused }]);
    expect(c.rejections!.notLogged).toBeGreaterThan(refused - 1000);

    const log = await readFile(nodeLog(lab, 'mr1'), 'utf8');
    expect(log).toMatch(/more rejected messages not logged one by one \(rejected so far: (malformed|unauthenticated) \d+, (malformed|unauthenticated) \d+\)/);

    const inspect = await dmmlab(['inspect', lab]);
    expect(inspect.stdout).toContain('Refused signalling');
    const row = inspect.stdout.split('\n').find((l) => l.startsWith('mr1') && l.includes(cn));
    expect(row, inspect.stdout).toMatch(/malformed \d+/);
    expect(row).toMatch(/unauthenticated \d+/);
  }, 120_000);
});
