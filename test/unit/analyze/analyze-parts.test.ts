import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Ipv6Layer } from '../../../cli/capture/packet-decode.js';
import { AddressBook } from '../../../cli/analyze/address-book.js';
import type { FlowUnit, Sighting } from '../../../cli/analyze/capture-data.js';
import { CapturePoints, DIR_IN, DIR_OUT, DIR_UNKNOWN, type Direction } from '../../../cli/analyze/capture-points.js';
import { flowHandovers } from '../../../cli/analyze/flow-handovers.js';
import type { Arrival, FlowView, UnitFacts } from '../../../cli/analyze/flow-view.js';
import { HeaderTable } from '../../../cli/analyze/header-table.js';
import { percentile } from '../../../cli/analyze/numbers.js';
import { oneWayLatencies } from '../../../cli/analyze/flow-counts.js';
import { packetPath } from '../../../cli/analyze/packet-path.js';
import { shortestPath } from '../../../cli/analyze/shortest-path.js';
import { parseTopology } from '../../../cli/plan/load.js';
import { linkLocalFromMac } from '../../../shared/ipv6.js';
import type { FlowRecord, HandoverRecord } from '../../../cli/scenario/run-log.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const plan = parseTopology('fig1.yaml', readFileSync(path.join(root, 'topologies/fig1.yaml'), 'utf8')).plan;
const layer = (src: string, dst: string) => ({ src, dst }) as Ipv6Layer;

describe('packetPath', () => {
  const points = new CapturePoints(plan);
  const headers = new HeaderTable();
  const inner = headers.intern([layer('2001:db8:3:8000::1', '2001:db8:1:8000::1')]);
  const outer = headers.intern([layer('2001:db8:3::1', '2001:db8:1:1::1'), layer('2001:db8:3:8000::1', '2001:db8:1:8000::1')]);
  const see = (name: string, t: number, dir: Direction, h = inner): Sighting => {
    const [node, iface] = name.split(':') as [string, string];
    return { point: points.get(node, iface).index, t, dir, hopLimit: 64, headers: h };
  };

  it('chains crossings captured in the same microsecond by following the links', () => {
    const unit: FlowUnit = {
      seq: 1,
      sightings: [
        see('core:mr11', 5, DIR_OUT, outer),
        see('mr11:core', 5, DIR_IN, outer),
        see('mr31:core', 5, DIR_OUT, outer),
        see('mr11:mn1', 5.001, DIR_OUT),
        see('core:mr31', 5, DIR_IN, outer),
        see('mr31:mn2', 5, DIR_IN),
        see('mn2:mr31', 5.004, DIR_OUT), // its clock read a little later than the next hop's
      ],
    };
    expect(packetPath(unit, points.list, headers, 'mn2')).toEqual({
      nodes: ['mn2', 'mr31', 'core', 'mr11', 'mn1'],
      tunnels: [
        { link: 'mr31–core', outerSrc: '2001:db8:3::1', outerDst: '2001:db8:1:1::1' },
        { link: 'core–mr11', outerSrc: '2001:db8:3::1', outerDst: '2001:db8:1:1::1' },
      ],
      key: 'mn2,mr31,core,mr11,mn1|mr31–core:2001:db8:3::1>2001:db8:1:1::1,core–mr11:2001:db8:3::1>2001:db8:1:1::1',
    });
  });

  it('orients crossings of unknown direction from where the path stands, and keeps gaps', () => {
    const unit: FlowUnit = { seq: 1, sightings: [see('mn2:mr31', 1, DIR_OUT), see('core:mr31', 2, DIR_UNKNOWN), see('mn1:mr11', 4, DIR_IN)] };
    expect(packetPath(unit, points.list, headers, 'mn2')?.nodes).toEqual(['mn2', 'mr31', 'core', 'mr11', 'mn1']);
    expect(packetPath({ seq: 1, sightings: [see('lo:x', 1, DIR_OUT)] }, points.list, headers)).toBeUndefined();
  });

  it('tells two passes over the same link apart by hop limit', () => {
    const a = see('core:mr11', 1, DIR_OUT);
    const b = { ...see('core:mr11', 3, DIR_OUT), hopLimit: 62 };
    const back = see('core:mr11', 2, DIR_IN);
    expect(packetPath({ seq: 1, sightings: [a, b, back] }, points.list, headers)?.nodes).toEqual(['core', 'mr11', 'core', 'mr11']);
  });
});

describe('AddressBook', () => {
  const flows: FlowRecord[] = [
    { id: 'f', kind: 'udp', from: 'mn2', to: 'mn1', source: '2001:db8:3:8000::2', destination: '2001:0db8:1:8000:0::1', startedAt: 0 },
  ];
  const book = new AddressBook(
    plan,
    flows,
    new Map([
      ['2001:db8:3:8000::99', 'mn2'],
      ['2001:db8:1::1', 'mn1'],
    ]),
    [{ prefix: '2001:db8:1:8100::/64', mn: 'mn1' }],
  );
  const mn1Radio = plan.nodes.find((n) => n.name === 'mn1')?.interfaces[0]?.mac as string;

  it('knows plan addresses first, then flows, then addresses seen on access links, then held prefixes', () => {
    expect(
      [
        '2001:db8:1::1',
        '2001:db8:1:1::1',
        '2001:db8:1:1000::2',
        '2001:db8:3::4',
        linkLocalFromMac(mn1Radio),
        '2001:db8:1:8000::1',
        '2001:db8:3:8000::2',
        '2001:db8:3:8000::99',
        '2001:db8:1:8100::7',
        '2001:db8:1:8200::7',
      ].map((a) => book.nodeOf(a)),
    ).toEqual(['mr11', 'mr11', 'core', 'haa3', 'mn1', 'mn1', 'mn2', 'mn2', 'mn1', undefined]);
    expect(book.nodeOf('not an address')).toBeUndefined();
  });
});

/** A FlowView with only what flowHandovers reads. */
function view(flow: FlowRecord, deliveries: { seq: number; t: number; arrivedVia: string; sentVia?: string }[]): FlowView {
  const units: UnitFacts[] = deliveries.map((d) => {
    const a: Arrival = { t: d.t, seq: d.seq, via: d.arrivedVia, source: flow.source };
    return { seq: d.seq, firstT: d.t, arrivals: [a], ...(d.sentVia ? { sentT: d.t, via: d.sentVia } : {}) };
  });
  return {
    flow,
    sender: {} as FlowView['sender'],
    receiver: {} as FlowView['receiver'],
    units,
    arrivals: units.map((u) => u.arrivals[0] as Arrival),
    received: units,
  };
}

describe('flowHandovers', () => {
  const flow: FlowRecord = { id: 'f', kind: 'udp', from: 'mn2', to: 'mn1', source: 'a', destination: 'b', startedAt: 0 };

  it('measures a receiving node over two handovers, ignoring new-link packets before the handover', () => {
    const d = [
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => ({ seq: s, t: 10 * s, arrivedVia: 'mr11' })),
      { seq: 10, t: 95, arrivedVia: 'mr2' }, // make-before-break: on the new link before the handover
      { seq: 11, t: 105, arrivedVia: 'mr11' }, // still on the old link after it
      { seq: 14, t: 130, arrivedVia: 'mr2' },
      ...[15, 16, 17, 18, 19].map((s) => ({ seq: s, t: 140 + 10 * (s - 15), arrivedVia: 'mr2' })),
      { seq: 20, t: 210, arrivedVia: 'mr11' },
    ];
    const handovers: HandoverRecord[] = [
      { index: 0, mn: 'mn1', from: ['mr11'], to: 'mr2', at: 100 },
      { index: 1, mn: 'mn1', from: ['mr2'], to: 'mr11', at: 200 },
      { index: 2, mn: 'mn3', from: ['x'], to: 'y', at: 150 },
    ];
    const r = flowHandovers(view(flow, d), handovers);
    expect(r.handovers).toEqual([
      { handover: 0, mn: 'mn1', from: ['mr11'], to: 'mr2', lastOldT: 105, firstNewT: 130, interruptionMs: 25, attachToFirstPacketMs: 30, lostDuring: 2 },
      { handover: 1, mn: 'mn1', from: ['mr2'], to: 'mr11', lastOldT: 180, firstNewT: 210, interruptionMs: 30, attachToFirstPacketMs: 10, lostDuring: 0 },
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('measures a sending node at the receiver, by the access router its packets left through', () => {
    const d = [
      ...[1, 2, 3, 4, 5].map((s) => ({ seq: s, t: 10 * s, arrivedVia: 'core', sentVia: 'mr31' })),
      { seq: 6, t: 102, arrivedVia: 'core', sentVia: 'mr31' },
      { seq: 8, t: 120, arrivedVia: 'core', sentVia: 'mr32' },
    ];
    const r = flowHandovers(view(flow, d), [{ index: 0, mn: 'mn2', from: ['mr31'], to: 'mr32', at: 100 }]);
    expect(r.handovers).toEqual([
      { handover: 0, mn: 'mn2', from: ['mr31'], to: 'mr32', lastOldT: 102, firstNewT: 120, interruptionMs: 18, attachToFirstPacketMs: 20, lostDuring: 1 },
    ]);
  });

  it('gives an initial attach only its first packet, and warns about handovers without traffic', () => {
    const d = [{ seq: 1, t: 12.5, arrivedVia: 'mr11' }];
    const r = flowHandovers(view(flow, d), [
      { index: 0, mn: 'mn1', from: [], to: 'mr11', at: 2 },
      { index: 1, mn: 'mn1', from: ['mr11'], to: 'mr12', at: 50 },
      { index: 2, mn: 'mn1', from: ['mr12'], to: 'mr2', at: 60 },
    ]);
    expect(r.handovers).toEqual([
      { handover: 0, mn: 'mn1', from: [], to: 'mr11', firstNewT: 12.5, attachToFirstPacketMs: 10.5, lostDuring: 0 },
      { handover: 1, mn: 'mn1', from: ['mr11'], to: 'mr12', lastOldT: 12.5, lostDuring: 0 },
      { handover: 2, mn: 'mn1', from: ['mr12'], to: 'mr2', lostDuring: 0 },
    ]);
    expect(r.warnings).toEqual([
      'flow f: no packet went through mr12 after handover 1 of mn1 to mr12 at 50.0 ms',
      'flow f: no traffic around handover 2 of mn1 to mr2 at 60.0 ms',
    ]);
  });
});

describe('shortestPath', () => {
  it('runs over infrastructure links and only the access links given', () => {
    expect(shortestPath(plan, 'mn1', 'cn', new Map([['mn1', 'mr12']]))).toEqual(['mn1', 'mr12', 'core', 'cn']);
    expect(
      shortestPath(
        plan,
        'mn1',
        'mn2',
        new Map([
          ['mn1', 'mr2'],
          ['mn2', 'mr32'],
        ]),
      ),
    ).toEqual(['mn1', 'mr2', 'core', 'mr32', 'mn2']);
    expect(shortestPath(plan, 'mn1', 'cn', new Map())).toEqual([]);
    expect(shortestPath(plan, 'lm1', 'haa3', new Map())).toEqual(['lm1', 'mr12', 'core', 'mr32', 'haa3']);
  });
});

describe('percentile', () => {
  it('is nearest-rank', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect([percentile(v, 0), percentile(v, 50), percentile(v, 95), percentile(v, 100), percentile([], 50)]).toEqual([1, 5, 10, 10, undefined]);
  });
});

describe('one-way latency', () => {
  const unit = (seq: number, f: { sendMs: number; firstT: number; arrival: number }): UnitFacts => ({
    seq,
    firstT: f.firstT,
    sendMs: f.sendMs,
    arrivals: [{ t: f.arrival, seq, via: 'mr1', source: '2001:db8::1' }],
  });

  it("is arrival − send stamp when the clocks agree (a link delay before the sender's capture counts)", () => {
    // 20 ms of netem on the sender's link: first seen 20.02 ms after the stamp, arrived 20.05 ms after.
    const u = [unit(1, { sendMs: 10, firstT: 30.02, arrival: 30.05 }), unit(2, { sendMs: 20, firstT: 40.02, arrival: 40.08 })];
    const l = oneWayLatencies(u, u);
    expect(l.offsetRemovedMs).toBe(0);
    expect(l.values.map((x) => Math.round(x * 1000) / 1000)).toEqual([20.05, 20.08]);
  });

  it('removes the offset error that would put a sighting before its send, and is never negative', () => {
    // Seen 0.03 and 0.06 ms after sending, but the stamps run 0.1 ms ahead: raw −0.07 and −0.04.
    const u = [unit(1, { sendMs: 10.1, firstT: 10.03, arrival: 10.03 }), unit(2, { sendMs: 20.1, firstT: 20.06, arrival: 20.06 })];
    const l = oneWayLatencies(u, u);
    expect(Math.round(l.offsetRemovedMs * 1000) / 1000).toBe(0.07);
    expect(Math.min(...l.values)).toBeGreaterThanOrEqual(0);
    expect(l.values.map((x) => Math.round(x * 1000) / 1000)).toEqual([0, 0.03]);
  });
});
