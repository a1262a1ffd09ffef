import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analysis, FlowAnalysis } from '../../../cli/analyze/types.js';
import { analyzeRun } from '../../../cli/analyze/analyze-run.js';
import { parseTopology } from '../../../cli/plan/load.js';
import { encodeFlowHeader, flowHash } from '../../../shared/flow-format.js';
import { icmpEcho, ip6, SyntheticCaptures, tcp } from './synthetic-captures.js';

// A TCP stream of ten 100-byte records from mn2 to cn, cut into segments that do not
// follow record boundaries (record 8's header straddles two segments); the middle
// segment is lost after mr31 and retransmitted. And five echo requests, one lost at core.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const WALL = 1_650_000_000_123.5;
const HOA2 = '2001:db8:3:8000::2002';
const CN = '2001:db8:ff::2';
const ISN = 0xfffffe00; // the stream wraps the 32-bit sequence space
const PATH = ['mn2', 'mr31', 'core', 'cn'];

let dir: string;
let analysis: Analysis;
const flow = (id: string) => analysis.flows.find((f) => f.id === id) as FlowAnalysis;

beforeAll(async () => {
  const plan = parseTopology('fig1.yaml', readFileSync(path.join(root, 'topologies/fig1.yaml'), 'utf8')).plan;
  dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-analyze-tcp-'));
  const cap = new SyntheticCaptures(plan, WALL);
  const stream = new Uint8Array(1000);
  for (let k = 1; k <= 10; k++) stream.set(encodeFlowHeader({ flowId: flowHash('t1'), seq: k, sendNs: 20_000_000_000n, length: 100 }), (k - 1) * 100);
  const seg = (from: number, to: number, flags = 0x18) => ip6(HOA2, CN, 6, tcp(40000, 6000, ISN + 1 + from, flags, stream.subarray(from, to)));
  cap.walk(PATH, 19_999, () => ip6(HOA2, CN, 6, tcp(40000, 6000, ISN, 0x02, new Uint8Array(0))));
  cap.walk(PATH, 20_001, () => seg(0, 250));
  cap.walk(['mn2', 'mr31'], 20_002, () => seg(250, 710));
  cap.walk(PATH, 20_003, () => seg(710, 1000));
  cap.walk([...PATH].reverse(), 20_004, () => ip6(CN, HOA2, 6, tcp(6000, 40000, 1, 0x10, new Uint8Array(0))));
  cap.walk(PATH, 20_050, () => seg(250, 710));
  for (let seq = 1; seq <= 5; seq++) {
    const t = 30_000 + 100 * seq;
    cap.walk(seq === 3 ? PATH.slice(0, 3) : PATH, t, () => ip6(HOA2, CN, 58, icmpEcho(128, 77, seq)));
    if (seq !== 3) cap.walk([...PATH].reverse(), t + 1, () => ip6(CN, HOA2, 58, icmpEcho(129, 77, seq)));
  }
  analysis = await analyzeRun({
    plan,
    captures: cap.write(dir),
    flows: [
      { id: 't1', kind: 'tcp', from: 'mn2', to: 'cn', source: HOA2, destination: CN, port: 6000, startedAt: 19_999, stoppedAt: 20_100 },
      { id: 'p1', kind: 'icmp', from: 'mn2', to: 'cn', source: HOA2, destination: CN, startedAt: 30_000, stoppedAt: 30_600 },
    ],
    handovers: [],
    monoToWallMs: WALL,
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TCP records and ICMP echo', () => {
  it('counts TCP records by sequence-number ranges, retransmission included', () => {
    const f = flow('t1');
    expect({ sent: f.sent, received: f.received, lost: f.lost, duplicates: f.duplicates, reordered: f.reordered }).toEqual({
      sent: 10,
      received: 10,
      lost: 0,
      duplicates: 0,
      reordered: 5,
    });
    expect(f.receiverSeries).toEqual([
      ...[1, 2, 3].map((s) => [20_001.21, s]),
      ...[9, 10].map((s) => [20_003.21, s]),
      ...[4, 5, 6, 7, 8].map((s) => [20_050.21, s]),
    ]);
    // record 8's header was never captured whole: no send time, no latency sample (9 samples)
    expect(f.latencyMs).toEqual({ p50: 3.21, p95: 50.21, offsetRemovedMs: 0 });
    expect(f.paths.map((p) => [p.nodes, p.packets])).toEqual([[PATH, 10]]);
    expect(f.shortestPath).toEqual(PATH);
    expect(f.pathStretch).toBe(1);
    expect(f.sources).toEqual([{ address: HOA2, packets: 10, firstT: 20_001.21, lastT: 20_050.21 }]);
  });

  it('counts echo requests from source to destination, latency from the sender capture', () => {
    const f = flow('p1');
    expect({ sent: f.sent, received: f.received, lost: f.lost, lossPercent: f.lossPercent, inFlightAtStop: f.inFlightAtStop }).toEqual({
      sent: 5,
      received: 4,
      lost: 1,
      lossPercent: 20,
      inFlightAtStop: 0,
    });
    expect(f.latencyMs).toEqual({ p50: 0.21, p95: 0.21, offsetRemovedMs: 0 });
    expect(f.paths.map((p) => [p.nodes, p.packets])).toEqual([
      [PATH, 4],
      [PATH.slice(0, 3), 1],
    ]);
    expect(f.receiverSeries.map(([, s]) => s)).toEqual([1, 2, 4, 5]);
    expect(analysis.warnings).toEqual([]);
  });
});
