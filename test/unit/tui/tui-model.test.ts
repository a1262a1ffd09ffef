import { describe, expect, it } from 'vitest';
import { actionFor } from '../../../cli/tui/keys.js';
import { layoutFor } from '../../../cli/tui/layout.js';
import { filterItems } from '../../../cli/tui/picker-items.js';
import {
  bindingsView,
  flowsView,
  initialModel,
  nextFlowId,
  reduce,
  topologyView,
  visibleLog,
  type TuiAction,
  type TuiModel,
} from '../../../cli/tui/tui-model.js';
import { shareLines } from '../../../cli/tui/components/bindings-panel.js';
import { MN1_ID, NOON, P1, fig1Plan, fig1States, flowStats } from './fake-lab.js';
import type { AgentEvent } from '../../../shared/control/events.js';
import type { FlowReport } from '../../../shared/control/flow-report.js';
import { LabStates } from '../../../cli/lab/lab-states.js';

const plan = fig1Plan();
const fresh = () => initialModel(plan, { monoToWallMs: NOON });
const apply = (m: TuiModel, ...actions: TuiAction[]) => actions.reduce(reduce, m);
const ev = (t: number, node: string, kind: string, fields: Record<string, unknown> = {}) => ({ t, node, kind, ...fields }) as unknown as AgentEvent;
const poll = (mn1At: string, extra: Partial<Extract<TuiAction, { type: 'poll' }>> = {}): TuiAction => ({
  type: 'poll',
  states: new LabStates(fig1States(mn1At)),
  radios: { mn1: ['mr11', 'mr12', 'mr2'].map((ar) => ({ iface: ar, ar, up: ar === mn1At })) },
  t: 0,
  ...extra,
});

describe('event log', () => {
  it('names signalling messages and addresses, with wall-clock timestamps', () => {
    const m = apply(fresh(), {
      type: 'events',
      events: [ev(1234.5, 'mr2', 'mh.sent', { to: '2001:db8:1::3', msg: 'PBU', seq: 7, purpose: 'location', mnId: MN1_ID, lifetime: 600, prefixes: [P1] })],
    });
    expect(m.log).toHaveLength(1);
    expect(m.log[0]).toMatchObject({ clock: '12:00:01.234', node: 'mr2', category: 'signalling', text: `PBU → lm1 location mn1 ${P1} seq 7` });
  });

  it('describes each message name and the mobility milestones', () => {
    const names = ['PBU', 'PBA', 'HI', 'HAck', 'LRI', 'LRA', 'BRI', 'BRA', 'LMQ', 'LMR'];
    const m = apply(fresh(), {
      type: 'events',
      events: [
        ...names.map((msg, i) => ev(i, 'mr11', 'mh.sent', { to: '2001:db8:2::1', msg, seq: i })),
        ev(20, 'mr2', 'mn.attached', { mn: 'mn1', iface: 'mn1' }),
        ev(21, 'mr11', 'mn.detached', { mn: 'mn1', iface: 'mn1' }),
        ev(22, 'mr2', 'handover.completed', { mn: 'mn1', mode: 'handover', from: 'mr11', to: 'mr2', prefixes: [P1], ms: 28.7 }),
        ev(23, 'lm1', 'binding.updated', { prefix: P1, mnId: MN1_ID, location: '2001:db8:2::1', previous: '2001:db8:1::1', mr: 'mr2' }),
        ev(24, 'mr31', 'cache.updated', { prefix: P1, mr: 'mr2', source: 'query', lifetime: 60 }),
        ev(25, 'mr11', 'context.created', { mn: 'mn1', to: 'mr2', prefixes: [P1], lifetimeS: 3 }),
        ev(26, 'mr2', 'agent.error', { message: 'HAA refused a prefix' }),
        ev(27, 'mr2', 'prefix.allocated', { mn: 'mn1', mnId: MN1_ID, prefix: '2001:db8:2:8000::/64', anchor: 'mr2', lifetime: 3600 }),
      ],
    });
    expect(m.log.slice(0, names.length).map((e) => e.text.split(' ')[0])).toEqual(names);
    expect(m.log.map((e) => e.text).slice(names.length)).toEqual([
      'mn1 attached to mr2',
      'mn1 detached from mr11',
      `HANDOVER mn1 mr11 → mr2 in 28.7 ms ${P1}`,
      `binding ${P1} → mr2 (was mr11) mn1`,
      `cache ${P1} → mr2 (query, 60 s)`,
      `context mn1 → mr2 for 3 s ${P1}`,
      'ERROR HAA refused a prefix',
      'prefix 2001:db8:2:8000::/64 for mn1, anchored at mr2 (3600 s)',
    ]);
    expect(m.log.slice(names.length).map((e) => e.category)).toEqual(['attach', 'attach', 'handover', 'binding', 'binding', 'handover', 'error', 'binding']);
  });

  it('leaves flow stats out of the log, sorts a batch by time and stays bounded', () => {
    let m = initialModel(plan, { monoToWallMs: NOON, logLimit: 5 });
    m = apply(m, { type: 'events', events: [ev(3, 'a', 'x.c'), ev(1, 'a', 'x.a'), ev(2, 'a', 'flow.stats', flowStats('sender', {})), ev(2, 'a', 'x.b')] });
    expect(m.log.map((e) => e.kind)).toEqual(['x.a', 'x.b', 'x.c']);
    for (let i = 0; i < 10; i++) m = apply(m, { type: 'events', events: [ev(10 + i, 'a', `y.${i}`)] });
    expect(m.log).toHaveLength(5);
    expect(m.log.at(-1)?.kind).toBe('y.9');
    expect(new Set(m.log.map((e) => e.id)).size).toBe(5);
  });

  it('filters: key events (each message once), signalling only, everything', () => {
    const m = apply(fresh(), {
      type: 'events',
      events: [
        ev(1, 'mr2', 'mh.sent', { to: '2001:db8:1::3', msg: 'PBU', seq: 1 }),
        ev(2, 'lm1', 'mh.received', { from: '2001:db8:2::1', msg: 'PBU', seq: 1 }),
        ev(3, 'mr2', 'route.changed', { prefix: P1, route: 'tunnel to mr2', previous: 'none', reason: 'x' }),
        ev(4, 'mr2', 'handover.completed', { mn: 'mn1', mnId: MN1_ID, mode: 'handover', from: 'mr11', to: 'mr2', ms: 1, prefixes: [P1] }),
        ev(5, 'dmmlab', 'step.handover', { mn: 'mn1', from: ['mr11'], to: 'mr2', mode: 'break' }),
      ],
    });
    expect(visibleLog(m, 'key').map((e) => e.kind)).toEqual(['mh.sent', 'handover.completed', 'step.handover']);
    expect(visibleLog(m, 'signalling').map((e) => e.kind)).toEqual(['mh.sent', 'mh.received']);
    expect(visibleLog(m, 'all')).toHaveLength(5);
    expect(visibleLog(m, 'all')[4]?.text).toBe('step: handover mn1 mr11 → mr2 (break)');
  });

  it('notes agents going down and the lab disappearing, once each', () => {
    const down = { node: 'mr2', why: 'socket closed', lastLines: '' };
    let m = apply(fresh(), { type: 'agent-down', down, t: 5 }, { type: 'agent-down', down, t: 6 });
    expect(Object.keys(m.down)).toEqual(['mr2']);
    expect(m.log.map((e) => e.text)).toEqual(['AGENT DOWN socket closed']);
    m = apply(m, poll('mr11', { present: false }), poll('mr11', { present: false }));
    expect(m.labGone).toBe(true);
    expect(m.log.filter((e) => e.kind === 'lab.gone')).toHaveLength(1);
    expect(m.log.at(-1)?.category).toBe('error');
  });
});

describe('topology', () => {
  it('lists networks with their nodes and roles, and where each mobile node is attached', () => {
    const v = topologyView(plan, apply(fresh(), poll('mr2')));
    expect(v.networks.map((n) => n.name)).toEqual(['net1', 'net2', 'net3', 'core']);
    expect(v.networks[0]?.nodes.map((n) => `${n.name}(${n.roles.join(',')})`)).toEqual(['mr11(mr,ar)', 'mr12(mr,ar)', 'lm1(lm,haa)']);
    expect(v.mobileNodes.find((x) => x.name === 'mn1')).toMatchObject({
      attachedTo: ['mr2'],
      cells: [
        { ar: 'mr11', up: false },
        { ar: 'mr12', up: false },
        { ar: 'mr2', up: true },
      ],
    });
  });

  it('falls back to the mobile node agent’s own radios before the first radios poll', () => {
    const states = fig1States('mr11');
    states.mn2!.roles.mn!.radios = [{ iface: 'mr32', ar: 'mr32', up: true }];
    const v = topologyView(plan, apply(fresh(), { type: 'poll', states: new LabStates(states), radios: {}, t: 0 }));
    expect(v.mobileNodes.find((x) => x.name === 'mn2')?.attachedTo).toEqual(['mr32']);
  });

  it('shows tunnels that mobility routes use now, and agents that are down', () => {
    const m = apply(fresh(), poll('mr2'), { type: 'agent-down', down: { node: 'lm2', why: 'x', lastLines: '' }, t: 1 });
    const v = topologyView(plan, m);
    expect(v.tunnels).toEqual([
      { from: 'mr11', to: 'mr2', prefixes: [P1] },
      { from: 'mr31', to: 'mr2', prefixes: [P1] },
    ]);
    expect(v.networks[1]?.nodes.find((n) => n.name === 'lm2')?.down).toBe(true);
  });
});

describe('bindings and caches', () => {
  it('shows LM bindings with their MR and node, and what MRs hold', () => {
    const v = bindingsView(plan, apply(fresh(), poll('mr2')));
    expect(v.bindings).toContainEqual({ lm: 'lm1', prefix: P1, mr: 'mr2', mn: 'mn1', expiresInS: 590 });
    expect(v.caches).toEqual([
      { mr: 'mr11', prefix: P1, what: 'anchor', to: 'mr2', mn: 'mn1' },
      { mr: 'mr31', prefix: P1, what: 'cache', to: 'mr2', detail: '(query, 55s)', mn: 'mn1' },
    ]);
  });

  it('shows an LM proxy’s entries as hierarchical bindings, departed ones not', () => {
    const states = fig1States('mr32');
    states.mr31!.roles.mr!.lmProxy = [
      { mnId: MN1_ID, serving: 'mr32', prefixes: [P1], upstream: [P1], departed: false },
      { mnId: 'gone@net2.fig1', serving: 'mr31', prefixes: ['2001:db8:2:8000::/64'], upstream: [], departed: true },
    ];
    const v = bindingsView(plan, apply(fresh(), { ...(poll('mr32') as Extract<TuiAction, { type: 'poll' }>), states: new LabStates(states) }));
    expect(v.bindings).toContainEqual({ lm: 'mr31', prefix: P1, mr: 'mr32', mn: 'mn1', proxy: true });
    expect(v.bindings.filter((b) => b.proxy)).toHaveLength(1);
  });

  it('shares the panel’s lines between sections', () => {
    expect(shareLines([10, 1], 9)).toEqual([6, 1]);
    expect(shareLines([2, 10], 9)).toEqual([2, 5]);
    expect(shareLines([0, 0], 9)).toEqual([0, 0]);
  });
});

describe('flows', () => {
  it('joins both ends: rate and losses from the receiver, addresses from both', () => {
    const m = apply(fresh(), {
      type: 'events',
      events: [
        ev(1, 'mn2', 'flow.stats', flowStats('sender', { sent: 300 })),
        ev(2, 'mn1', 'flow.stats', flowStats('receiver', { received: 290, lost: 3, lastSeq: 299, rate: 99.5 })),
      ],
    });
    expect(flowsView(m)).toEqual([
      {
        id: 'f1',
        kind: 'udp',
        from: 'mn2',
        to: 'mn1',
        state: 'running',
        rate: 99.5,
        sent: 300,
        received: 290,
        lost: 3,
        lastSeq: 299,
        source: '2001:db8:3:8000::a',
        destination: '2001:db8:1:8000::b',
      },
    ]);
  });

  it('takes polled flow lists too, keeping the fresher report', () => {
    const states = fig1States('mr11');
    states.mn1!.flows = [{ ...flowStats('receiver', { received: 50, elapsedMs: 500 }), kind: 'udp' } as unknown as FlowReport];
    states.mn2!.flows = [{ ...flowStats('sender', { flowId: 'f2', elapsedMs: 100 }), kind: 'tcp' } as unknown as FlowReport];
    let m = apply(fresh(), { type: 'events', events: [ev(1, 'mn1', 'flow.stats', flowStats('receiver', { received: 90, elapsedMs: 900 }))] });
    m = apply(m, { type: 'poll', states: new LabStates(states), radios: {}, t: 2 });
    expect(flowsView(m).map((f) => [f.id, f.kind, f.received])).toEqual([
      ['f1', 'udp', 90],
      ['f2', 'tcp', undefined],
    ]);
    expect(nextFlowId(m)).toBe('f3');
  });

  it('lists running flows first', () => {
    const m = apply(fresh(), {
      type: 'events',
      events: [
        ev(1, 'mn2', 'flow.stopped', flowStats('sender', { flowId: 'f1', state: 'stopped' })),
        ev(2, 'mn2', 'flow.started', flowStats('sender', { flowId: 'f10' })),
      ],
    });
    expect(flowsView(m).map((f) => `${f.id} ${f.state}`)).toEqual(['f10 running', 'f1 stopped']);
  });
});

describe('layout, keys, pickers', () => {
  it('needs 100x30 and draws one row less than the terminal', () => {
    expect(layoutFor({ columns: 99, rows: 40 })).toBeUndefined();
    expect(layoutFor({ columns: 120, rows: 29 })).toBeUndefined();
    const l = layoutFor({ columns: 100, rows: 30 })!;
    expect(1 + l.topHeight + l.bottomHeight + 2).toBe(29);
    expect(l.topologyWidth + l.bindingsWidth).toBe(100);
    expect(l.eventsHeight).toBeGreaterThanOrEqual(7);
  });

  it('maps keys to actions', () => {
    expect(actionFor('h', {})).toBe('handover');
    expect(actionFor('', { tab: true })).toBe('nextMn');
    expect(actionFor('', { tab: true, shift: true })).toBe('previousMn');
    expect(actionFor('c', { ctrl: true })).toBe('quit');
    expect(actionFor('z', {})).toBeUndefined();
  });

  it('filters picker items, exact and prefix matches first', () => {
    const items = ['mr12', 'mr2', 'mr21'].map((x) => ({ value: x, label: x }));
    expect(filterItems(items, 'mr2').map((i) => i.value)).toEqual(['mr2', 'mr21']);
    expect(filterItems(items, '').map((i) => i.value)).toEqual(['mr12', 'mr2', 'mr21']);
    expect(filterItems(items, 'x')).toEqual([]);
  });
});
