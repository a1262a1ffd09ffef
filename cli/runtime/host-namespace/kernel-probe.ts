import type { KernelFeatures } from '../../kernel/features.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bpfObject } from '../../../shared/bpf/bpf-object.js';
import { decapProgram, encapProgram } from '../../../shared/bpf/tunnel-programs.js';
import { run } from '../../util/exec.js';

let cached: Promise<KernelFeatures> | undefined;

/** Name prefix of probe namespaces; cleanup removes those whose owner PID is gone. */
export const PROBE_PREFIX = 'dmm-probe-';

/**
 * Probes this host's kernel once per process, in a throw-away namespace. Trying is the only reliable test: it
 * also loads modules the kernel can auto-load (ip6_tunnel, sch_netem), which
 * is what deploy would do anyway.
 */
export function probeKernel(): Promise<KernelFeatures> {
  cached ??= probe();
  return cached;
}

async function probe(): Promise<KernelFeatures> {
  const ns = `${PROBE_PREFIX}${process.pid}`;
  await run(['ip', 'netns', 'add', ns]);
  try {
    const tryIp = async (args: string[]) => (await run(['ip', '-n', ns, ...args], { allowFailure: true })).exitCode === 0;
    const tryTc = async (args: string[]) => (await run(['ip', 'netns', 'exec', ns, 'tc', ...args], { allowFailure: true })).exitCode === 0;
    await tryIp(['link', 'set', 'lo', 'up']);
    await tryIp(['link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1']);
    await tryIp(['link', 'set', 'probe0', 'up']);
    // A nexthop wants its device's carrier: the peer up too.
    await tryIp(['link', 'set', 'probe1', 'up']);
    const ip6tnl = await tryIp(['-6', 'tunnel', 'add', 'probetnl', 'mode', 'ip6ip6', 'local', '::1', 'remote', '::2', 'encaplimit', 'none']);
    const seg6 = await tryIp(['-6', 'route', 'add', '2001:db8:ffff::/64', 'encap', 'seg6', 'mode', 'encap.red', 'segs', '2001:db8::1', 'dev', 'probe0']);
    const bpf = await probeBpf(tryIp, (args) => tryTc(args));
    const netem = await tryTc(['qdisc', 'add', 'dev', 'probe0', 'root', 'netem', 'delay', '1ms']);
    const tbf = await tryTc(['qdisc', 'replace', 'dev', 'probe0', 'root', 'tbf', 'rate', '1mbit', 'burst', '3200', 'latency', '50ms']);
    return { ip6tnl, seg6, bpf, netem, tbf };
  } finally {
    await run(['ip', 'netns', 'del', ns], { allowFailure: true });
  }
}

/**
 * The bpf driver's two programs, loaded as the agents load them: on a nexthop object (Linux 5.3+; lwt xmit) that a
 * route names, and on tc ingress. A kernel with BPF tunnels but no nexthop objects fails here, not at an MR's setup.
 */
async function probeBpf(tryIp: (args: string[]) => Promise<boolean>, tryTc: (args: string[]) => Promise<boolean>): Promise<boolean> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-bpf-probe-'));
  try {
    const enc = path.join(dir, 'encap.o');
    const dec = path.join(dir, 'decap.o');
    writeFileSync(enc, bpfObject('lwt_xmit', encapProgram('2001:db8::1', '2001:db8::2')));
    writeFileSync(dec, bpfObject('tc', decapProgram('2001:db8::1')));
    return (
      (await tryIp(['-6', 'nexthop', 'add', 'id', '5436', 'encap', 'bpf', 'xmit', 'obj', enc, 'section', 'lwt_xmit', 'headroom', '40', 'dev', 'probe0'])) &&
      (await tryIp(['-6', 'route', 'add', '2001:db8:fffe::/64', 'nhid', '5436'])) &&
      (await tryTc(['qdisc', 'add', 'dev', 'probe0', 'clsact'])) &&
      (await tryTc(['filter', 'add', 'dev', 'probe0', 'ingress', 'bpf', 'da', 'obj', dec, 'sec', 'tc']))
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
