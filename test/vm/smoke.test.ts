/**
 * Proves the VM has what the host kernel lacks: an ip6ip6 tunnel between two namespaces
 * (outer next header 41, no encapsulation-limit destination option) and netem delay.
 * Runs only inside the VM: `npm run test:vm` (test/vm/run.ts sets DMMLAB_IN_VM=1).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePacket } from '../../cli/capture/packet-decode.js';
import { parseCapture } from '../../cli/capture/pcap-reader.js';
import { run } from '../../cli/util/exec.js';

const inVm = process.env.DMMLAB_IN_VM === '1';
const SKIP_REASON = 'skipped: runs only inside the dmmlab VM (DMMLAB_IN_VM=1); start it with `npm run test:vm`';

const id = randomBytes(3).toString('hex');
const ns = { a: `dmmvm-${id}-a`, b: `dmmvm-${id}-b` };
const veth = { a: `va-${id}`, b: `vb-${id}` };
const outer = { a: '2001:db8:ff::1', b: '2001:db8:ff::2' };
const inner = { a: '2001:db8:a::1', b: '2001:db8:b::1' };
const TUNNEL = 't-peer';

const ip = (netns: string, ...argv: string[]) => run(['ip', '-n', netns, ...argv]);
const inNs = (netns: string, ...argv: string[]) => run(['ip', 'netns', 'exec', netns, ...argv]);

/** One side: veth address, inner address on lo, the ip6ip6 tunnel to the peer and a route through it. */
async function configureSide(self: 'a' | 'b', peer: 'a' | 'b'): Promise<void> {
  await run(['ip', '-n', ns[self], '-batch', '-'], {
    input: ['link set lo up', `link set ${veth[self]} up`, `addr add ${outer[self]}/64 dev ${veth[self]} nodad`, `addr add ${inner[self]}/128 dev lo`, ''].join(
      '\n',
    ),
  });
  await ip(ns[self], '-6', 'tunnel', 'add', TUNNEL, 'mode', 'ip6ip6', 'local', outer[self], 'remote', outer[peer], 'encaplimit', 'none');
  await ip(ns[self], 'link', 'set', TUNNEL, 'up');
  await ip(ns[self], '-6', 'route', 'add', `${inner[peer].replace(/::1$/, '::')}/64`, 'dev', TUNNEL);
}

/** Pings b's inner address from a's, through the tunnel; returns min and avg RTT in ms. */
async function ping(count: number): Promise<{ min: number; avg: number }> {
  const r = await inNs(ns.a, 'ping', '-6', '-n', '-q', '-c', String(count), '-i', '0.2', '-W', '3', '-I', inner.a, inner.b);
  const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`no rtt line in ping output:\n${r.stdout}`);
  return { min: Number(m[1]), avg: Number(m[2]) };
}

/** Captures on a's veth while `during` runs; returns the decoded packets. */
async function capture(during: () => Promise<unknown>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dmmvm-'));
  const file = path.join(dir, 'veth.pcap');
  const tcpdump = execa('ip', ['netns', 'exec', ns.a, 'tcpdump', '-i', veth.a, '-nn', '--immediate-mode', '-U', '-Z', 'root', '-w', file, 'ip6'], {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    buffer: false,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tcpdump did not start listening within 30 s')), 30_000);
      tcpdump.stderr.on('data', (c: Buffer) => {
        if (c.toString().includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void tcpdump.then(() => reject(new Error('tcpdump exited before listening')));
    });
    await during();
  } finally {
    tcpdump.kill('SIGINT');
    await tcpdump;
  }
  const { records } = parseCapture(await readFile(file), { truncated: 'stop' }, file);
  await rm(dir, { recursive: true, force: true });
  return records.map((r) => decodePacket(r.linkType, r.data, r.originalLength));
}

describe.skipIf(!inVm)(`ip6ip6 tunnel and netem in the VM${inVm ? '' : ` (${SKIP_REASON})`}`, () => {
  beforeAll(async () => {
    await run(['ip', 'netns', 'add', ns.a]);
    await run(['ip', 'netns', 'add', ns.b]);
    await run(['ip', 'link', 'add', veth.a, 'netns', ns.a, 'type', 'veth', 'peer', 'name', veth.b, 'netns', ns.b]);
    await configureSide('a', 'b');
    await configureSide('b', 'a');
  }, 120_000);

  afterAll(async () => {
    for (const n of [ns.a, ns.b]) await run(['ip', 'netns', 'del', n], { allowFailure: true });
  });

  it('runs on a kernel with ip6_tunnel and sch_netem', async () => {
    expect(existsSync('/sys/module/ip6_tunnel')).toBe(true);
    expect(existsSync('/sys/module/sch_netem')).toBe(true);
    const show = await ip(ns.a, '-6', 'tunnel', 'show', TUNNEL);
    expect(show.stdout).toContain('encaplimit none');
  });

  it('carries pings in ip6ip6: outer next header 41, no encapsulation-limit option', async () => {
    const packets = await capture(() => ping(5));
    const echoes = packets.filter((p) => p.transport?.kind === 'icmpv6' && (p.transport.type === 128 || p.transport.type === 129));
    expect(echoes.length).toBeGreaterThanOrEqual(10);
    for (const p of echoes) {
      const [out, inn] = p.layers;
      expect(p.layers).toHaveLength(2);
      expect(out?.nextHeader).toBe(41);
      expect(out?.extHeaders).toHaveLength(0);
      expect([out?.src, out?.dst].sort()).toEqual([outer.a, outer.b]);
      expect([inn?.src, inn?.dst].sort()).toEqual([inner.a, inner.b]);
      expect(inn?.nextHeader).toBe(58);
    }
    expect(packets.some((p) => p.layers[0]?.nextHeader === 60)).toBe(false);
  });

  it('adds about 40 ms of round trip with netem delay 20ms on both ends', async () => {
    const before = await ping(10);
    await run(['tc', '-n', ns.a, 'qdisc', 'add', 'dev', veth.a, 'root', 'netem', 'delay', '20ms']);
    await run(['tc', '-n', ns.b, 'qdisc', 'add', 'dev', veth.b, 'root', 'netem', 'delay', '20ms']);
    const after = await ping(10);
    const rise = after.avg - before.avg;
    expect(after.min).toBeGreaterThanOrEqual(39.5);
    expect(rise).toBeGreaterThan(35);
    expect(rise).toBeLessThan(70);
  });

  it('autoloads modules the initramfs does not carry (sch_sfq through the host modprobe)', async () => {
    expect(existsSync('/sys/module/sch_sfq')).toBe(false);
    await run(['tc', '-n', ns.a, 'qdisc', 'add', 'dev', 'lo', 'root', 'sfq']);
    expect(existsSync('/sys/module/sch_sfq')).toBe(true);
  });
});
