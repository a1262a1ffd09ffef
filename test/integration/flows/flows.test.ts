import { mkdtempSync, rmSync } from 'node:fs';
import { ensureBuilt } from '../../support/build.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentClient } from '../../../cli/agents/agent-client.js';
import { agentOf } from '../../support/agents.js';
import { decodePacket } from '../../../cli/capture/packet-decode.js';
import { readCapture } from '../../../cli/capture/pcap-reader.js';
import { findProgram, run } from '../../../cli/util/exec.js';
import type { AgentEvent, EventOf } from '../../../shared/control/events.js';
import type { FlowReport } from '../../../shared/control/flow-report.js';
import type { FlowSpec } from '../../../shared/control/flow-spec.js';
import { decodeFlowHeader, flowHash, type FlowHeader } from '../../../shared/flow-format.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';

// A real smoke lab (mr1 plays every DMM function, cn1 wired to it, mn1 in its
// cell) on the netns runtime, whose agents generate and receive the flows.

const lab = uniqueLab('flw');
const ns = (node: string) => `dmm-${lab}-${node}`;
const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-flows-'));
const clients: Partial<Record<'mn1' | 'cn1', AgentClient>> = {};
const events: AgentEvent[] = [];
let deployed = false;
let homeAddress = '';
let dump: { child: ResultPromise } | undefined;

type Report = FlowReport & Record<string, unknown>;

const agent = (node: 'mn1' | 'cn1'): AgentClient => {
  const c = clients[node];
  if (!c) throw new Error(`no client for ${node}`);
  return c;
};
const startFlow = async (node: 'mn1' | 'cn1', flow: Record<string, unknown>) => (await agent(node).request('flow.start', { flow: flow as FlowSpec })) as Report;
const stopFlow = async (node: 'mn1' | 'cn1', flowId: string) => (await agent(node).request('flow.stop', { flowId })) as Report;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Global addresses of a node, without the tentative ones. */
async function globalAddresses(node: string): Promise<string[]> {
  const r = await run(['ip', '-n', ns(node), '-6', '-o', 'addr', 'show', 'scope', 'global'], { allowFailure: true });
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.includes('tentative'))
    .map((l) => /inet6 ([0-9a-f:]+)\//.exec(l)?.[1] ?? '')
    .filter(Boolean);
}

/** The source address the kernel of `node` picks towards `dst`. */
async function kernelPick(node: string, dst: string): Promise<string> {
  const r = await run(['ip', '-n', ns(node), '-6', 'route', 'get', dst]);
  const m = / src ([0-9a-f:]+)/.exec(r.stdout);
  if (!m?.[1]) throw new Error(`no src in ${r.stdout}`);
  return m[1];
}

/** Starts tcpdump in a node and resolves once it listens (wrapped: the child is a thenable). */
async function tcpdump(node: string, iface: string, file: string, filter: string): Promise<{ child: ResultPromise }> {
  const child = execa('ip', ['netns', 'exec', ns(node), 'tcpdump', '-i', iface, '-w', file, '-U', '--immediate-mode', '-Z', 'root', '-n', filter], {
    reject: false,
    stdin: 'ignore',
  });
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
  return { child };
}

/** Waits for an event of `kind` about `flowId` from `node`. */
async function eventOf(node: string, kind: string, flowId: string, timeoutMs = 5000): Promise<Report> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = events.find((x) => x.node === node && x.kind === kind && 'flowId' in x && x.flowId === flowId);
    if (e) return e as unknown as Report;
    if (Date.now() > deadline) throw new Error(`no ${kind} for ${flowId} from ${node} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this integration test needs root (network namespaces, tcpdump)');
  if (!findProgram('tcpdump')) throw new Error('tcpdump is not installed');
  // The agent bundle carries the flow code: build it fresh.
  await ensureBuilt();
  const dep = await dmmlab(['deploy', path.join(ROOT, 'topologies/smoke.yaml'), '--runtime', 'netns', '--name', lab]);
  deployed = true;
  if (dep.exitCode !== 0) throw new Error(`deploy failed: ${dep.stderr}`);
  for (const node of ['mn1', 'cn1'] as const) {
    const c = await agentOf(lab, node);
    clients[node] = c;
    await c.subscribe((e) => {
      if (e.kind.startsWith('flow.')) events.push(e);
    });
  }
  // The mobile node's home address comes from router advertisements.
  for (let i = 0; i < 200 && !homeAddress; i++) {
    homeAddress = (await globalAddresses('mn1'))[0] ?? '';
    if (!homeAddress) await sleep(50);
  }
  if (!homeAddress) throw new Error('mn1 got no home address within 10 s');
});

afterAll(async () => {
  dump?.child.kill('SIGTERM');
  await dump?.child;
  for (const c of Object.values(clients)) c?.close();
  if (deployed) {
    const des = await dmmlab(['destroy', lab]);
    expect(des.exitCode, des.stderr).toBe(0);
    expect(await leftovers(lab)).toEqual([]);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('flows generated by the agents', () => {
  it('sends UDP at 1000 packets/s for 2 s to the mobile node: every packet arrives, in order, recognisable in a capture', async () => {
    const file = path.join(dir, 'mr1-mn1.pcap');
    const capture = await tcpdump('mr1', 'mn1', file, 'udp port 5001');
    dump = capture;
    const rx = await startFlow('mn1', { id: 'u1', kind: 'udp', role: 'receiver', address: homeAddress, port: 5001 });
    expect(rx).toMatchObject({ flowId: 'u1', kind: 'udp', role: 'receiver', source: null, destination: homeAddress, port: 5001, wireId: flowHash('u1') });
    const tx = await startFlow('cn1', { id: 'u1', kind: 'udp', role: 'sender', address: homeAddress, port: 5001, rate: 1000, size: 100, durationMs: 2000 });
    expect(tx).toMatchObject({ flowId: 'u1', kind: 'udp', role: 'sender', destination: homeAddress, port: 5001, source: await kernelPick('cn1', homeAddress) });

    // The sender ends by itself after its 2000 packets.
    const stopped = await eventOf('cn1', 'flow.stopped', 'u1', 6000);
    // On the netns runtime the agent host sends and reads UDP flows on its flow thread (agent/flows/flow-thread.ts).
    expect(stopped).toMatchObject({ flowKind: 'udp', role: 'sender', state: 'stopped', sent: 2000, sendErrors: 0, lastSeq: 2000, thread: 'flow' });
    expect(await stopFlow('cn1', 'u1')).toMatchObject({ sent: 2000, state: 'stopped' });
    await sleep(200);
    const got = await stopFlow('mn1', 'u1');
    expect(got).toMatchObject({
      state: 'stopped',
      received: 2000,
      lost: 0,
      duplicates: 0,
      reordered: 0,
      stale: 0,
      maxSeq: 2000,
      source: tx.source,
      destination: homeAddress,
      malformed: 0,
      foreign: 0,
      thread: 'flow',
    });
    expect((got.latencyTotalMs as { n: number }).n).toBe(2000);

    // Stats every 250 ms while it ran, with the flow's kind as flowKind.
    const stats = events.filter((e) => e.node === 'cn1' && e.kind === 'flow.stats' && e.flowId === 'u1') as EventOf<'flow.stats'>[];
    expect(stats.length).toBeGreaterThanOrEqual(6);
    expect(stats.at(-1)).toMatchObject({ flowKind: 'udp', role: 'sender', state: 'running' });
    expect(Math.max(...stats.map((e) => Number(e.rate)))).toBeGreaterThan(900);
    expect(events.find((e) => e.node === 'mn1' && e.kind === 'flow.started' && e.flowId === 'u1')).toMatchObject({
      flowKind: 'udp',
      role: 'receiver',
      port: 5001,
    });

    capture.child.kill('SIGTERM');
    await capture.child;
    dump = undefined;
    const headers: FlowHeader[] = [];
    for await (const rec of readCapture(file)) {
      const pkt = decodePacket(rec.linkType, rec.data, rec.originalLength);
      if (pkt.transport?.kind !== 'udp' || pkt.transport.dstPort !== 5001) continue;
      expect(pkt.layers.at(-1)).toMatchObject({ src: tx.source, dst: homeAddress });
      const h = decodeFlowHeader(pkt.payload);
      expect(h).toBeDefined();
      headers.push(h!);
    }
    expect(headers.map((h) => h.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(new Set(headers.map((h) => h.flowId))).toEqual(new Set([flowHash('u1')]));
    expect(new Set(headers.map((h) => h.length))).toEqual(new Set([100]));
    // Send times: increasing, 2 s of them, the schedule held (lateness against the ideal 1 ms grid).
    const t0 = headers[0]!.sendNs;
    const late = headers.map((h, i) => Number(h.sendNs - t0) / 1e6 - i).sort((a, b) => a - b);
    const span = Number(headers.at(-1)!.sendNs - t0) / 1e6;
    console.log(
      `u1 send schedule: span ${span.toFixed(1)} ms for 2000 packets, lateness p50 ${late[1000]!.toFixed(3)} ms, p95 ${late[1900]!.toFixed(3)} ms, max ${late.at(-1)!.toFixed(3)} ms`,
    );
    expect(headers.every((h, i) => i === 0 || h.sendNs >= headers[i - 1]!.sendNs)).toBe(true);
    expect(span).toBeGreaterThan(1990);
    expect(span).toBeLessThan(2100);
  });

  it('streams TCP for 2 s: the receiver gets every byte the sender wrote, without an error', async () => {
    const rx = await startFlow('mn1', { id: 't1', kind: 'tcp', role: 'receiver', port: 5002 });
    expect(rx).toMatchObject({ kind: 'tcp', role: 'receiver', destination: null, port: 5002 });
    const tx = await startFlow('cn1', {
      id: 't1',
      kind: 'tcp',
      role: 'sender',
      address: homeAddress,
      port: 5002,
      rate: 1_000_000,
      size: 1000,
      durationMs: 2000,
    });
    expect(tx.source).toBe(await kernelPick('cn1', homeAddress));
    const sent = await eventOf('cn1', 'flow.stopped', 't1', 6000);
    expect(sent).toMatchObject({ flowKind: 'tcp', state: 'stopped', sendErrors: 0 });
    expect(sent.error).toBeUndefined();
    expect(Number(sent.sentBytes)).toBeGreaterThan(1_900_000);
    expect(Number(sent.sentBytes)).toBeLessThan(2_100_000);
    await sleep(200);
    const got = await stopFlow('mn1', 't1');
    expect(got).toMatchObject({
      receivedBytes: sent.sentBytes,
      received: sent.sent,
      lost: 0,
      duplicates: 0,
      reordered: 0,
      connections: 1,
      source: tx.source,
      destination: homeAddress,
    });
    expect(events.filter((e) => e.kind === 'flow.error' && e.flowId === 't1')).toEqual([]);
  });

  it('pings the mobile node and counts the replies', async () => {
    const tx = await startFlow('cn1', { id: 'i1', kind: 'icmp', role: 'sender', address: homeAddress, rate: 50, size: 64, durationMs: 1000 });
    expect(tx).toMatchObject({ kind: 'icmp', source: await kernelPick('cn1', homeAddress), destination: homeAddress, port: null });
    const done = await eventOf('cn1', 'flow.stopped', 'i1', 5000);
    expect(Number(done.received)).toBeGreaterThan(10);
    expect(done).toMatchObject({ state: 'stopped', latencyKind: 'rtt', lost: 0, duplicates: 0, sent: done.received, transmitted: done.received });
    expect((done.latencyTotalMs as { n: number }).n).toBe(done.received);
    await expect(startFlow('mn1', { id: 'i1', kind: 'icmp', role: 'receiver' })).rejects.toThrow(/no receiver: the destination kernel answers/);
  });

  it('binds a pinned source address instead of the one the kernel would pick', async () => {
    const all = await globalAddresses('cn1');
    const picked = await kernelPick('cn1', homeAddress);
    const pinned = all.find((a) => a !== picked)!;
    expect(pinned, `cn1 has ${all.join(', ')}`).toBeDefined();
    await startFlow('mn1', { id: 'p1', kind: 'udp', role: 'receiver', address: homeAddress, port: 5003 });
    const tx = await startFlow('cn1', { id: 'p1', kind: 'udp', role: 'sender', address: homeAddress, port: 5003, source: pinned, rate: 200, durationMs: 500 });
    expect(tx.source).toBe(pinned);
    await eventOf('cn1', 'flow.stopped', 'p1');
    await sleep(100);
    expect(await stopFlow('mn1', 'p1')).toMatchObject({ received: 100, lost: 0, source: pinned });
    await expect(startFlow('cn1', { id: 'p2', kind: 'udp', role: 'sender', address: homeAddress, port: 5003, source: '2001:db8:ffff::1' })).rejects.toThrow(
      /cannot bind \[2001:db8:ffff::1\]/,
    );
  });

  it('keeps a session on its source address when the address set changes; new flows take the preferred one', async () => {
    const target = (await globalAddresses('cn1'))[0]!;
    await startFlow('cn1', { id: 'old', kind: 'udp', role: 'receiver', port: 5004 });
    await startFlow('cn1', { id: 'new', kind: 'udp', role: 'receiver', port: 5005 });
    const old = await startFlow('mn1', { id: 'old', kind: 'udp', role: 'sender', address: target, port: 5004, rate: 200 });
    expect(old.source).toBe(homeAddress);
    await sleep(300);

    // An address sharing a longer prefix with the destination wins source selection (RFC 6724 rule 8).
    const iface = (await run(['ip', '-n', ns('mn1'), '-6', '-o', 'addr', 'show', 'scope', 'global'])).stdout.split(/\s+/)[1]!;
    const closer = target.replace(/:[0-9a-f]*$/, ':f00d');
    await run(['ip', '-n', ns('mn1'), '-6', 'addr', 'add', `${closer}/128`, 'dev', iface, 'nodad']);
    try {
      expect(await kernelPick('mn1', target)).toBe(closer);
      const fresh = await startFlow('mn1', { id: 'new', kind: 'udp', role: 'sender', address: target, port: 5005, rate: 200 });
      expect(fresh.source).toBe(closer);
      await sleep(500);
      const oldFinal = await stopFlow('mn1', 'old');
      const newFinal = await stopFlow('mn1', 'new');
      expect(oldFinal).toMatchObject({ source: homeAddress, sendErrors: 0 });
      expect(newFinal).toMatchObject({ source: closer, sendErrors: 0 });
      await sleep(100);
      const oldRx = await stopFlow('cn1', 'old');
      const newRx = await stopFlow('cn1', 'new');
      // The old session's packets kept the home address all along, after the change too.
      expect(oldRx).toMatchObject({ source: homeAddress, destination: null, lost: 0, received: oldFinal.sent });
      expect(newRx).toMatchObject({ source: closer, lost: 0, received: newFinal.sent });
    } finally {
      await run(['ip', '-n', ns('mn1'), '-6', 'addr', 'del', `${closer}/128`, 'dev', iface], { allowFailure: true });
    }
  });

  it('refuses a second flow with a running id and names the flows when stopping an unknown one', async () => {
    await startFlow('mn1', { id: 'dup', kind: 'udp', role: 'receiver', port: 5006 });
    await expect(startFlow('mn1', { id: 'dup', kind: 'tcp', role: 'receiver', port: 5007 })).rejects.toThrow(/flow dup is already running on mn1/);
    await expect(stopFlow('mn1', 'nope')).rejects.toThrow(/no flow nope on mn1 \(flows: .*dup/);
    const first = await stopFlow('mn1', 'dup');
    expect(first.state).toBe('stopped');
    expect(await stopFlow('mn1', 'dup')).toEqual(first);
    // A finished id may start again.
    await startFlow('mn1', { id: 'dup', kind: 'udp', role: 'receiver', port: 5006 });
    expect((await agent('mn1').request('flow.list', {})).find((f) => f.flowId === 'dup')).toMatchObject({ state: 'running' });
    await stopFlow('mn1', 'dup');
  });
});
