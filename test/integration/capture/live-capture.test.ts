import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpdump } from '../../support/tcpdump.js';
import { mergeCaptures } from '../../../cli/capture/merge.js';
import { decodePacket, type DecodedPacket } from '../../../cli/capture/packet-decode.js';
import { readCapture, type CaptureRecord } from '../../../cli/capture/pcap-reader.js';
import { findProgram, run } from '../../../cli/util/exec.js';
import { probeKernel } from '../../../cli/runtime/host-namespace/kernel-probe.js';
import { encapRouteVia } from '../../support/tunnel-route.js';

// Two namespaces joined by a veth pair; tcpdump on a's veth (Ethernet) and on b's
// "any" (Linux cooked v2). Traffic: ping6, plain UDP, and UDP through routes on a
// that put it in IPv6-in-IPv6 on the wire (seg6 encap.red with one segment, or the bpf
// driver's program where the kernel has no SRv6), two such routes nested (three IPv6
// headers), and, where the kernel has SRv6, seg6 encap (an SRH with one segment).

const { seg6 } = await probeKernel();

const A = `dmmtest-cap-${process.pid}-a`;
const B = `dmmtest-cap-${process.pid}-b`;
const ADDR_A = '2001:db8:a::1';
const ADDR_B = '2001:db8:a::2';
const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-live-'));
const files = { va: path.join(dir, 'a-va.pcap'), any: path.join(dir, 'b-any.pcap'), merged: path.join(dir, 'merged.pcapng') };
const namespaces: string[] = [];
const dumps: { child: ResultPromise }[] = [];

interface Decoded {
  rec: CaptureRecord;
  pkt: DecodedPacket;
}
const captured: Record<'va' | 'any', Decoded[]> = { va: [], any: [] };
const events: { timestampNs: bigint; text: string }[] = [];
let vbIndex = 0;

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
const ipn = (ns: string, ...args: string[]) => run(['ip', '-n', ns, ...args]);

/** Sends UDP datagrams from port 40000 in namespace `ns`, one after the other. */
async function sendUdp(ns: string, datagrams: [payload: string, port: number, address: string][]): Promise<void> {
  const script = `
    const s = require('dgram').createSocket('udp6');
    const list = ${JSON.stringify(datagrams)};
    s.bind(40000, () => {
      const next = (i) => i === list.length ? s.close() : s.send(list[i][0], list[i][1], list[i][2], (e) => { if (e) throw e; setTimeout(() => next(i + 1), 20); });
      next(0);
    });`;
  await run(['ip', 'netns', 'exec', ns, process.execPath, '-e', script]);
}

async function decodeFile(file: string): Promise<Decoded[]> {
  const out: Decoded[] = [];
  for await (const rec of readCapture(file)) out.push({ rec, pkt: decodePacket(rec.linkType, rec.data, rec.originalLength) });
  return out;
}

const udpTo = (list: Decoded[], port: number) => list.filter((d) => d.pkt.transport?.kind === 'udp' && d.pkt.transport.dstPort === port);
const path3 = (d: Decoded | undefined) => d?.pkt.layers.map((l) => [l.src, l.dst, l.protocol]);

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this integration test needs root (network namespaces, tcpdump)');
  if (!findProgram('tcpdump')) throw new Error('tcpdump is not installed');
  for (const ns of [A, B]) {
    namespaces.push(ns);
    await run(['ip', 'netns', 'add', ns]);
  }
  await run(['ip', 'link', 'add', 'va', 'netns', A, 'type', 'veth', 'peer', 'name', 'vb', 'netns', B]);
  for (const [ns, dev, address] of [
    [A, 'va', ADDR_A],
    [B, 'vb', ADDR_B],
  ] as const) {
    await ipn(ns, 'link', 'set', 'lo', 'up');
    await ipn(ns, 'link', 'set', dev, 'up');
    await ipn(ns, '-6', 'addr', 'add', `${address}/64`, 'dev', dev, 'nodad');
  }
  const tunnel = async (prefix: string, remote: string) => ipn(A, '-6', 'route', 'add', prefix, ...(await encapRouteVia(ADDR_A, remote, 'va')).split(' '));
  await tunnel('2001:db8:99::/64', ADDR_B);
  if (seg6) await ipn(A, '-6', 'route', 'add', '2001:db8:98::/64', 'encap', 'seg6', 'mode', 'encap', 'segs', ADDR_B, 'dev', 'va');
  await tunnel('2001:db8:96::/64', ADDR_B);
  await tunnel('2001:db8:97::/64', '2001:db8:96::1');
  vbIndex = (JSON.parse((await ipn(B, '-j', 'link', 'show', 'vb')).stdout) as { ifindex: number }[])[0]?.ifindex ?? -1;

  dumps.push(await startTcpdump(A, 'va', files.va));
  dumps.push(await startTcpdump(B, 'any', files.any));
  events.push({ timestampNs: nowNs(), text: 'ping starts' });
  await run(['ip', 'netns', 'exec', A, 'ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', ADDR_B]);
  events.push({ timestampNs: nowNs(), text: 'udp starts → b' });
  await sendUdp(A, [
    ['plain', 5000, ADDR_B],
    ['encap.red', 5001, '2001:db8:99::5'],
    ...(seg6 ? [['srh', 5002, '2001:db8:98::5'] as [string, number, string]] : []),
    ['nested', 5003, '2001:db8:97::5'],
  ]);
  await new Promise((r) => setTimeout(r, 300));
  for (const d of dumps) d.child.kill('SIGTERM');
  await Promise.all(dumps.map((d) => d.child));
  captured.va = await decodeFile(files.va);
  captured.any = await decodeFile(files.any);
});

afterAll(async () => {
  for (const d of dumps) d.child.kill('SIGTERM');
  await Promise.all(dumps.map((d) => d.child));
  for (const ns of namespaces) await run(['ip', 'netns', 'del', ns], { allowFailure: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('live capture in namespaces', () => {
  it('reads tcpdump -i <veth> as Ethernet and -i any as SLL2', () => {
    expect(new Set(captured.va.map((d) => d.rec.linkType))).toEqual(new Set([1]));
    expect(new Set(captured.any.map((d) => d.rec.linkType))).toEqual(new Set([276]));
    expect(captured.va.filter((d) => d.pkt.malformed)).toEqual([]);
    expect(captured.any.filter((d) => d.pkt.malformed)).toEqual([]);
    const ts = captured.va.map((d) => d.rec.timestampNs);
    expect(ts).toEqual([...ts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
  });

  it('decodes the ping6 exchange with echo ids and sequence numbers', () => {
    const echo = captured.va.flatMap((d) =>
      d.pkt.transport?.kind === 'icmpv6' && (d.pkt.transport.type === 128 || d.pkt.transport.type === 129)
        ? [[d.pkt.layers[0]?.src, d.pkt.layers[0]?.dst, d.pkt.transport.type, d.pkt.transport.seq]]
        : [],
    );
    expect(echo).toEqual(
      [1, 2, 3].flatMap((seq) => [
        [ADDR_A, ADDR_B, 128, seq],
        [ADDR_B, ADDR_A, 129, seq],
      ]),
    );
    const ids = new Set(captured.va.flatMap((d) => (d.pkt.transport?.kind === 'icmpv6' && d.pkt.transport.id !== undefined ? [d.pkt.transport.id] : [])));
    expect(ids.size).toBe(1);
  });

  it('decodes plain UDP with ports and payload', () => {
    const [plain] = udpTo(captured.va, 5000);
    expect(path3(plain)).toEqual([[ADDR_A, ADDR_B, 17]]);
    expect(plain?.pkt.transport).toMatchObject({ srcPort: 40000, dstPort: 5000, length: 13 });
    expect(Buffer.from(plain?.pkt.payload ?? []).toString()).toBe('plain');
  });

  it('sees a tunnel route (seg6 encap.red with one segment, or bpf) as plain IPv6-in-IPv6', () => {
    const [red] = udpTo(captured.va, 5001);
    expect(path3(red)).toEqual([
      [ADDR_A, ADDR_B, 41],
      [ADDR_A, '2001:db8:99::5', 17],
    ]);
    expect(red?.pkt.layers[0]?.extHeaders).toEqual([]);
    expect(Buffer.from(red?.pkt.payload ?? []).toString()).toBe('encap.red');
  });

  it.skipIf(!seg6)('sees seg6 encap as an SRH around the inner packet', () => {
    const [srh] = udpTo(captured.va, 5002);
    expect(path3(srh)).toEqual([
      [ADDR_A, ADDR_B, 41],
      [ADDR_A, '2001:db8:98::5', 17],
    ]);
    expect(srh?.pkt.layers[0]?.extHeaders).toEqual([
      { kind: 'routing', type: 43, length: 24, routingType: 4, segmentsLeft: 0, addresses: [ADDR_B], lastEntry: 0, flags: 0, tag: 0 },
    ]);
  });

  it('sees nested tunnel routes as three IPv6 headers', () => {
    const [nested] = udpTo(captured.va, 5003);
    expect(path3(nested)).toEqual([
      [ADDR_A, ADDR_B, 41],
      [ADDR_A, '2001:db8:96::1', 41],
      [ADDR_A, '2001:db8:97::5', 17],
    ]);
    expect(Buffer.from(nested?.pkt.payload ?? []).toString()).toBe('nested');
  });

  it('gets direction and interface index from SLL2 on the receiver', () => {
    const got = [5000, 5001, ...(seg6 ? [5002] : []), 5003].map((port) => udpTo(captured.any, port)[0]?.pkt);
    expect(got.map((p) => [p?.link.packetType, p?.link.ifIndex, p?.layers.length])).toEqual([
      [0, vbIndex, 1],
      [0, vbIndex, 2],
      ...(seg6 ? [[0, vbIndex, 2]] : []),
      [0, vbIndex, 3],
    ]);
    const replies = captured.any.filter((d) => d.pkt.transport?.kind === 'icmpv6' && d.pkt.transport.type === 129);
    expect(replies.map((d) => d.pkt.link.packetType)).toEqual([4, 4, 4]);
  });

  it('merges both captures with events that tshark shows', async () => {
    const result = await mergeCaptures({
      inputs: [
        { path: files.va, interfaceName: 'a:va' },
        { path: files.any, interfaceName: 'b:any' },
      ],
      output: files.merged,
      events,
    });
    expect(result.packets).toBe(captured.va.length + captured.any.length);
    expect(result.eventPackets).toBe(2);

    const r = await run([
      'tshark',
      '-r',
      files.merged,
      '-T',
      'fields',
      '-E',
      'aggregator=|',
      '-e',
      'frame.interface_name',
      '-e',
      'frame.comment',
      '-e',
      'syslog.msg',
      '-e',
      'frame.time_epoch',
    ]);
    const rows = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
    expect(rows.length).toBe(result.packets + 2);
    const count = (name: string) => rows.filter((row) => row[0] === name).length;
    expect([count('a:va'), count('b:any'), count('dmmlab:events')]).toEqual([captured.va.length, captured.any.length, 2]);
    expect(rows.filter((row) => row[0] === 'dmmlab:events').map((row) => [row[1], row[2]])).toEqual([
      ['ping starts', 'dmmlab: ping starts'],
      ['udp starts → b', 'dmmlab: udp starts → b'],
    ]);
    // each event comment also sits on the first captured packet at or after it
    for (const e of events) {
      const i = rows.findIndex((row) => row[0] !== 'dmmlab:events' && row[1]?.split('|').includes(e.text));
      expect(i, e.text).toBeGreaterThan(0);
      expect(rows[i - 1]?.[0]).toBe('dmmlab:events');
    }
    const times = rows.map((row) => Number(row[3]));
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });
});
