import type { AgentEvent } from '../../../shared/control/events.js';
import { LabStates } from '../../../cli/lab/lab-states.js';
import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { BindingsPanel } from '../../../cli/tui/components/bindings-panel.js';
import { CaptureStatus } from '../../../cli/tui/components/capture-status.js';
import { ErrorBoundary } from '../../../cli/tui/components/error-boundary.js';
import { EventLog } from '../../../cli/tui/components/event-log.js';
import { FlowsPanel } from '../../../cli/tui/components/flows-panel.js';
import { Footer } from '../../../cli/tui/components/footer.js';
import { Header } from '../../../cli/tui/components/header.js';
import { HelpOverlay } from '../../../cli/tui/components/help-overlay.js';
import { Picker } from '../../../cli/tui/components/picker.js';
import { QuitDialog } from '../../../cli/tui/components/quit-dialog.js';
import { ScenarioStatus } from '../../../cli/tui/components/scenario-status.js';
import { TooSmall } from '../../../cli/tui/components/too-small.js';
import { TopologyPanel } from '../../../cli/tui/components/topology-panel.js';
import { bindingsView, flowsView, initialModel, reduce, topologyView, visibleLog, type TuiAction } from '../../../cli/tui/tui-model.js';
import { FakeStepper, MN1_ID, NOON, P1, fig1Plan, fig1States, flowStats } from './fake-lab.js';

const plan = fig1Plan();
const polled = (mn1At: string, ...more: TuiAction[]) =>
  [
    {
      type: 'poll' as const,
      states: new LabStates(fig1States(mn1At)),
      radios: { mn1: ['mr11', 'mr12', 'mr2'].map((ar) => ({ iface: ar, ar, up: ar === mn1At })), mn2: [{ iface: 'mr31', ar: 'mr31', up: true }] },
      t: 0,
    },
    ...more,
  ].reduce(reduce, initialModel(plan, { monoToWallMs: NOON }));
const lines = (frame: string | undefined) => (frame ?? '').split('\n');

describe('topology panel', () => {
  it('draws networks, nodes and roles, attachments and tunnels within 51 columns', () => {
    const { lastFrame } = render(<TopologyPanel view={topologyView(plan, polled('mr2'))} selected="mn1" width={51} height={11} />);
    const f = lastFrame()!;
    expect(f).toContain('─ Topology ─');
    expect(f).toContain('net1 mr11(mr,ar) mr12(mr,ar) lm1(lm,haa)');
    expect(f).toMatch(/net3 mr31\(mr,ar\) mr32\(mr,ar\) lm3\(lm\) haa3\(haa\) +│/);
    expect(f).toContain('core core(router) cn(cn) 2001:db8:ff::/48');
    expect(f).toMatch(/▸mn1 +at mr2 +cells +mr11 +mr12 +\[mr2\]/);
    expect(f).toMatch(/ mn2 +at mr31 +cells \[mr31\] mr32/);
    expect(f).toContain(`tunnel mr11 ⇒ mr2 ${P1}`);
    expect(lines(f)).toHaveLength(11);
    for (const l of lines(f)) expect(l.length).toBeLessThanOrEqual(51);
  });

  it('marks agents that are down and mobile nodes attached nowhere', () => {
    const m = polled('mr11', { type: 'agent-down', down: { node: 'lm2', why: 'gone', lastLines: '' }, t: 1 });
    const view = topologyView(plan, m);
    view.mobileNodes[0]!.attachedTo = [];
    const f = render(<TopologyPanel view={view} selected="mn2" width={51} height={11} />).lastFrame()!;
    expect(f).toContain('✗lm2(lm,haa)');
    expect(f).toMatch(/ mn1 +at none/);
    expect(f).toContain('▸mn2');
  });
});

describe('bindings panel', () => {
  it('shows LM bindings and MR caches, the selected node’s marked', () => {
    const f = render(<BindingsPanel view={bindingsView(plan, polled('mr2'))} selected="mn1" width={49} height={11} />).lastFrame()!;
    expect(f).toContain('─ Bindings & caches ─');
    expect(f).toMatch(new RegExp(`▸lm1 +${P1} → mr2 +mn1`));
    expect(f).toMatch(/ lm3 +2001:db8:3:8000::\/64 → mr31 +mn2/);
    expect(f).toContain(`▸mr11 ${P1} anchor→mr2`);
    expect(f).toContain(`▸mr31 ${P1} cache→mr2 (query`);
  });

  it('says when there is nothing, and how many rows did not fit', () => {
    expect(render(<BindingsPanel view={{ bindings: [], caches: [] }} selected={undefined} width={49} height={11} />).lastFrame()).toMatch(
      /LM bindings none[\s\S]*MR caches none/,
    );
    const many = Array.from({ length: 12 }, (_, i) => ({ lm: 'lm1', prefix: `2001:db8:1:80${10 + i}::/64`, mr: 'mr2', mn: 'mn1' }));
    expect(render(<BindingsPanel view={{ bindings: many, caches: [] }} selected={undefined} width={49} height={11} />).lastFrame()).toContain('(+5 more)');
  });
});

describe('flows panel', () => {
  it('shows rate, sent, received, lost, last sequence and the current addresses', () => {
    const m = polled('mr2', {
      type: 'events',
      events: [
        { t: 1, node: 'mn2', kind: 'flow.stats', ...flowStats('sender', { sent: 412 }) },
        { t: 2, node: 'mn1', kind: 'flow.stats', ...flowStats('receiver', { received: 400, lost: 3, lastSeq: 411, rate: 99.8 }) },
      ],
    });
    const f = render(<FlowsPanel flows={flowsView(m)} width={100} height={6} />).lastFrame()!;
    expect(f).toMatch(/f1 +udp +mn2 → mn1 +running +99\.8 pkt\/s +sent 412 +recv 400 +lost 3 +seq 411/);
    expect(f).toContain('2001:db8:3:8000::a → 2001:db8:1:8000::b');
    expect(f).toContain('1 running');
  });

  it('invites to start one when there are none', () => {
    expect(render(<FlowsPanel flows={[]} width={100} height={6} />).lastFrame()).toContain('no flows — press f to start one');
  });
});

describe('event log', () => {
  it('shows the newest lines that fit, with wall-clock times', () => {
    const events = Array.from({ length: 20 }, (_, i) => ({
      t: 1000 * i + 5,
      node: 'mr2',
      kind: 'mh.sent',
      to: '2001:db8:1::3',
      msg: i % 2 ? 'PBU' : 'HI',
      seq: i,
      mnId: MN1_ID,
    })) as unknown as AgentEvent[];
    const m = polled('mr2', { type: 'events', events });
    const f = render(<EventLog entries={visibleLog(m, 'key')} filter="key" width={100} height={8} />).lastFrame()!;
    expect(f).toContain('12:00:19.005 mr2    PBU → lm1 mn1 seq 19');
    expect(f).toContain('12:00:14.005 mr2    HI → lm1 mn1 seq 14');
    expect(f).not.toContain('seq 13');
    expect(f).toContain('key events · l: more');
  });

  it('waits for events', () => {
    expect(render(<EventLog entries={[]} filter="all" width={100} height={8} />).lastFrame()).toMatch(/waiting for events…[\s\S]*|everything · l: less/);
  });
});

describe('status lines', () => {
  it('capture: off, on with packets and directory, an error', () => {
    expect(render(<CaptureStatus status={{ on: false, packets: 0 }} />).lastFrame()).toBe('capture off · 0 packets');
    expect(render(<CaptureStatus status={{ on: true, packets: 1234, file: '/run/dmmlab/x/captures/t' }} />).lastFrame()).toBe(
      'capture ● on · 1234 packets · /run/dmmlab/x/captures/t',
    );
    expect(render(<CaptureStatus status={{ on: false, packets: 0, error: 'no tcpdump' }} />).lastFrame()).toContain('no tcpdump');
  });

  it('scenario: none loaded, the next step, playing, finished', () => {
    expect(render(<ScenarioStatus scenario={undefined} playing={false} />).lastFrame()).toBe('scenario: no scenario loaded');
    const s = new FakeStepper();
    s.position = 1;
    expect(render(<ScenarioStatus scenario={s} playing={false} />).lastFrame()).toBe('scenario step 2/3: handover mn1 → mr2 · n step · p play');
    expect(render(<ScenarioStatus scenario={s} playing />).lastFrame()).toContain('▶ playing');
    s.position = 3;
    expect(render(<ScenarioStatus scenario={s} playing={false} />).lastFrame()).toBe('scenario finished (3 steps)');
  });

  it('header: agents up, agents down, lab destroyed', () => {
    expect(render(<Header lab="fig1t" nodes={13} agents={13} down={[]} labGone={false} selected="mn1" />).lastFrame()).toBe(
      'dmmlab tui · lab fig1t · 13 nodes · 13 agents up · selected mn1',
    );
    expect(render(<Header lab="fig1t" nodes={13} agents={13} down={['mr2']} labGone={false} selected="mn1" />).lastFrame()).toContain(
      '12/13 agents up, down: mr2',
    );
    expect(render(<Header lab="fig1t" nodes={13} agents={13} down={[]} labGone selected="mn1" />).lastFrame()).toContain('LAB DESTROYED');
  });

  it('footer: the last action and the keys, within 100 columns', () => {
    const f = render(<Footer status={{ state: 'error', text: 'handover failed: no' }} />).lastFrame()!;
    expect(lines(f)[0]).toBe('✘ handover failed: no');
    expect(lines(f)[1]).toBe('tab mn  h handover  a attach  d detach  f flow  x stop flow  c capture  e export  ? help  q quit');
    expect(lines(f)[1]!.length).toBeLessThanOrEqual(100);
  });
});

describe('dialogs and screens', () => {
  it('help lists every key', () => {
    const f = render(<HelpOverlay width={100} height={16} />).lastFrame()!;
    for (const k of ['tab', 'S-tab', 'm', 's', 'h', 'a', 'd', 'f', 'x', 'c', 'e', 'n', 'p', 'l', '?', 'q'])
      expect(f).toMatch(new RegExp(`│ .*${k.replace('?', '\\?')} +\\S`));
    expect(f).toContain('hand the node over to another AR');
    expect(f).toContain('play / pause the scenario');
  });

  it('picker: filter, highlight, nothing matching', () => {
    const items = ['mr11', 'mr12', 'mr2'].map((x) => ({ value: x, label: x, hint: 'net' }));
    const base = { kind: 'picker' as const, id: 1, title: 'Hand mn1 over to', items, filter: '', index: 1, onPick: () => {} };
    const f = render(<Picker picker={base} width={100} height={16} />).lastFrame()!;
    expect(f).toContain('─ Hand mn1 over to ─');
    expect(f).toMatch(/ {3}mr11 net[\s\S]*❯ mr12 net[\s\S]* {3}mr2 net/);
    expect(render(<Picker picker={{ ...base, filter: 'mr2', index: 0 }} width={100} height={16} />).lastFrame()).toMatch(/filter: mr2[\s\S]*❯ mr2 net/);
    expect(render(<Picker picker={{ ...base, filter: 'zz' }} width={100} height={16} />).lastFrame()).toContain('nothing matches “zz”');
  });

  it('quit dialog: keep or destroy; a gone lab can only be left', () => {
    expect(render(<QuitDialog lab="fig1t" labGone={false} width={100} />).lastFrame()).toContain('Lab fig1t: k keep it running · d destroy it · Esc stay');
    expect(render(<QuitDialog lab="fig1t" labGone width={100} />).lastFrame()).toContain('Lab fig1t is already gone. Enter leaves');
  });

  it('too small: says so', () => {
    expect(render(<TooSmall columns={80} rows={24} />).lastFrame()).toBe(
      'terminal too small: need 100x30, have 80x24\nresize the terminal, or press q to quit',
    );
  });

  it('a render error shows the error screen, and q leaves', async () => {
    const onQuit = vi.fn();
    const Boom = () => {
      throw new Error('kaboom');
    };
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const r = render(
      <ErrorBoundary onQuit={onQuit}>
        <Text>fine</Text>
        <Boom />
      </ErrorBoundary>,
    );
    expect(r.lastFrame()).toContain('dmmlab tui stopped drawing: kaboom');
    expect(r.lastFrame()).toContain('The lab keeps running. Press q to leave');
    await new Promise((res) => setTimeout(res, 20));
    r.stdin.write('q');
    await vi.waitFor(() => expect(onQuit).toHaveBeenCalled());
    spy.mockRestore();
  });
});
