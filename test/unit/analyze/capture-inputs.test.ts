import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCapture } from '../../../cli/capture/pcap-reader.js';
import { buildPcapng } from '../../../cli/capture/pcapng-writer.js';
import { analyzeRun } from '../../../cli/analyze/analyze-run.js';
import { parseTopology } from '../../../cli/plan/load.js';
import { encodeFlowHeader, flowHash } from '../../../shared/flow-format.js';
import { encap, ip6, SyntheticCaptures, udp } from './synthetic-captures.js';
import type { FlowRecord } from '../../../cli/scenario/run-log.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const plan = parseTopology('fig1.yaml', readFileSync(path.join(root, 'topologies/fig1.yaml'), 'utf8')).plan;
const WALL = 1_795_325_661_171.2134;
const HOA1 = '2001:db8:1:8000::1';
const HOA2 = '2001:db8:3:8000::2';
const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-analyze-inputs-'));
const f1: FlowRecord = { id: 'f1', kind: 'udp', from: 'mn2', to: 'mn1', source: HOA2, destination: HOA1, port: 5001, startedAt: 0 };
const packet = (seq: number, sendMs: number) =>
  ip6(HOA2, HOA1, 17, udp(40000, 5001, encodeFlowHeader({ flowId: flowHash('f1'), seq, sendNs: BigInt(sendMs) * 1_000_000n, length: 64 })));
const iface = (node: string, name: string) => plan.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === name);
const ns = (t: number) => BigInt(Math.round(t * 1000)) * 1000n + 1_795_325_661_171_213_400n;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Linux cooked v2 frame (tcpdump -i any): interface index and packet type (0 to us, 4 sent by us). */
function sll2(ifindex: number, packetType: number, ipPacket: Uint8Array): Uint8Array {
  const out = new Uint8Array(20 + ipPacket.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0x86dd);
  v.setUint32(4, ifindex);
  v.setUint16(8, 1);
  out[10] = packetType;
  out[11] = 6;
  out.set(ipPacket, 20);
  return out;
}

describe('capture inputs', () => {
  it('reads a merged pcapng whose interfaces are named node:iface, and tcpdump -i any by interface index', async () => {
    const cap = new SyntheticCaptures(
      plan,
      WALL,
      new Set(plan.nodes.flatMap((n) => n.interfaces.map((i) => `${n.name}:${i.name}`)).filter((x) => !['mn2:mr31', 'mn1:mr11'].includes(x))),
    );
    for (let seq = 1; seq <= 3; seq++) {
      cap.frame('mn2', 'mr31', 100 * seq, 'out', packet(seq, 100 * seq));
      cap.frame('mn1', 'mr11', 100 * seq + 1, 'in', packet(seq, 100 * seq));
    }
    const refs = cap.write(dir);
    const a = refs.find((r) => r.node === 'mn2');
    const b = refs.find((r) => r.node === 'mn1');
    // one merged file holding both endpoints' interfaces
    const merged = path.join(dir, 'merged.pcapng');
    const frames = (file: string) => parseCapture(readFileSync(file)).records;
    const ra = frames(a?.path as string);
    const rb = frames(b?.path as string);
    writeFileSync(
      merged,
      buildPcapng(
        [
          { name: 'mn2:mr31', linkType: 1 },
          { name: 'mn1:mr11', linkType: 1 },
        ],
        [
          ...ra.map((r) => ({ interfaceId: 0, timestampNs: r.timestampNs, data: r.data })),
          ...rb.map((r) => ({ interfaceId: 1, timestampNs: r.timestampNs, data: r.data })),
        ].sort((x, y) => (x.timestampNs < y.timestampNs ? -1 : 1)),
      ),
    );
    // mr31's and core's traffic captured with -i any (SLL2): ifindex tells the interface
    const any = path.join(dir, 'mr31-any.pcapng');
    const toCore = encap('2001:db8:3::1', '2001:db8:1:1::1', packet(2, 200));
    writeFileSync(
      any,
      buildPcapng(
        [{ name: 'any', linkType: 276 }],
        [
          { interfaceId: 0, timestampNs: ns(200.2), data: sll2(iface('mr31', 'mn2')?.ifindex as number, 0, packet(2, 200)) },
          { interfaceId: 0, timestampNs: ns(200.3), data: sll2(iface('mr31', 'core')?.ifindex as number, 4, toCore) },
        ],
      ),
    );
    const r = await analyzeRun({
      plan,
      captures: [
        { node: 'mn2', iface: 'merged', path: merged },
        { node: 'mr31', iface: 'any', path: any },
      ],
      flows: [f1],
      handovers: [],
      monoToWallMs: WALL,
    });
    const f = r.flows[0];
    expect([f?.sent, f?.received, f?.lost]).toEqual([3, 3, 0]);
    // 1 and 3 were seen only at the endpoints: the path has a gap between mr31 and mr11
    expect(f?.paths.map((p) => [p.nodes, p.packets, p.tunnels])).toEqual([
      [['mn2', 'mr31', 'mr11', 'mn1'], 2, []],
      [['mn2', 'mr31', 'core', 'mr11', 'mn1'], 1, [{ link: 'mr31–core', outerSrc: '2001:db8:3::1', outerDst: '2001:db8:1:1::1' }]],
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('keeps what it read from a damaged file and says so', async () => {
    const cap = new SyntheticCaptures(plan, WALL);
    for (let seq = 1; seq <= 4; seq++) cap.walk(['mn2', 'mr31', 'core', 'mr11', 'mn1'], 100 * seq, () => packet(seq, 100 * seq));
    cap.cutTail('mn1:mr11', Uint8Array.from([6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9]));
    const refs = cap.write(path.join(dir));
    const r = await analyzeRun({ plan, captures: refs, flows: [f1], handovers: [], monoToWallMs: WALL });
    expect([r.flows[0]?.sent, r.flows[0]?.received]).toEqual([4, 4]);
    expect(r.warnings).toEqual([expect.stringMatching(/^capture mn1:mr11 damaged after 4 packets: .*bad pcapng block length 13/)]);
  });

  it('warns about a flow with no packets and an endpoint without captures', async () => {
    const r = await analyzeRun({
      plan,
      captures: [],
      flows: [
        { ...f1, id: 'quiet' },
        { ...f1, id: 'ghost', to: 'nobody' },
      ],
      handovers: [{ index: 0, mn: 'mn1', from: ['mr11'], to: 'mr2', at: 5 }],
      monoToWallMs: WALL,
    });
    expect(r.flows.map((f) => [f.id, f.sent, f.received, f.lost, f.paths.length, f.settledPath, f.latencyMs, f.handovers.length])).toEqual([
      ['quiet', 0, 0, 0, 0, undefined, undefined, 1],
      ['ghost', 0, 0, 0, 0, undefined, undefined, 0],
    ]);
    expect(r.warnings).toEqual([
      'flow quiet: no capture on any interface of sender mn2 or of its neighbours; its sent packets cannot be counted',
      'flow quiet: no capture on any interface of receiver mn1 or of its neighbours; its received packets cannot be counted',
      'flow quiet: no traffic around handover 0 of mn1 to mr2 at 5.0 ms',
      'flow quiet (udp mn2 → mn1): no packet of it in the captures',
      'flow ghost: no capture on any interface of sender mn2 or of its neighbours; its sent packets cannot be counted',
      'flow ghost: receiver nobody is not a node of the lab',
      'flow ghost (udp mn2 → nobody): no packet of it in the captures',
    ]);
  });

  it('reads 100 000 packets in a few seconds of CPU', async () => {
    const cap = new SyntheticCaptures(plan, WALL);
    for (let seq = 1; seq <= 12_500; seq++) {
      const s = 1000 + seq;
      const p = packet(seq, s);
      const e = encap('2001:db8:3::1', '2001:db8:1:1::1', p);
      cap.walk(['mn2', 'mr31', 'core', 'mr11', 'mn1'], s + 0.1, (h) => (h === 0 || h === 3 ? p : e), 0.01);
    }
    const refs = cap.write(mkdtempSync(path.join(dir, 'big-')));
    const c0 = process.cpuUsage();
    const r = await analyzeRun({ plan, captures: refs, flows: [f1], handovers: [], monoToWallMs: WALL });
    const c = process.cpuUsage(c0);
    expect(r.captures.packets).toBe(100_000);
    expect([r.flows[0]?.sent, r.flows[0]?.received, r.flows[0]?.paths.length]).toEqual([12_500, 12_500, 1]);
    expect((c.user + c.system) / 1000).toBeLessThan(5000);
  });
});
