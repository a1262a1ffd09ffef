/**
 * The physical limit of a figure-5 handover: the same lab, traffic, capture
 * and verifier as scenarios/fig5-handover.yaml, but the handover is a bare
 * shell script that makes the kernel changes the agents end up making — MR2's
 * neighbour entry and on-link route for MN1 (ahead of time, as a predictive
 * handover has them), then at once the radio change on MN1 and MR11's route
 * for MN1's prefix into the tunnel to MR2 — with no signalling at all. The mobility agents are frozen (SIGSTOP) meanwhile so that
 * nothing else touches the datapath; MN1's and MN2's agents keep running the
 * flow. Freezing needs a process per agent, so this lab is deployed with
 * DMMLAB_AGENT_HOSTING=per-node (the agents' hosting changes nothing in the
 * kernel's work measured here). What this measures is what the kernel, the veths and the capture
 * cost; dmmlab's interruption divided by it is the price of the signalling.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { monoMs } from '../../shared/clock.js';
import { agentAtDeploy } from '../../shared/control/roles.js';
import { linkLocalFromMac } from '../../shared/ipv6.js';
import { tunnelDriver } from '../../agent/kernel/tunnel-driver.js';
import { MOBILITY_TABLE } from '../../agent/kernel/mobility-routes.js';
import { CaptureSession } from '../../cli/capture/capture-session.js';
import { deploy } from '../../cli/lab/deploy.js';
import { destroy } from '../../cli/lab/destroy.js';
import { LabSession } from '../../cli/lab/session.js';
import { analyzeRun } from '../../cli/analyze/analyze-run.js';
import type { FlowAnalysis } from '../../cli/analyze/types.js';
import { silentProgress } from '../../cli/util/progress.js';
import type { FlowRecord, HandoverRecord } from '../../cli/scenario/run-log.js';
import type { RuntimeName } from '../../cli/topology/runtime-names.js';
import { mnAddresses, waitForHomeAddresses } from '../../cli/lab/mn-addresses.js';

export interface BareHandoverOptions {
  topology: string;
  out: string;
  runtime: RuntimeName;
  /** Lab name (unique per run). */
  lab: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One run; returns the flow as the verifier sees it. */
export async function bareHandover(o: BareHandoverOptions): Promise<FlowAnalysis> {
  await mkdir(o.out, { recursive: true });
  const hosting = process.env.DMMLAB_AGENT_HOSTING;
  process.env.DMMLAB_AGENT_HOSTING = 'per-node';
  const d = await deploy({ topology: o.topology, name: o.lab, runtime: o.runtime, ephemeral: true }).finally(() => {
    if (hosting === undefined) delete process.env.DMMLAB_AGENT_HOSTING;
    else process.env.DMMLAB_AGENT_HOSTING = hosting;
  });
  let session: LabSession | undefined;
  let frozen: number[] = [];
  let capture: CaptureSession | undefined;
  try {
    session = await LabSession.open(o.lab);
    const s = session;
    const plan = s.plan;
    await waitForHomeAddresses(s, silentProgress);
    const home = (await mnAddresses(s, 'mn1'))[0]?.address ?? raise('mn1 has no home address');
    const hnp = `${home.split(':').slice(0, 4).join(':')}::/64`;
    capture = await CaptureSession.start({ plan, access: (n) => s.access(n.name), dir: path.join(o.out, 'captures'), batched: true });

    const startedAt = monoMs();
    const r = await s.startFlow({ id: 'f1', kind: 'udp', from: 'mn2', to: 'mn1', rate: 1000, size: 100 });
    const flow: FlowRecord = {
      id: 'f1',
      kind: 'udp',
      from: 'mn2',
      to: 'mn1',
      source: String(r.source ?? ''),
      destination: String(r.destination ?? home),
      ...(typeof r.port === 'number' ? { port: r.port } : {}),
      startedAt,
    };
    await sleep(1000);

    // Freeze every agent but the flow's two ends.
    // Nodes whose roles need no agent (routers, correspondents) run none: nothing to freeze there.
    const pids = await Promise.all(
      plan.nodes
        .filter((n) => n.agent && agentAtDeploy(n.roles) && n.name !== 'mn1' && n.name !== 'mn2')
        .map(async (n) => Number((await s.agentState(n.name)).pid)),
    );
    const ends = await Promise.all(['mn1', 'mn2'].map(async (n) => Number((await s.agentState(n)).pid)));
    frozen = [...new Set(pids.filter((p) => Number.isInteger(p) && p > 0))];
    if (frozen.some((p) => ends.includes(p))) raise('the flow’s ends share a process with the agents to freeze');
    for (const p of frozen) process.kill(p, 'SIGSTOP');

    const node = (name: string) => plan.nodes.find((n) => n.name === name) ?? raise(`no node ${name}`);
    const mrInfo = (name: string) => plan.mobility.mrs.find((m) => m.node === name) ?? raise(`no MR ${name}`);
    const radio = node('mn1').interfaces.find((i) => i.name === 'mr2') ?? raise('mn1 has no radio to mr2');
    const ll = linkLocalFromMac(radio.mac);
    // The bpf driver's object files go with the run's output (the others write none).
    const driver = tunnelDriver(d.tunnelDriver, o.out, plan.mobility.mrs);
    driver.setup(mrInfo('mr11'));
    const t = driver.toward(mrInfo('mr2'));
    // Ahead of time, as a predictive handover would have it: MR2's neighbour entry and on-link route
    // for MN1 (unused until packets arrive) and MR11's tunnel device. At the handover, the radio
    // change and MR11's route into the tunnel run at once: two processes, no signalling.
    const prepared = [
      `ip -n ${node('mr2').netns} -6 -batch - <<'EOF'`,
      `neigh replace ${ll} lladdr ${radio.mac} dev mn1 nud permanent`,
      `route replace ${hnp} table ${MOBILITY_TABLE} via ${ll} dev mn1`,
      'EOF',
      ...(t.prepare.length ? [`ip -n ${node('mr11').netns} -force -batch - <<'EOF'`, ...t.prepare, 'EOF'] : []),
    ].join('\n');
    await execa('bash', ['-e', '-c', prepared]);
    const script = [
      `ip -n ${node('mn1').netns} -batch - <<'EOF' &`,
      'link set dev mr11 down',
      'link set dev mr2 up',
      'EOF',
      `ip -n ${node('mr11').netns} -6 route replace ${hnp} table ${MOBILITY_TABLE} ${t.via} &`,
      'wait',
    ].join('\n');
    const at = monoMs();
    await execa('bash', ['-e', '-c', script]);
    const handover: HandoverRecord = { index: 0, mn: 'mn1', from: ['mr11'], to: 'mr2', at, completedAt: monoMs() };
    await sleep(1500);
    await s.stopFlow({ id: 'f1', from: 'mn2', to: 'mn1', kind: 'udp' });
    flow.stoppedAt = monoMs();
    const captures = await capture.stop();
    capture = undefined;
    const analysis = await analyzeRun({ plan, captures, flows: [flow], handovers: [handover], monoToWallMs: s.state.monoToWallMs ?? 0 });
    return analysis.flows[0] ?? raise('no flow in the analysis');
  } finally {
    await capture?.stop().catch(() => undefined);
    for (const p of frozen) {
      try {
        process.kill(p, 'SIGCONT');
      } catch {
        // gone
      }
    }
    session?.close();
    await destroy(o.lab).catch(() => undefined);
  }
}

function raise(message: string): never {
  throw new Error(message);
}
