import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpdump } from '../../support/tcpdump.js';
import { decodePacket, type DecodedPacket } from '../../../cli/capture/packet-decode.js';
import { readCapture } from '../../../cli/capture/pcap-reader.js';
import { run } from '../../../cli/util/exec.js';
import { applyTc, decapTcLines, encapVia } from '../../../agent/kernel/bpf-files.js';
import { BpfDriver, DECAP_MAC, NEXTHOP_BASE } from '../../../agent/kernel/tunnel-driver.js';
import type { CommandRunner } from '../../../agent/util/process.js';

// The bpf tunnel driver on real namespaces: a ─ r ─ b, each with an address behind it (on lo).
// a's route for what lies behind b names the nexthop the driver made for b at setup, whose program
// encapsulates (a → b's tunnel end); r only routes the outer header; b takes it off as the driver
// set it up (tunnel end routed into dmm0, the program on dmm0's egress, the inner packet in again
// on dmm1). The reverse direction has the programs on routes themselves, nested, as a Mobile IPv6
// node's are, and a decapsulates on ingress of its interface, two headers deep.

const P = `dmmtest-bpf-${process.pid}`;
const A = `${P}-a`;
const R = `${P}-r`;
const B = `${P}-b`;
const A_ADDR = '2001:db8:1::1';
const B_ADDR = '2001:db8:2::1';
const B_TEP = '2001:db8:ff::2';
const BEHIND_B = '2001:db8:99::1';
const BEHIND_A = '2001:db8:98::1';
const REGIONAL = '2001:db8:97::1';
const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-bpf-'));
const namespaces = [A, R, B];

const ipn = (ns: string, ...args: string[]) => run(['ip', '-n', ns, ...args]);
/** What applyTc needs of a node's command runner: `run`, here through `ip netns exec`. */
const inNs = (ns: string): CommandRunner =>
  ({
    run: async (argv: readonly string[], opts?: { input?: string }) => {
      const r = await run(['ip', 'netns', 'exec', ns, ...argv], { allowFailure: true, ...(opts?.input !== undefined ? { input: opts.input } : {}) });
      return { exitCode: r.exitCode, signal: null, stdout: r.stdout, stderr: r.stderr, timedOut: false };
    },
  }) as unknown as CommandRunner;
const batch = (ns: string, lines: string[]) => run(['ip', '-n', ns, '-6', '-batch', '-'], { input: lines.join('\n') + '\n' });

/** Sends one UDP datagram from `ns` and says whether `to` received it (a listener in `at`). */
async function udpAcross(ns: string, source: string, at: string, to: string, payload: string): Promise<string> {
  const listener = execa(
    'ip',
    [
      'netns',
      'exec',
      at,
      process.execPath,
      '-e',
      `const s=require('dgram').createSocket('udp6');s.bind(7000,'${to}',()=>console.log('ready'));s.on('message',(m)=>{console.log(String(m));process.exit(0)});setTimeout(()=>process.exit(3),3000)`,
    ],
    { reject: false },
  );
  await new Promise<void>((resolve) => listener.stdout?.once('data', () => resolve()));
  await run([
    'ip',
    'netns',
    'exec',
    ns,
    process.execPath,
    '-e',
    `const s=require('dgram').createSocket('udp6');s.bind(0,'${source}',()=>s.send('${payload}',7000,'${to}',()=>s.close()))`,
  ]);
  const r = await listener;
  return r.exitCode === 0 ? (String(r.stdout).split('\n')[1] ?? '') : `(nothing: exit ${r.exitCode})`;
}

async function decode(file: string): Promise<DecodedPacket[]> {
  const out: DecodedPacket[] = [];
  for await (const rec of readCapture(file)) out.push(decodePacket(rec.linkType, rec.data, rec.originalLength));
  return out;
}

let onWire: DecodedPacket[] = [];
const received: Record<string, string> = {};

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this integration test needs root (network namespaces, tc, BPF)');
  for (const ns of namespaces) {
    await run(['ip', 'netns', 'add', ns]);
    await ipn(ns, 'link', 'set', 'lo', 'up');
    for (const k of ['all.forwarding=1', 'all.accept_dad=0', 'default.accept_dad=0'])
      await run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${k}`]);
  }
  await run(['ip', 'link', 'add', 'va', 'netns', A, 'type', 'veth', 'peer', 'name', 'vra', 'netns', R]);
  await run(['ip', 'link', 'add', 'vrb', 'netns', R, 'type', 'veth', 'peer', 'name', 'vb', 'netns', B]);
  await batch(A, ['link set va up', `addr add ${A_ADDR}/64 dev va nodad`, 'route add default via 2001:db8:1::2', `addr add ${BEHIND_A}/128 dev lo`]);
  await batch(R, ['link set vra up', 'link set vrb up', 'addr add 2001:db8:1::2/64 dev vra nodad', 'addr add 2001:db8:2::2/64 dev vrb nodad']);
  await batch(R, [`route add ${B_TEP}/128 via ${B_ADDR}`]);
  await batch(B, ['link set vb up', `addr add ${B_ADDR}/64 dev vb nodad`, 'route add default via 2001:db8:2::2', `addr add ${BEHIND_B}/128 dev lo`]);

  // b: an MR's tunnel end; a: an MR with a nexthop towards b; both set up by the driver itself.
  const infoB = { node: 'b', network: 'n', address: B_ADDR, tunnelEndpoint: B_TEP, anchor: '2001:db8:2::/48' };
  const infoA = { node: 'a', network: 'n', address: A_ADDR, tunnelEndpoint: '2001:db8:ff::1', anchor: '2001:db8:1::/48' };
  const driverB = new BpfDriver(path.join(dir, 'b'), [infoA, infoB]);
  expect((await batch(B, driverB.setup(infoB))).exitCode).toBe(0);
  await applyTc(inNs(B), driverB.setupTc(infoB));
  const driverA = new BpfDriver(path.join(dir, 'a'), [infoA, infoB]);
  expect((await batch(A, driverA.setup(infoA))).exitCode).toBe(0);
  const towardB = driverA.toward(infoB);
  expect(towardB).toEqual({ prepare: [], via: `nhid ${NEXTHOP_BASE}` });
  await batch(A, [`route add ${BEHIND_B}/128 ${towardB.via}`]);
  // a decapsulates on ingress, two headers deep, as a Mobile IPv6 node does.
  await applyTc(inNs(A), decapTcLines(path.join(dir, 'a'), ['va'], 'ingress', undefined, 2));
  // b → a: nested, as a MAP's and a home agent's tunnels are (HMIPv6): the inner tunnel ends at a
  // regional address of a's, whose route on b is itself a tunnel to a.
  await batch(B, [
    `route add ${REGIONAL}/128 ${encapVia(path.join(dir, 'b'), B_ADDR, A_ADDR, 'dmm0')}`,
    `route add ${BEHIND_A}/128 ${encapVia(path.join(dir, 'b'), B_ADDR, REGIONAL, 'dmm0')}`,
  ]);

  const file = path.join(dir, 'r.pcap');
  const dump = await startTcpdump(R, 'vrb', file, 'ip6 and not icmp6');
  received.forward = await udpAcross(A, A_ADDR, B, BEHIND_B, 'through the tunnel');
  received.back = await udpAcross(B, BEHIND_B, A, BEHIND_A, 'back, two deep');
  await new Promise((r) => setTimeout(r, 200));
  dump.child.kill('SIGTERM');
  await dump.child;
  onWire = await decode(file);
}, 60_000);

afterAll(async () => {
  for (const ns of namespaces) await run(['ip', 'netns', 'del', ns], { allowFailure: true });
  rmSync(dir, { recursive: true, force: true });
});

const layers = (p: DecodedPacket | undefined) => p?.layers.map((l) => [l.src, l.dst, l.protocol]);

describe('the bpf tunnel driver on namespaces', () => {
  it('puts a 40-byte outer IPv6 header with next header 41 on the wire, as ip6tnl and seg6 encap.red do', () => {
    const out = onWire.find((p) => p.layers.length === 2 && p.layers[1]?.dst === BEHIND_B);
    expect(layers(out)).toEqual([
      [A_ADDR, B_TEP, 41],
      [A_ADDR, BEHIND_B, 17],
    ]);
    const outer = out?.layers[0];
    expect(outer?.extHeaders).toEqual([]);
    expect([outer?.trafficClass, outer?.flowLabel]).toEqual([0, 0]);
    // Hop limit 64, one router crossed; the payload length is the whole inner packet.
    expect(outer?.hopLimit).toBe(63);
    expect(outer?.payloadLength).toBe(40 + 8 + 'through the tunnel'.length);
  });

  it('takes the header off at the tunnel end and routes the inner packet on', () => {
    expect(received.forward).toBe('through the tunnel');
  });

  it('decapsulates two nested headers on ingress for a mobile node', () => {
    const nested = onWire.find((p) => p.layers.length === 3);
    expect(layers(nested)).toEqual([
      [B_ADDR, A_ADDR, 41],
      [B_ADDR, REGIONAL, 41],
      [BEHIND_B, BEHIND_A, 17],
    ]);
    expect(received.back).toBe('back, two deep');
  });

  it('sends what it decapsulates to dmm1 by a fixed neighbour entry', async () => {
    const neigh = await run(['ip', '-n', B, '-6', 'neigh', 'show', B_TEP, 'dev', 'dmm0']);
    expect(neigh.stdout).toContain(DECAP_MAC);
  });
});
