/**
 * The shipped scenarios, end to end, on every runtime the suite runs on: each
 * must pass, and the verified figures in its report must say what the
 * scenario is about (not only the exit code).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../../cli/report/report-schema.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { failedExpectations } from '../../support/expectations.js';
import { testRuntimes } from '../../support/runtimes.js';

const runtimes = await testRuntimes();
const dirs: string[] = [];
afterAll(async () => {
  await dmmlab(['cleanup']);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function run(
  scenario: string,
  runtime: string,
  extra: string[] = [],
): Promise<{ report: RunReport; exitCode: number | undefined; output: string; out: string }> {
  const out = await mkdtemp(path.join(os.tmpdir(), `dmmlab-${path.basename(scenario, '.yaml')}-`));
  dirs.push(out);
  const r = await dmmlab(['run', path.join(ROOT, scenario), '--runtime', runtime, '--out', out, ...extra], { timeoutMs: 300_000 });
  const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as RunReport;
  return { report, exitCode: r.exitCode, output: r.stdout + r.stderr, out };
}

/**
 * Every path of `flow` that leaves `mr` (its new MR) goes towards the core in a tunnel from `mrAddress`,
 * the first one too. Packets that end at `mr` (dropped until their reverse rule is in) leave nothing to check.
 */
function expectUplinkEncapsulated(flow: RunReport['flows'][number], mr: string, mrAddress: string): void {
  const via = flow.paths.filter((p) => p.nodes[1] === mr && p.nodes.length > 2).sort((a, b) => a.fromMs - b.fromMs);
  expect(via.length, `paths of ${flow.id} through ${mr}`).toBeGreaterThan(0);
  for (const p of via)
    expect(p.tunnels.find((t) => t.link === `${mr}–core`)?.outerSrc, `${flow.id} ${p.nodes.join(' → ')} from ${p.fromMs} ms`).toBe(mrAddress);
}

/**
 * What the receiving agent of each flow counted (its flow.stopped event), against what the capture
 * saw reach it: a node that decapsulates must hand the packets to the application, not only to the
 * wire of its radio.
 */
async function expectDelivered(out: string, report: RunReport): Promise<void> {
  const events = (await readFile(path.join(out, 'events.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.includes('"flow.stopped"') && l.includes('"receiver"'))
    .map((l) => JSON.parse(l) as { flowId: string; received: number });
  for (const f of report.flows) {
    const got = events.find((e) => e.flowId === f.id)?.received ?? 0;
    expect(got, `${f.id}: received by the application, of ${f.received} that reached the receiver`).toBeGreaterThanOrEqual(f.received * 0.99);
  }
}

describe.each(runtimes)('shipped scenarios on %s', (runtime) => {
  it('fig5-handover: the session survives, MR31 is redirected to MR2, the context transfer happened', async () => {
    const { report, exitCode, output, out } = await run('scenarios/fig5-handover.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.lab.runtime).toBe(runtime);
    // The plots colour the packets by the path they took, mark the lost ones, and the zoom takes in the whole exchange.
    const zoom = await readFile(path.join(out, 'flow-f1-handover-0.svg'), 'utf8');
    const via = [...zoom.matchAll(/data-series="(via [^"]*)"/g)].map((m) => m[1]);
    expect(via).toContain('via mn2 → mr31 → mr2 → mn1 (tunnelled)');
    expect(via.some((v) => v?.includes('mr11'))).toBe(true);
    expect(zoom).toContain('>LRI mr11→mr31<');
    const lost = report.flows.find((f) => f.id === 'f1')!.lost;
    const whole = await readFile(path.join(out, 'flow-f1.svg'), 'utf8');
    if (lost > 0) expect(whole).toContain(`data-series="lost (${lost}, at send time)"`);
    else expect(whole).not.toContain('data-series="lost');
    expect(report.handovers).toHaveLength(1);
    const f1 = report.flows.find((f) => f.id === 'f1')!;
    expect(f1.received).toBeGreaterThan(2000);
    expect(f1.handovers[0]!.interruptionMs).toBeGreaterThan(0);
    expect(f1.settledMobilityPath).toEqual(['mn2', 'mr31', 'mr2', 'mn1']);
    // Before the handover the packets went to MR11 through a tunnel from MR31 (the query of figure 3).
    expect(f1.paths.some((p) => p.nodes.includes('mr11') && p.tunnels.some((t) => t.outerSrc === '2001:db8:3::1'))).toBe(true);
    expect(report.handovers[0]!.signalling.HI).toBe(1);
    expect(report.handovers[0]!.signalling.LRI).toBeGreaterThanOrEqual(1);
    // MN1's uplink after the move: from the first packet MR2 sends it to the core inside a tunnel, never natively.
    expectUplinkEncapsulated(
      report.flows.find((f) => f.id === 'f2')!,
      'mr2',
      '2001:db8:2::1',
    );
  });

  it('client-handover: the node sends its own binding update to the new access router, which does the rest (Chan figure 8)', async () => {
    const { report, exitCode, output, out } = await run('scenarios/client-handover.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    const f1 = report.flows.find((f) => f.id === 'f1')!;
    expect(f1.settledMobilityPath).toEqual(['mn2', 'mr31', 'mr2', 'mn1']);
    // One BU, answered the first time: the router's socket on the access link was open before the link
    // came up (a BU that found it closed waited for the 300 ms retransmission).
    expect(report.handovers[0]!.signalling.BU).toBe(1);
    expect(f1.handovers[0]!.interruptionMs).toBeLessThan(100);
    expectUplinkEncapsulated(
      report.flows.find((f) => f.id === 'f2')!,
      'mr2',
      '2001:db8:2::1',
    );
    await expectDelivered(out, report);
  });

  it('fig5-predictive: the context reaches MR2 before the radio moves (HI/HAck), the session survives', async () => {
    const { report, exitCode, output } = await run('scenarios/fig5-predictive.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.handovers).toHaveLength(1);
    expect(report.signalling.totals.HI?.count).toBe(1);
    expect(report.signalling.totals.HAck?.count).toBe(1);
    const f1 = report.flows.find((f) => f.id === 'f1')!;
    expect(f1.received).toBeGreaterThan(2000);
    expect(f1.handovers[0]!.interruptionMs).toBeLessThanOrEqual(20);
    expect(f1.settledMobilityPath).toEqual(['mn2', 'mr31', 'mr2', 'mn1']);
    const step = report.steps.find((s) => s.kind === 'handover')!;
    expect(step.text).toContain('predictive');
  });

  it.each(['query', 'redirect', 'off'])('ro-%s: packets settle on the path the mode gives', async (mode) => {
    const { report, exitCode, output } = await run(`scenarios/ro-${mode}.yaml`, runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.lab.routeOptimization).toBe(mode);
    const f1 = report.flows.find((f) => f.id === 'f1')!;
    expect(f1.settledMobilityPath).toEqual(mode === 'off' ? ['mn2', 'mr31', 'mr12', 'mr11', 'mn1'] : ['mn2', 'mr31', 'mr11', 'mn1']);
    expect(f1.pathStretch).toBeGreaterThanOrEqual(1);
    if (mode === 'off') expect(report.signalling.totals.LMQ?.count ?? 0).toBe(0);
    if (mode === 'query') expect(report.signalling.totals.LMQ?.count ?? 0).toBeGreaterThan(0);
    if (mode === 'redirect') expect(report.signalling.totals.LRI?.count ?? 0).toBeGreaterThan(0);
  });

  it('dynamic-mobility: the old session keeps its address, the new one uses the new prefix, the old prefix is released', async () => {
    const { report, exitCode, output } = await run('scenarios/dynamic-mobility.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    const old = report.flows.find((f) => f.id === 'old')!;
    const fresh = report.flows.find((f) => f.id === 'new')!;
    expect(old.kind).toBe('tcp');
    expect(old.lost).toBe(0);
    expect(old.keepsSource).toBe(true);
    expect(fresh.source).not.toBe(old.source);
    expect(fresh.settledMobilityPath).toEqual(['mn1', 'mr2', 'cn']);
    expectUplinkEncapsulated(old, 'mr2', '2001:db8:2::1');
  });

  it('hierarchical-lm: LM1 points at MR31, MR31 tracks MR32, moves inside network 3 stay there, traffic goes straight to MR32', async () => {
    const { report, exitCode, output } = await run('scenarios/hierarchical-lm.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.handovers).toHaveLength(4);
    const f1 = report.flows.find((f) => f.id === 'f1')!;
    // Location management only: MR2 tunnels to MR32 itself, not through the proxy.
    expect(f1.paths.some((p) => p.nodes.includes('mr32') && !p.nodes.includes('mr31') && p.tunnels.some((t) => t.outerSrc === '2001:db8:2::1'))).toBe(true);
    // Back at MR32 after MR31, MR32's stale handover context towards MR31 must be gone: leaving MR32 for MR2
    // once made the two forward to each other in a loop (hundreds of ms of interruption, a busy machine).
    for (const h of f1.handovers.slice(1)) expect(h.interruptionMs ?? 0).toBeLessThan(100);
  });

  it("fig5-across-hosts: the same handover over two hosts, MN1's radio to MR2 a VXLAN link between them", async () => {
    const { report, exitCode, output } = await run('scenarios/fig5-across-hosts.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.handovers).toHaveLength(1);
    expect(report.flows.find((f) => f.id === 'f1')?.settledMobilityPath).toEqual(['mn2', 'mr31', 'mr2', 'mn1']);
    // Both hosts' underlays were captured with the rest.
    expect(report.artifacts.captures.filter((c) => c.iface === 'underlay').map((c) => c.node)).toEqual(['@h1', '@h2']);
    // One machine, one clock: the bracket the underlay captures put on the hosts' offset holds zero and is narrow.
    const clock = report.hosts?.clock[0];
    expect(clock?.minMs).toBeLessThanOrEqual(0);
    expect(clock?.maxMs).toBeGreaterThanOrEqual(0);
    expect((clock?.maxMs ?? 9) - (clock?.minMs ?? -9)).toBeLessThan(1);
  });

  it('pmipv6-handover: the LMA anchors the prefix, tunnels to the serving MAG, and takes the uplink back (Chan figure 2)', async () => {
    const { report, exitCode, output } = await run('scenarios/pmipv6-handover.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    const down = report.flows.find((f) => f.id === 'down')!;
    // Before and after the move every downlink packet crossed the LMA, then a tunnel from it (outer source: the LMA).
    const lma = '2001:db8:40::2'; // the LMA's loopback (core, listed first, has ::1)
    for (const p of down.paths.filter((x) => x.packets > 10)) {
      expect(p.nodes).toContain('lma');
      expect(p.tunnels.some((t) => t.outerSrc === lma)).toBe(true);
    }
    expect(down.settledMobilityPath).toEqual(['cn', 'lma', 'mag2', 'mn']);
    // One LMA round trip longer than the shortest path (cn → core → mag2 → mn).
    expect(down.pathStretch).toBeGreaterThan(1);
  });

  it('mipv6-handover: the home agent tunnels to the node itself, which reverse-tunnels from its care-of address (Chan figure 1)', async () => {
    const { report, exitCode, output, out } = await run('scenarios/mipv6-handover.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    await expectDelivered(out, report);
    const ha = '2001:db8:50::1'; // the home agent's loopback
    const var2 = report.flows.find((f) => f.id === 'down')!.paths.find((p) => p.nodes.includes('var2') && p.packets > 10)!;
    // Outer header from the home agent to the node's care-of address (the visited network's prefix), all the way to the node.
    expect(var2.tunnels.length).toBeGreaterThan(0);
    for (const t of var2.tunnels) {
      expect(t.outerSrc).toBe(ha);
      expect(t.outerDst.startsWith('2001:db8:60:')).toBe(true);
    }
    expect(var2.tunnels.map((t) => t.link)).toContain('var2–mn');
    const up = report.flows.find((f) => f.id === 'up')!.paths.find((p) => p.nodes.includes('var2') && p.packets > 10)!;
    expect(up.tunnels.every((t) => t.outerSrc.startsWith('2001:db8:60:'))).toBe(true);
    expect(up.tunnels.map((t) => t.link)).toContain('mn–var2');
  });

  it('migrating-has: the home agent nearest the correspondent tunnels to the care-of address, the LM replicas keep every home agent in sync (Chan figure 6)', async () => {
    const { report, exitCode, output, out } = await run('scenarios/migrating-has.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    await expectDelivered(out, report);
    const mr2 = '2001:db8:2::2'; // MR2's loopback: the home agent anycast leads cn21's packets to
    const down = report.flows.find((f) => f.id === 'down')!;
    const atAr31 = down.paths.find((p) => p.nodes.includes('ar31') && p.packets > 10)!;
    // From MR2 straight to the care-of address in network 3: the home network (mr1) is not on the way.
    expect(atAr31.nodes).not.toContain('mr1');
    expect(atAr31.tunnels.length).toBeGreaterThan(0);
    for (const t of atAr31.tunnels) {
      expect(t.outerSrc).toBe(mr2);
      expect(t.outerDst.startsWith('2001:db8:3:')).toBe(true);
    }
    // At home before the first move: MR2 intercepts too and tunnels to the prefix's own home agent, MR1.
    const home = down.paths.find((p) => p.nodes.at(-1) === 'mn11' && p.nodes.includes('mr1') && p.packets > 10)!;
    expect(home.nodes.slice(0, 3)).toEqual(['cn21', 'r2', 'mr2']);
    expect(home.tunnels.every((t) => t.outerSrc === mr2 && t.outerDst.startsWith('2001:db8:1:'))).toBe(true);
    // Every move away: the node's binding update, MR3 → LM3, LM3 → LM1 and LM2, each LM → its home agent, each acknowledged.
    for (const h of report.handovers.slice(0, 2)) {
      expect(h.signalling).toMatchObject({ BU: 1, BA: 1, PBU: 3, PBA: 3, LRI: 2, LRA: 2 });
      expect(h.synchronisation).toEqual({ messages: 10, bytes: expect.any(Number) as number });
    }
    // Coming home: the deregistration goes the same way (its lifetime-0 synchronisation is the handover's own, no release).
    expect(report.handovers[2]!.signalling).toMatchObject({ BU: 1, BA: 1, LRI: 2, LRA: 2 });
    expect(report.handovers[2]!.synchronisation?.messages).toBe(10);
  });

  it.each([
    ['anycast-query', 'LMQ'],
    ['anycast-push', 'LRI'],
  ] as const)('%s: the fixed correspondent’s nearest MR intercepts (anycast) and learns the node’s MR by %s (gap analysis 7)', async (name, learnedBy) => {
    const { report, exitCode, output } = await run(`scenarios/${name}.yaml`, runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    const down = report.flows.find((f) => f.id === 'down')!;
    // Before the move: cn3 → r3 → MR31, which tunnels to the anchor MR11 (MR31 anchors nothing of MN1's).
    const first = [...down.paths].sort((a, b) => a.fromMs - b.fromMs)[0]!;
    expect(first.nodes.slice(0, 3)).toEqual(['cn3', 'r3', 'mr31']);
    expect(first.nodes).toContain('mr11');
    expect(first.tunnels.some((t) => t.outerSrc === '2001:db8:3::2')).toBe(true); // MR31's loopback
    // Queries: MR31 asked LM1 once the first packet came; push: nobody asked anything.
    const lmq = report.signalling.totals['LMQ']?.count ?? 0;
    if (learnedBy === 'LMQ') expect(lmq).toBeGreaterThanOrEqual(1);
    else expect(lmq).toBe(0);
    expect(report.handovers[0]!.signalling['LRI']).toBeGreaterThanOrEqual(1);
  });

  it('hmipv6-handover: home agent → regional care-of address → MAP → on-link one; a move under the MAP never reaches the home agent (Chan figure 4)', async () => {
    const { report, exitCode, output, out } = await run('scenarios/hmipv6-handover.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    await expectDelivered(out, report);
    const ha = '2001:db8:50::1';
    const map = '2001:db8:60::1';
    const down = report.flows.find((f) => f.id === 'down')!.paths.find((p) => p.nodes.includes('var2') && p.packets > 10)!;
    // Up to the MAP, one outer header from the home agent to the regional care-of address; from it, a second one around it.
    const toMap = down.tunnels.find((t) => t.link === 'internet–map')!;
    expect(toMap.outerSrc).toBe(ha);
    expect(toMap.outerDst.startsWith('2001:db8:60:')).toBe(true);
    const onLink = down.tunnels.find((t) => t.link === 'var2–mn')!;
    expect(onLink.outerSrc).toBe(map);
    expect(onLink.outerDst.startsWith('2001:db8:60:')).toBe(true);
    expect(onLink.outerDst).not.toBe(toMap.outerDst);
    expect(report.handovers[1]!.signalling).toEqual({ BU: 1, BA: 1 });
  });

  it('ping-pong: ten round trips leave no stale state', async () => {
    const { report, exitCode, output } = await run('scenarios/ping-pong.yaml', runtime);
    expect(failedExpectations(report), output).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report.handovers).toHaveLength(20);
    expect(report.expectations.find((e) => e.name === 'no stale state')?.ok).toBe(true);
  });
});

describe('a failed expectation', () => {
  it('exits 1 and says which expectation failed with the measured value, and leaves nothing behind', async () => {
    const { report, exitCode, output } = await run('test/fixtures/scenarios/impossible.yaml', runtimes[0]!);
    expect(exitCode).toBe(1);
    expect(report.ok).toBe(false);
    expect(output).toMatch(/✘ impossible interruption: interruption \(worst handover\) expected < 0\.001ms, measured [\d.]+ ms/);
    const left = await dmmlab(['inspect', '--json']);
    expect((JSON.parse(left.stdout) as { lab: string }[]).filter((l) => l.lab.startsWith('impossible'))).toEqual([]);
  });
});
