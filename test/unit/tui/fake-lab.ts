import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentEvent } from '../../../shared/control/events.js';
import type { FlowEventFields, FlowReport, FlowStarted } from '../../../shared/control/flow-report.js';
import type { AgentState, MrPrefixState, MrState, RoleStates } from '../../../shared/control/role-state.js';
import { LabStates } from '../../../cli/lab/lab-states.js';
import type { AgentDown, HandoverOptions } from '../../../cli/lab/session.js';
import type { Plan } from '../../../cli/plan/types.js';
import { parseTopology } from '../../../cli/plan/load.js';
import type { CaptureStatus, FlowStart, Radio, ScenarioStepper, TuiCapture, TuiLab } from '../../../cli/tui/tui-lab.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The plan of topologies/fig1.yaml as lab `fig1t`. */
export function fig1Plan(): Plan {
  const file = path.join(ROOT, 'topologies/fig1.yaml');
  return parseTopology(file, readFileSync(file, 'utf8'), { lab: 'fig1t' }).plan;
}

/** Wall clock 12:00:00.000 UTC at monotonic 0: an event at t = 1234.5 shows as 12:00:01.234. */
export const NOON = Date.UTC(2026, 0, 1, 12, 0, 0);

export const P1 = '2001:db8:1:8000::/64';
export const P3 = '2001:db8:3:8000::/64';
export const MN1_ID = 'mn1@net1.fig1t';
export const MN2_ID = 'mn2@net3.fig1t';

/** An agent's state with the given role snapshots (and flows). */
export function agentState(node: string, roles: RoleStates, flows: FlowReport[] = []): AgentState {
  return { node, pid: 100, version: '0.1.0', configured: true, uptimeMs: 1000, rssBytes: 40 << 20, signalling: null, kernelLines: 0, roles, flows };
}

/** An MR's state with these prefixes. */
export function mrState(prefixes: MrPrefixState[]): MrState {
  return { driver: 'seg6', anchor: '2001:db8:1:8000::/56', tunnelPeers: [], prefixes, reverse: [] };
}

/** Agent states of fig1 as the roles report them, with mn1 at `mn1At` (wrap in LabStates for the model). */
export function fig1States(mn1At: string, opts: { cacheAtMr31?: boolean } = {}): Record<string, AgentState> {
  const onLink = { attached: 'mn1', route: 'on-link via fe80::1 dev mn1' };
  const mrs: Record<string, MrPrefixState[]> = {
    mr11: [],
    mr12: [],
    mr2: [],
    mr31: [{ prefix: P3, attached: 'mn2', route: 'on-link via fe80::2 dev mn2' }],
    mr32: [],
  };
  mrs[mn1At]!.push({ prefix: P1, ...onLink });
  if (mn1At !== 'mr11') mrs.mr11!.push({ prefix: P1, servedBy: mn1At, route: `tunnel to ${mn1At}` });
  if (opts.cacheAtMr31 !== false) mrs.mr31!.push({ prefix: P1, cachedAt: mn1At, cacheSource: 'query', cacheExpiresInS: 55, route: `tunnel to ${mn1At}` });
  const mr = (node: string) => agentState(node, { mr: mrState(mrs[node]!), ar: { visitors: [], advertised: {}, recent: [] } });
  return {
    lm1: agentState('lm1', {
      lm: { bindings: [{ prefix: P1, mnId: MN1_ID, location: '2001:db8:1::1', mr: mn1At, expiresInS: 590, queriers: [] }], contexts: [] },
      haa: { leases: [{ prefix: P1, mnId: MN1_ID, anchor: 'mr11', expiresInS: 3500 }] },
    }),
    lm3: agentState('lm3', {
      lm: { bindings: [{ prefix: P3, mnId: MN2_ID, location: '2001:db8:3::1', mr: 'mr31', expiresInS: 580, queriers: [] }], contexts: [] },
    }),
    mr11: mr('mr11'),
    mr12: mr('mr12'),
    mr2: mr('mr2'),
    mr31: mr('mr31'),
    mr32: mr('mr32'),
    mn1: agentState('mn1', { mn: { mnId: MN1_ID, radios: [], released: [] } }),
    mn2: agentState('mn2', { mn: { mnId: MN2_ID, radios: [], released: [] } }),
  };
}

export class FakeCapture implements TuiCapture {
  status: CaptureStatus = { on: false, packets: 0 };
  calls: string[] = [];
  failExport: string | undefined;
  async start() {
    this.calls.push('start');
    this.status = { on: true, packets: 42, file: '/run/dmmlab/fig1t/captures/x' };
  }
  async stop() {
    this.calls.push('stop');
    this.status = { ...this.status, on: false };
  }
  async stats() {
    return this.status;
  }
  async export() {
    this.calls.push('export');
    if (this.failExport) throw new Error(this.failExport);
    this.status = { ...this.status, file: '/tmp/fig1t.pcapng' };
    return '/tmp/fig1t.pcapng';
  }
}

export class FakeStepper implements ScenarioStepper {
  steps = ['start udp flow f1 mn2 → mn1', 'handover mn1 → mr2', 'wait 2 s'];
  position = 0;
  paused = false;
  playing: (() => void) | undefined;
  async next() {
    this.position++;
  }
  play() {
    return new Promise<void>((resolve) => (this.playing = resolve));
  }
  pause() {
    this.paused = true;
    this.playing?.();
  }
}

/** A lab in memory: the TUI drives it through TuiLab; the test drives its events and states. */
export class FakeLab implements TuiLab {
  readonly lab = 'fig1t';
  readonly plan = fig1Plan();
  readonly monoToWallMs = NOON;
  history: AgentEvent[] = [];
  deadAgents: AgentDown[] = [];
  capture = new FakeCapture();
  scenario: ScenarioStepper | undefined;
  calls: string[] = [];
  states: LabStates;
  radioState: Record<string, Radio[]> = {
    mn1: [
      { iface: 'mr11', ar: 'mr11', up: true },
      { iface: 'mr12', ar: 'mr12', up: false },
      { iface: 'mr2', ar: 'mr2', up: false },
    ],
    mn2: [
      { iface: 'mr31', ar: 'mr31', up: true },
      { iface: 'mr32', ar: 'mr32', up: false },
    ],
  };
  isPresent = true;
  /** Makes the next action reject with this message. */
  failNext: string | undefined;
  private readonly bus = new EventEmitter();

  constructor(opts: { scenario?: boolean } = {}) {
    this.states = new LabStates(fig1States('mr11'));
    if (opts.scenario) this.scenario = new FakeStepper();
  }

  /** Pushes an event as an agent would (t in ms since 12:00:00.000). */
  emit(e: { t: number; node: string; kind: string } & Record<string, unknown>): void {
    this.bus.emit('event', e);
  }

  agentDown(d: AgentDown): void {
    this.deadAgents.push(d);
    this.bus.emit('down', d);
  }

  onEvent(l: (e: AgentEvent) => void) {
    this.bus.on('event', l);
    return () => void this.bus.off('event', l);
  }
  onAgentDown(l: (d: AgentDown) => void) {
    this.bus.on('down', l);
    return () => void this.bus.off('down', l);
  }
  async allStates() {
    return this.states;
  }
  async radios(mn: string) {
    return this.radioState[mn] ?? [];
  }
  async attachedTo(mn: string) {
    return (this.radioState[mn] ?? []).filter((r) => r.up).map((r) => r.ar);
  }
  private check(call: string): void {
    this.calls.push(call);
    const f = this.failNext;
    this.failNext = undefined;
    if (f) throw new Error(f);
  }
  private setRadio(mn: string, ar: string, up: boolean) {
    for (const r of this.radioState[mn] ?? []) if (r.ar === ar) r.up = up;
  }
  async attach(mn: string, ar: string) {
    this.check(`attach ${mn} ${ar}`);
    this.setRadio(mn, ar, true);
  }
  async detach(mn: string, ar?: string) {
    this.check(`detach ${mn} ${ar ?? '*'}`);
    for (const r of this.radioState[mn] ?? []) if (!ar || r.ar === ar) r.up = false;
  }
  async handover(mn: string, to: string, opts?: HandoverOptions) {
    this.check(`handover ${mn} ${to}${opts?.predictive ? ' predictive' : ''}`);
    const from = await this.attachedTo(mn);
    for (const r of this.radioState[mn] ?? []) r.up = r.ar === to;
    return { from, to };
  }
  async startFlow(f: FlowStart): Promise<FlowStarted> {
    this.check(`startFlow ${f.id} ${f.kind} ${f.from} ${f.to}`);
    return { flowId: f.id, wireId: 1, kind: f.kind, role: 'sender', source: null, destination: null, port: null };
  }
  async stopFlow(f: { id: string; from: string; to: string }) {
    this.check(`stopFlow ${f.id} ${f.from} ${f.to}`);
    return {};
  }
  async present() {
    return this.isPresent;
  }
}

/** A flow end report as agents send it in `flow.stats`. */
export function flowStats(role: 'sender' | 'receiver', fields: Record<string, unknown>): FlowEventFields & Record<string, unknown> {
  const base = {
    flowId: 'f1',
    wireId: 1,
    role,
    flowKind: 'udp' as const,
    port: 5000,
    state: 'running' as const,
    elapsedMs: 1000,
    rate: 100,
    byteRate: 10000,
    latencyMs: null,
  };
  return role === 'sender'
    ? { ...base, source: '2001:db8:3:8000::a', destination: '2001:db8:1:8000::b', sent: 100, lastSeq: 100, ...fields }
    : { ...base, source: '2001:db8:3:8000::a', destination: null, received: 98, lost: 2, lastSeq: 100, ...fields };
}
