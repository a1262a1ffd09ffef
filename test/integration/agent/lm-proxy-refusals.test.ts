/**
 * The LM proxy of a visited network (fig9: MR31 for network 3) takes location updates only from the
 * MRs of its own network, and only for visiting nodes. Signed with the lab's key (so they pass
 * authentication and reach the proxy), an update from MR2 (another network) and an update from MR32
 * for a node of network 3 itself are refused with PBA status 154 and logged as `lm.refused`, and
 * leave no entry; the same update for MN11 (of network 1) from MR32 is accepted, registered at LM1
 * with MR31 as the location, and shown in MR31's state, which proves the refusals are not a test that
 * cannot fail.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, proxyPbu } from '../../../shared/protocol/dmm-options.js';
import { HANDOFF_INDICATOR, encodeMessage, timestampFromMillis } from '../../../shared/protocol/index.js';
import type { Plan } from '../../../cli/plan/types.js';
import { ensureBuilt } from '../../support/build.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';

const lab = uniqueLab('lmproxy');
let deployed = false;
let plan: Plan;
let auth: { spi: number; key: Uint8Array };

/** Runs in a node: sends one datagram from `src` (any port) to dst:5436. The answer goes to the node's agent (port 5436). */
const SEND = `
const s = require('node:dgram').createSocket({ type: 'udp6' });
const [src, dst, hex] = process.argv.slice(1);
s.bind({ address: src, port: 0 }, () => s.send(Buffer.from(hex, 'hex'), 5436, dst, () => s.close()));
`;
let sequence = 4000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const loopback = (node: string) => plan.nodes.find((n) => n.name === node)?.loopback as string;
const mnId = (mn: string) => plan.mobility.mns.find((m) => m.node === mn)?.id as string;

/** Sends a signed location update from `from` to MR31; resolves with the PBA MR31 sent back (from its log). */
async function update(from: string, id: string): Promise<Record<string, unknown>> {
  const seq = ++sequence;
  const pbu = proxyPbu(PURPOSE.LOCATION_UPDATE, id, [], 600, HANDOFF_INDICATOR.UNKNOWN);
  const msg = { ...pbu, sequence: seq, options: [...pbu.options, { kind: 'timestamp' as const, value: timestampFromMillis(Date.now()) }] };
  const bytes = encodeMessage(msg, { src: loopback(from), dst: loopback('mr31'), auth });
  await execa('ip', ['netns', 'exec', `dmm-${lab}-${from}`, 'node', '-e', SEND, loopback(from), loopback('mr31'), Buffer.from(bytes).toString('hex')]);
  for (let i = 0; i < 50; i++) {
    const pba = (await events('mr31')).find((e) => e.kind === 'mh.sent' && e.msg === 'PBA' && e.seq === seq && e.to === loopback(from));
    if (pba) return pba;
    await sleep(100);
  }
  throw new Error(`mr31 sent no PBA for sequence ${seq} to ${from}`);
}

async function events(node: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(`/run/dmmlab/${lab}/logs/${node}.log`, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function proxyEntries(): Promise<Record<string, unknown>[]> {
  const r = await dmmlab(['inspect', lab, '--json']);
  const agents = (JSON.parse(r.stdout) as { agents: { node: string; state?: { roles?: { mr?: { lmProxy?: Record<string, unknown>[] } } } }[] }).agents;
  return agents.find((a) => a.node === 'mr31')?.state?.roles?.mr?.lmProxy ?? [];
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this integration test needs root (network namespaces)');
  await ensureBuilt();
  const dep = await dmmlab(['deploy', `${ROOT}/topologies/fig9.yaml`, '--runtime', 'netns', '--name', lab]);
  deployed = true;
  if (dep.exitCode !== 0) throw new Error(`deploy failed:\n${dep.stderr}`);
  const state = JSON.parse(await readFile(`/run/dmmlab/${lab}/state.json`, 'utf8')) as { plan: Plan; signalling: { key: string; spi: number } };
  plan = state.plan;
  auth = { spi: state.signalling.spi, key: Uint8Array.from(Buffer.from(state.signalling.key, 'base64')) };
});

afterAll(async () => {
  if (!deployed) return;
  const r = await dmmlab(['destroy', lab]);
  expect(r.exitCode, r.stderr).toBe(0);
  expect(await leftovers(lab)).toEqual([]);
});

describe('the LM proxy MR31 of network 3', () => {
  it('refuses an update from an MR of another network (MR2), and logs it', async () => {
    const answer = await update('mr2', mnId('mn11'));
    expect(answer).toMatchObject({ status: 154 });
    expect((await events('mr31')).filter((e) => e.kind === 'lm.refused' && e.from === loopback('mr2'))).toHaveLength(1);
    expect(await proxyEntries()).toEqual([]);
  });

  it('refuses an update for a node of network 3 itself, even from MR32', async () => {
    const own = `stranger@net3.${lab}`;
    const answer = await update('mr32', own);
    expect(answer).toMatchObject({ status: 154 });
    expect((await events('mr31')).filter((e) => e.kind === 'lm.refused' && e.mnId === own)).toHaveLength(1);
    expect(await proxyEntries()).toEqual([]);
  });

  it('accepts the update for a visiting node from MR32 and registers itself at the node’s home LM', async () => {
    const answer = await update('mr32', mnId('mn11'));
    expect(answer).toMatchObject({ status: 0 });
    expect(await proxyEntries()).toEqual([expect.objectContaining({ mnId: mnId('mn11'), serving: 'mr32', departed: false })]);
    const lm1 = await events('lm1');
    expect(lm1.some((e) => e.kind === 'mn.context' && e.serving === loopback('mr31'))).toBe(true);
  });
});
