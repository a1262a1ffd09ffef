import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analysis, AnalysisInput, FlowAnalysis } from '../../../cli/analyze/types.js';
import { analyzeRun } from '../../../cli/analyze/analyze-run.js';
import type { Plan } from '../../../cli/plan/types.js';
import { parseTopology } from '../../../cli/plan/load.js';
import { recordingProgress } from '../../../cli/util/progress.js';
import { encodeFlowHeader, flowHash } from '../../../shared/flow-format.js';
import {
  BA_FLAG_BITS,
  BU_FLAG_BITS,
  encodeMessage,
  EXP_SUBTYPE,
  HACK_FLAG_BITS,
  HI_FLAG_BITS,
  LRA_FLAG_BITS,
  makeFlags,
  type MhMessage,
  type MobilityOption,
} from '../../../shared/protocol/index.js';
import { hnp } from '../../../shared/protocol/dmm-options.js';
import { encap, ip6, SyntheticCaptures, udp } from './synthetic-captures.js';
import type { FlowRecord, HandoverRecord } from '../../../cli/scenario/run-log.js';

// fig1: mn2 (at mr31) sends two UDP flows to mn1 (at mr11); mn1 moves to mr2.
//   f1: 100 packets, 10 ms apart from 10 010 ms; mr31 encapsulates towards the serving MR
//       (seg6 encap.red: outer src mr31's address, outer dst the MR's tunnel endpoint).
//       1-50 via mr11; handover at 10 503; 51-55 die at mr11; 56-60 forwarded by mr11 to
//       mr2 (triangle); 61-100 straight to mr2. Seq 80 is delivered twice, 90 and 91 late.
//   f2: 20 packets, plain routing through mr32 (a detour), source address changes at 11;
//       19 and 20 are sent just before the flow stops and never arrive.
// mn1's radio towards mr2 is down at the start, so only mr2's side of that link is captured.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const WALL = 1_700_000_000_000;
const HOA1 = '2001:db8:1:8000::1001';
const HOA2 = '2001:db8:3:8000::2002';
const OTHER2 = '2001:db8:3:8100::2';
const MR31 = '2001:db8:3::1';
const MR11 = '2001:db8:1::1';
const MR2 = '2001:db8:2::1';
const MR32 = '2001:db8:3::2';
const LM1 = '2001:db8:1::3';
const LM2 = '2001:db8:2::2';
const TE11 = '2001:db8:1:1::1';
const TE2 = '2001:db8:2:1::1';
const HO_AT = 10_503;
const HO2_AT = 11_200;

let dir: string;
let plan: Plan;
let analysis: Analysis;
let progressLines: string[];
const messageBytes: Record<string, number> = {};

const f1Send = (seq: number) => 10_000 + 10 * seq;
const f2Send = (seq: number) => 10_005 + 10 * seq;
const payload = (flow: string, seq: number, sendMs: number) =>
  encodeFlowHeader({ flowId: flowHash(flow), seq, sendNs: BigInt(sendMs) * 1_000_000n, length: 100 });

function buildRun(cap: SyntheticCaptures): void {
  for (let seq = 1; seq <= 100; seq++) {
    const s = f1Send(seq);
    const inner = ip6(HOA2, HOA1, 17, udp(40000, 5001, payload('f1', seq, s)), 63);
    const via = (te: string, src = MR31) => encap(src, te, inner);
    if (seq <= 50) cap.walk(['mn2', 'mr31', 'core', 'mr11', 'mn1'], s + 0.1, (h) => (h === 0 || h === 3 ? inner : via(TE11)));
    else if (seq <= 55) cap.walk(['mn2', 'mr31', 'core', 'mr11'], s + 0.1, (h) => (h === 0 ? inner : via(TE11)));
    else if (seq <= 60)
      cap.walk(['mn2', 'mr31', 'core', 'mr11', 'core', 'mr2', 'mn1'], s + 0.1, (h) => (h === 0 || h === 5 ? inner : h < 3 ? via(TE11) : via(TE2, MR11)));
    else if (seq === 90 || seq === 91) {
      cap.walk(['mn2', 'mr31', 'core', 'mr2'], s + 0.1, (h) => (h === 0 ? inner : via(TE2)));
      cap.cross('mr2', 'mn1', s + 25.4, inner);
    } else cap.walk(['mn2', 'mr31', 'core', 'mr2', 'mn1'], s + 0.1, (h) => (h === 0 || h === 3 ? inner : via(TE2)));
    if (seq === 80) cap.frame('mr2', 'mn1', s + 0.9, 'out', inner);
  }
  for (let seq = 1; seq <= 20; seq++) {
    const s = f2Send(seq);
    const inner = ip6(seq <= 10 ? HOA2 : OTHER2, HOA1, 17, udp(40001, 5002, payload('f2', seq, s)), 63);
    cap.walk(seq <= 18 ? ['mn2', 'mr31', 'mr32', 'core', 'mr11', 'mn1'] : ['mn2', 'mr31'], s + 0.1, () => inner);
  }
  signalling(cap);
  noise(cap);
}

const ts = (n: number): MobilityOption => ({ kind: 'timestamp', value: BigInt(n) << 16n });
const mnId1: MobilityOption = { kind: 'mnId', id: 'mn1@net1.fig1' };

function send(cap: SyntheticCaptures, label: string, nodes: string[], t: number, src: string, dst: string, msg: MhMessage): void {
  const mh = encodeMessage(msg, { src, dst });
  messageBytes[label] = mh.length;
  cap.walk(nodes, t, () => ip6(src, dst, 17, udp(5436, 5436, mh)));
}

function signalling(cap: SyntheticCaptures): void {
  const hi: MhMessage = { type: 'HI', sequence: 0, flags: makeFlags(HI_FLAG_BITS, { P: true, F: true }), code: 0, options: [mnId1, ts(3)] };
  send(cap, 'LMQ', ['mr31', 'core', 'mr12', 'lm1'], 9_990, MR31, LM1, {
    type: 'EXP',
    subtype: EXP_SUBTYPE.LM_LOCATION_QUERY,
    status: 0,
    sequence: 7,
    lifetime: 0,
    options: [hnp('2001:db8:1:8000::/64'), ts(1)],
  });
  send(cap, 'LMR', ['lm1', 'mr12', 'core', 'mr31'], 9_992, LM1, MR31, {
    type: 'EXP',
    subtype: EXP_SUBTYPE.LM_LOCATION_REPLY,
    status: 0,
    sequence: 7,
    lifetime: 40,
    options: [mnId1, ts(1)],
  });
  send(cap, 'PBU', ['mr2', 'core', 'mr12', 'lm1'], 10_504, MR2, LM1, {
    type: 'PBU',
    sequence: 100,
    flags: makeFlags(BU_FLAG_BITS, { A: true, P: true }),
    lifetime: 600,
    options: [mnId1, { kind: 'hnp', prefix: '2001:db8:1:8000::/64' }, ts(2)],
  });
  // a client-mode BU from an address of mn1's prefix that no flow names (learnt on the access link)
  send(cap, 'BU', ['mn1', 'mr2'], 10_505, '2001:db8:1:8000::beef', MR2, {
    type: 'PBU',
    sequence: 1,
    flags: makeFlags(BU_FLAG_BITS, { A: true }),
    lifetime: 600,
    options: [ts(2)],
  });
  send(cap, 'PBA', ['lm1', 'mr12', 'core', 'mr2'], 10_506, LM1, MR2, {
    type: 'PBA',
    status: 0,
    sequence: 100,
    flags: makeFlags(BA_FLAG_BITS, { P: true }),
    lifetime: 600,
    options: [ts(2)],
  });
  send(cap, 'HI', ['mr2', 'core', 'mr11'], 10_507, MR2, MR11, hi);
  send(cap, 'HAck', ['mr11', 'core', 'mr2'], 10_508, MR11, MR2, {
    type: 'HAck',
    sequence: 0,
    flags: makeFlags(HACK_FLAG_BITS, { P: true, F: true }),
    code: 0,
    options: [ts(3)],
  });
  send(cap, 'LRI', ['mr11', 'core', 'mr31'], 10_600, MR11, MR31, { type: 'LRI', sequence: 3, lifetime: 600, options: [ts(4)] });
  send(cap, 'LRA', ['mr31', 'core', 'mr11'], 10_601, MR31, MR11, {
    type: 'LRA',
    sequence: 3,
    flags: makeFlags(LRA_FLAG_BITS),
    status: 0,
    lifetime: 600,
    options: [ts(4)],
  });
  // the same HI bytes 2 s later: a retransmission, counted again, in the handover of the node it names
  // (mn1's, handover 0), though it crosses in handover 1's window (mn2's); the query names no node: handover 1's
  send(cap, 'HI', ['mr2', 'core', 'mr11'], 12_507, MR2, MR11, hi);
  send(cap, 'LMQ', ['mr32', 'core', 'mr12', 'lm1'], 11_201, MR32, LM1, {
    type: 'EXP',
    subtype: EXP_SUBTYPE.LM_LOCATION_QUERY,
    status: 0,
    sequence: 9,
    lifetime: 0,
    options: [hnp('2001:db8:1:8000::/64'), ts(5)],
  });
  // not an MH (payload proto 0, one octet): undecodable, counted once although seen twice
  cap.walk(['lm2', 'mr2'], 10_700, () => ip6(LM2, MR2, 17, udp(5436, 5436, Uint8Array.of(0, 0, 5, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8))));
}

/** Traffic the verifier must ignore: router advertisements, neighbour solicitations, ARP, garbage, a cut-off last record. */
function noise(cap: SyntheticCaptures): void {
  const ra = new Uint8Array(16);
  ra[0] = 134;
  for (let t = 9_000; t < 12_000; t += 200) cap.frame('mr11', 'mn1', t, 'out', ip6('fe80::1', 'ff02::1', 58, ra, 255));
  const ns = new Uint8Array(24);
  ns[0] = 135;
  cap.frame('core', 'mr31', 9_500, 'out', ip6('fe80::2', 'ff02::1:ff00:1', 58, ns, 255));
  cap.raw('core', 'mr31', 9_501, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 8, 0]));
  cap.raw('core', 'mr31', 9_502, Uint8Array.from([1, 2, 3]));
  cap.raw('core', 'mr31', 9_503, Uint8Array.from([...new Uint8Array(12), 0x86, 0xdd, 0x60, 0, 0, 0, 0xff, 0xff, 17, 64]));
  cap.cutTail('mr31:mn2', Uint8Array.from([6, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 1, 2]));
}

function flow(id: string): FlowAnalysis {
  const f = analysis.flows.find((x) => x.id === id);
  if (!f) throw new Error(`no flow ${id}`);
  return f;
}

beforeAll(async () => {
  plan = parseTopology('fig1.yaml', readFileSync(path.join(root, 'topologies/fig1.yaml'), 'utf8')).plan;
  dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-analyze-'));
  const cap = new SyntheticCaptures(plan, WALL, new Set(['mn1:mr2', 'mn1:mr12', 'mn2:mr32']));
  buildRun(cap);
  const captures = cap.write(dir);
  captures.push({ node: 'cn', iface: 'nowhere', path: path.join(dir, 'missing.pcapng') });
  const flows: FlowRecord[] = [
    { id: 'f1', kind: 'udp', from: 'mn2', to: 'mn1', source: HOA2, destination: HOA1, port: 5001, startedAt: 10_000, stoppedAt: 11_000.5 },
    { id: 'f2', kind: 'udp', from: 'mn2', to: 'mn1', source: HOA2, destination: HOA1, port: 5002, startedAt: 10_000, stoppedAt: 10_206 },
  ];
  const handovers: HandoverRecord[] = [
    { index: 0, mn: 'mn1', from: ['mr11'], to: 'mr2', at: HO_AT },
    { index: 1, mn: 'mn2', from: ['mr31'], to: 'mr32', at: HO2_AT },
  ];
  const input: AnalysisInput = { plan, captures, flows, handovers, monoToWallMs: WALL };
  const progress = recordingProgress();
  analysis = await analyzeRun(input, progress);
  progressLines = progress.lines;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('analyzeRun on a synthetic fig1 handover', () => {
  it('counts sent, received, lost, duplicates and reordering of f1', () => {
    const f = flow('f1');
    expect({
      sent: f.sent,
      received: f.received,
      lost: f.lost,
      lossPercent: f.lossPercent,
      inFlightAtStop: f.inFlightAtStop,
      duplicates: f.duplicates,
      reordered: f.reordered,
    }).toEqual({
      sent: 100,
      received: 95,
      lost: 5,
      lossPercent: 5,
      inFlightAtStop: 0,
      duplicates: 1,
      reordered: 2,
    });
    // 38 × 0.4 (direct), 50 × 0.41 (via mr11, captured on mn1), 5 × 0.6 (triangle), 2 × 25.4 (late)
    expect(f.latencyMs).toEqual({ p50: 0.41, p95: 0.6, offsetRemovedMs: 0 });
    expect(f.sources).toEqual([{ address: HOA2, packets: 95, firstT: 10_010.41, lastT: 11_000.4 }]);
    expect(f.keepsSource).toBe(true);
  });

  it('gives the receiver series with duplicates and late packets where they arrived', () => {
    const f = flow('f1');
    expect(f.receiverSeries).toHaveLength(96);
    expect(f.receiverSeries.slice(0, 2)).toEqual([
      [10_010.41, 1],
      [10_020.41, 2],
    ]);
    expect(f.receiverSeries.filter(([, s]) => s === 80)).toEqual([
      [10_800.4, 80],
      [10_800.9, 80],
    ]);
    const order = f.receiverSeries.filter(([t]) => t > 10_910 && t < 10_941).map(([, s]) => s);
    expect(order).toEqual([92, 90, 93, 91, 94]);
    expect(f.receiverSeries.some(([, s]) => s >= 51 && s <= 55)).toBe(false);
  });

  it('finds every path of f1 with its tunnels and the settled path', () => {
    const f = flow('f1');
    const toMr11 = { outerSrc: MR31, outerDst: TE11 };
    const toMr2 = { outerSrc: MR31, outerDst: TE2 };
    expect(f.paths).toEqual([
      {
        nodes: ['mn2', 'mr31', 'core', 'mr11', 'mn1'],
        mobilityNodes: ['mn2', 'mr31', 'mr11', 'mn1'],
        packets: 50,
        firstT: 10_010.1,
        lastT: 10_500.1,
        tunnels: [
          { link: 'mr31–core', ...toMr11 },
          { link: 'core–mr11', ...toMr11 },
        ],
      },
      {
        nodes: ['mn2', 'mr31', 'core', 'mr11'],
        mobilityNodes: ['mn2', 'mr31', 'mr11'],
        packets: 5,
        firstT: 10_510.1,
        lastT: 10_550.1,
        tunnels: [
          { link: 'mr31–core', ...toMr11 },
          { link: 'core–mr11', ...toMr11 },
        ],
      },
      {
        nodes: ['mn2', 'mr31', 'core', 'mr11', 'core', 'mr2', 'mn1'],
        mobilityNodes: ['mn2', 'mr31', 'mr11', 'mr2', 'mn1'],
        packets: 5,
        firstT: 10_560.1,
        lastT: 10_600.1,
        tunnels: [
          { link: 'mr31–core', ...toMr11 },
          { link: 'core–mr11', ...toMr11 },
          { link: 'mr11–core', outerSrc: MR11, outerDst: TE2 },
          { link: 'core–mr2', outerSrc: MR11, outerDst: TE2 },
        ],
      },
      {
        nodes: ['mn2', 'mr31', 'core', 'mr2', 'mn1'],
        mobilityNodes: ['mn2', 'mr31', 'mr2', 'mn1'],
        packets: 40,
        firstT: 10_610.1,
        lastT: 11_000.1,
        tunnels: [
          { link: 'mr31–core', ...toMr2 },
          { link: 'core–mr2', ...toMr2 },
        ],
      },
    ]);
    expect(f.settledPath).toBe(f.paths[3]);
    expect(f.settledPath?.nodes).toEqual(['mn2', 'mr31', 'core', 'mr2', 'mn1']);
    expect(f.settledPath?.mobilityNodes).toEqual(['mn2', 'mr31', 'mr2', 'mn1']);
    expect(f.shortestPath).toEqual(['mn2', 'mr31', 'core', 'mr2', 'mn1']);
    expect(f.pathStretch).toBe(1);
  });

  it('measures the interruption of f1 around the handover to the microsecond', () => {
    const [h0, h1] = flow('f1').handovers;
    expect(h0).toEqual({
      handover: 0,
      mn: 'mn1',
      from: ['mr11'],
      to: 'mr2',
      lastOldT: 10_500.41,
      firstNewT: 10_560.6,
      interruptionMs: 60.19,
      attachToFirstPacketMs: 57.6,
      lostDuring: 5,
    });
    // mn2 moves after the flow ended: the last packet through mr31 is known, nothing came through mr32
    expect(h1).toEqual({ handover: 1, mn: 'mn2', from: ['mr31'], to: 'mr32', lastOldT: 11_000.4, lostDuring: 0 });
    expect(flow('f1').handovers).toHaveLength(2);
  });

  it('sees f2 change its source, take a detour and stop with packets in flight', () => {
    const f = flow('f2');
    expect({
      sent: f.sent,
      received: f.received,
      lost: f.lost,
      lossPercent: f.lossPercent,
      inFlightAtStop: f.inFlightAtStop,
      duplicates: f.duplicates,
      reordered: f.reordered,
    }).toEqual({
      sent: 20,
      received: 18,
      lost: 0,
      lossPercent: 0,
      inFlightAtStop: 2,
      duplicates: 0,
      reordered: 0,
    });
    expect(f.sources).toEqual([
      { address: HOA2, packets: 10, firstT: 10_015.51, lastT: 10_105.51 },
      { address: OTHER2, packets: 8, firstT: 10_115.51, lastT: 10_185.51 },
    ]);
    expect(f.keepsSource).toBe(false);
    expect(f.latencyMs).toEqual({ p50: 0.51, p95: 0.51, offsetRemovedMs: 0 });
    expect(f.paths.map((p) => [p.nodes, p.packets, p.tunnels])).toEqual([
      [['mn2', 'mr31', 'mr32', 'core', 'mr11', 'mn1'], 18, []],
      [['mn2', 'mr31'], 2, []],
    ]);
    expect(f.settledPath?.mobilityNodes).toEqual(['mn2', 'mr31', 'mr32', 'mr11', 'mn1']);
    expect(f.shortestPath).toEqual(['mn2', 'mr31', 'core', 'mr11', 'mn1']);
    expect(f.pathStretch).toBe(1.25);
    expect(f.handovers).toEqual([
      { handover: 0, mn: 'mn1', from: ['mr11'], to: 'mr2', lastOldT: 10_185.51, lostDuring: 0 },
      { handover: 1, mn: 'mn2', from: ['mr31'], to: 'mr32', lastOldT: 10_185.51, lostDuring: 0 },
    ]);
  });

  it('counts each signalling message once, names it and assigns it to its handover', () => {
    const s = analysis.signalling;
    expect(s.undecodable).toBe(1);
    expect(s.messages.map((m) => [m.t, m.name, m.from, m.to, m.seq, m.handover])).toEqual([
      [9_990, 'LMQ', 'mr31', 'lm1', 7, undefined],
      [9_992, 'LMR', 'lm1', 'mr31', 7, undefined],
      [10_504, 'PBU', 'mr2', 'lm1', 100, 0],
      [10_505.01, 'BU', 'mn1', 'mr2', 1, 0], // mn1's radio is not captured: first seen arriving at mr2
      [10_506, 'PBA', 'lm1', 'mr2', 100, 0],
      [10_507, 'HI', 'mr2', 'mr11', 0, 0],
      [10_508, 'HAck', 'mr11', 'mr2', 0, 0],
      [10_600, 'LRI', 'mr11', 'mr31', 3, 0],
      [10_601, 'LRA', 'mr31', 'mr11', 3, 0],
      [11_201, 'LMQ', 'mr32', 'lm1', 9, 1],
      [12_507, 'HI', 'mr2', 'mr11', 0, 0],
    ]);
    expect(s.messages[3]).toMatchObject({ fromAddress: '2001:db8:1:8000::beef', toAddress: MR2, bytes: messageBytes.BU });
    const b = (name: string) => messageBytes[name] as number;
    expect(s.totals).toEqual({
      LMQ: { count: 2, bytes: 2 * b('LMQ') },
      LMR: { count: 1, bytes: b('LMR') },
      PBU: { count: 1, bytes: b('PBU') },
      BU: { count: 1, bytes: b('BU') },
      PBA: { count: 1, bytes: b('PBA') },
      HI: { count: 2, bytes: 2 * b('HI') },
      HAck: { count: 1, bytes: b('HAck') },
      LRI: { count: 1, bytes: b('LRI') },
      LRA: { count: 1, bytes: b('LRA') },
    });
    expect(s.byHandover).toEqual([
      {
        handover: 0,
        counts: { PBU: 1, BU: 1, PBA: 1, HI: 2, HAck: 1, LRI: 1, LRA: 1 },
        bytes: b('PBU') + b('BU') + b('PBA') + 2 * b('HI') + b('HAck') + b('LRI') + b('LRA'),
        firstSend: { name: 'PBU', to: 'lm1', afterMs: 1 },
      },
      { handover: 1, counts: { LMQ: 1 }, bytes: b('LMQ'), firstSend: { name: 'LMQ', to: 'lm1', afterMs: 1 } },
    ]);
  });

  it('times each message on the wire and each receiver from the captures', () => {
    const m = (name: string, t: number) => analysis.signalling.messages.find((x) => x.name === name && x.t === t)!;
    // Three hops of 0.1 ms, received 10 µs after the last was sent.
    expect(m('PBU', 10_504)).toMatchObject({ sentT: 10_504, receivedT: 10_504.21, transitMs: 0.21, nextSend: { name: 'PBA', to: 'mr2', afterMs: 1.79 } });
    expect(m('PBA', 10_506).nextSend).toEqual({ name: 'HI', to: 'mr11', afterMs: 0.79 });
    expect(m('HI', 10_507)).toMatchObject({ transitMs: 0.11, nextSend: { name: 'HAck', to: 'mr2', afterMs: 0.89 } });
    expect(m('LRI', 10_600).nextSend).toEqual({ name: 'LRA', to: 'mr11', afterMs: 0.89 });
    // Nothing follows the HAck at MR2 within 100 ms; the BU's sender (mn1's radio) was not captured.
    expect(m('HAck', 10_508).nextSend).toBeUndefined();
    expect(m('BU', 10_505.01)).toMatchObject({ receivedT: 10_505.01 });
    expect(m('BU', 10_505.01).sentT).toBeUndefined();
  });

  it('reports the captures, progress per file, and warnings instead of errors', () => {
    const files = plan.nodes.reduce((n, x) => n + x.interfaces.length, 0) - 3;
    expect(analysis.captures.files).toBe(files);
    expect(analysis.captures.interfaces).toContain('mr2:mn1');
    expect(analysis.captures.interfaces).not.toContain('mn1:mr2');
    expect(analysis.captures.packets).toBeGreaterThan(1000);
    expect(progressLines[0]).toBe(`phase reading captures (${files + 1})`);
    expect(progressLines).toContain(`done ${analysis.captures.packets} packets in ${files} files`);
    expect(analysis.warnings).toEqual([
      expect.stringMatching(/^capture cn:nowhere not read: .*missing\.pcapng/),
      'flow f1: no packet went through mr32 after handover 1 of mn2 to mr32 at 11200.0 ms',
      'flow f2: no packet went through mr2 after handover 0 of mn1 to mr2 at 10503.0 ms',
      'flow f2: no packet went through mr32 after handover 1 of mn2 to mr32 at 11200.0 ms',
    ]);
  });
});
