import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { ensureBuilt } from '../../support/build.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../cli/agents/agent-client.js';
import type { Analysis, FlowAnalysis } from '../../../cli/analyze/types.js';
import { analyzeRun } from '../../../cli/analyze/analyze-run.js';
import type { Plan } from '../../../cli/plan/types.js';
import { findProgram } from '../../../cli/util/exec.js';
import { recordingProgress } from '../../../cli/util/progress.js';
import { monoMs } from '../../../shared/clock.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { uniqueLab } from '../../support/lab-leftovers.js';
import type { CaptureFileRef } from '../../../cli/capture/capture-file.js';

// Deploys figure 1 on namespaces, captures every interface with tcpdump (the radios of
// mn1 that are down are captured on the access routers' side), runs a UDP flow from mn2
// to mn1's home address, moves mn1 from mr11 to mr2, and checks what the verifier makes of it.

const lab = uniqueLab('anl');
const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-live-flow-'));
const dumps: { child: ResultPromise; name: string }[] = [];
const clients: AgentClient[] = [];
let deployed = false;
let analysis: Analysis;
let progressLines: string[] = [];
let senderReport: { sent: number };
let receiverReport: { received: number };
let handoverAt = 0;

const ns = (node: string) => `dmm-${lab}-${node}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts tcpdump on one interface of a node; resolves once it listens. */
async function tcpdump(node: string, iface: string): Promise<CaptureFileRef> {
  const file = path.join(dir, `${node}_${iface}.pcap`);
  const child = execa('nsenter', [`--net=/run/netns/${ns(node)}`, 'tcpdump', '-i', iface, '-w', file, '-U', '--immediate-mode', '-Z', 'root', '-n'], {
    reject: false,
    stdin: 'ignore',
  });
  dumps.push({ child, name: `${node}:${iface}` });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${node}:${iface} did not start: ${err}`)), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void child.then((r) => reject(new Error(`tcpdump on ${node}:${iface} exited: ${String(r.stderr)}`)));
  });
  return { node, iface, path: file };
}

/** The global address SLAAC gave `node`, waiting for it. */
async function globalAddress(node: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const r = await execa('ip', ['-n', ns(node), '-j', '-6', 'addr', 'show', 'scope', 'global'], { reject: false });
    const list = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string; tentative?: boolean }[] }[];
    const a = list.flatMap((x) => x.addr_info ?? []).find((x) => !x.tentative);
    if (a) return a.local;
    await sleep(100);
  }
  throw new Error(`${node} got no global address`);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this integration test needs root (network namespaces, tcpdump)');
  if (!findProgram('tcpdump')) throw new Error('tcpdump is not installed');
  await ensureBuilt();
  const dep = await dmmlab(['deploy', path.join(ROOT, 'topologies/fig1.yaml'), '--runtime', 'netns', '--name', lab]);
  deployed = true;
  if (dep.exitCode !== 0) throw new Error(`deploy failed: ${dep.stderr}`);
  const state = JSON.parse(readFileSync(`/run/dmmlab/${lab}/state.json`, 'utf8')) as { plan: Plan; monoToWallMs: number };
  const plan = state.plan;
  const [home1, home2] = [await globalAddress('mn1'), await globalAddress('mn2')];

  const captures: CaptureFileRef[] = [];
  for (const n of plan.nodes) for (const i of n.interfaces) if (!(n.roles.includes('mn') && !i.up)) captures.push(await tcpdump(n.name, i.name));

  const sock = (node: string) => `/run/dmmlab/${lab}/agents/${node}.sock`;
  const mn1 = await AgentClient.connect('mn1', sock('mn1'));
  const mn2 = await AgentClient.connect('mn2', sock('mn2'));
  clients.push(mn1, mn2);
  const flow = { id: 'live1', kind: 'udp' as const, port: 5601, rate: 200, size: 100 };
  await mn1.request('flow.start', { flow: { ...flow, role: 'receiver', address: home1 } });
  const startedAt = monoMs();
  const started = await mn2.request('flow.start', { flow: { ...flow, role: 'sender', address: home1 } });
  await sleep(1000);
  handoverAt = monoMs();
  await execa('ip', ['-n', ns('mn1'), '-batch', '-'], { input: 'link set dev mr11 down\nlink set dev mr2 up\n' });
  await sleep(2000);
  senderReport = { sent: (await mn2.request('flow.stop', { flowId: flow.id })).sent ?? 0 };
  const stoppedAt = monoMs();
  await sleep(200);
  receiverReport = { received: (await mn1.request('flow.stop', { flowId: flow.id })).received ?? 0 };
  await sleep(300);
  for (const d of dumps) d.child.kill('SIGTERM');
  await Promise.all(dumps.map((d) => d.child));

  const progress = recordingProgress();
  analysis = await analyzeRun(
    {
      plan,
      captures,
      flows: [{ id: flow.id, kind: 'udp', from: 'mn2', to: 'mn1', source: started.source ?? home2, destination: home1, port: flow.port, startedAt, stoppedAt }],
      handovers: [{ index: 0, mn: 'mn1', from: ['mr11'], to: 'mr2', at: handoverAt }],
      monoToWallMs: state.monoToWallMs,
    },
    progress,
  );
  progressLines = progress.lines;
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const d of dumps) d.child.kill('SIGTERM');
  await Promise.all(dumps.map((d) => d.child));
  if (deployed) await dmmlab(['destroy', lab]);
  rmSync(dir, { recursive: true, force: true });
});

describe('verifier on a live handover in figure 1', () => {
  const f = (): FlowAnalysis => analysis.flows[0] as FlowAnalysis;

  it('reads every capture', () => {
    expect(analysis.captures.files).toBe(dumps.length);
    expect(analysis.captures.interfaces).toContain('mr2:mn1');
    expect(progressLines[0]).toBe(`phase reading captures (${dumps.length})`);
    expect(analysis.warnings).toEqual([]);
  });

  it('counts the flow as the agents did, with a bounded loss', () => {
    expect(f().sent).toBeGreaterThan(500);
    expect(Math.abs(f().sent - senderReport.sent)).toBeLessThanOrEqual(2);
    // Counted where mn1's radio meets mr2 (mr2's side, mn1's was down when captures began): a few packets
    // can arrive there before mn1 has its home address on that radio, and its kernel drops them.
    expect(f().received).toBeGreaterThanOrEqual(receiverReport.received);
    expect(f().received - receiverReport.received).toBeLessThanOrEqual(10);
    expect(f().lost).toBe(f().sent - f().received - (f().inFlightAtStop ?? 0));
    expect(f().lossPercent).toBeLessThan(10);
    expect(f().keepsSource).toBe(true);
    expect(f().latencyMs?.p50).toBeGreaterThan(0);
    expect(f().latencyMs?.p50).toBeLessThan(50);
  });

  it('measures the handover interruption', () => {
    const [h] = f().handovers;
    expect(h).toMatchObject({ handover: 0, mn: 'mn1', from: ['mr11'], to: 'mr2' });
    expect(h?.lastOldT).toBeDefined();
    expect(h?.firstNewT).toBeGreaterThanOrEqual(handoverAt);
    expect(h?.interruptionMs).toBeGreaterThan(0);
    expect(h?.interruptionMs).toBeLessThan(2000);
    expect(h?.lostDuring).toBeLessThanOrEqual(f().lost);
  });

  it('sees the path change from mr11 to mr2 and settle on mr2', () => {
    const paths = f().paths;
    const first = paths[0]?.nodes ?? [];
    expect(first.slice(0, 2)).toEqual(['mn2', 'mr31']);
    expect(first.slice(-2)).toEqual(['mr11', 'mn1']);
    expect(f().settledPath?.nodes.slice(-2)).toEqual(['mr2', 'mn1']);
    expect(f().settledPath?.nodes).not.toEqual(first);
    expect(f().settledPath?.mobilityNodes).toEqual(['mn2', 'mr31', 'mr2', 'mn1']);
    expect(f().shortestPath).toEqual(['mn2', 'mr31', 'core', 'mr2', 'mn1']);
    expect(f().pathStretch).toBeGreaterThanOrEqual(1);
  });

  it('counts the handover signalling', () => {
    const s = analysis.signalling;
    for (const name of ['PBU', 'PBA', 'HI', 'HAck']) expect(s.totals[name]?.count, name).toBeGreaterThanOrEqual(1);
    expect(s.byHandover[0]?.counts.HI).toBeGreaterThanOrEqual(1);
    expect(s.messages.find((m) => m.name === 'HI')).toMatchObject({ from: 'mr2', to: 'mr11', handover: 0 });
    expect(s.undecodable).toBe(0);
  });
});
