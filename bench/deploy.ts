/**
 * bench/deploy: deploy and destroy generated labs of 10, 50 and 200 nodes on
 * the netns runtime (and, with --docker, 10 and 50 on Docker), and the same
 * kernel work done by a bare shell script with `ip -batch` (the physical
 * limit). Writes the "deploy" section of BENCHMARKS.md.
 *
 *   npx tsx bench/deploy.ts [--repeat 3] [--docker]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { deploy } from '../cli/lab/deploy.js';
import { destroy } from '../cli/lab/destroy.js';
import { vethCommands } from '../cli/links/veth-commands.js';
import { nodeSetup } from '../cli/kernel/node-commands.js';
import { parseTopology } from '../cli/plan/load.js';
import type { Plan } from '../cli/plan/types.js';
import type { Progress } from '../cli/util/progress.js';
import { buildNodeImage } from '../cli/image/build-image.js';
import { START_CONCURRENCY } from '../cli/runtime/docker-runtime.js';
import { startTimings } from '../cli/runtime/docker-start.js';
import { hostAgentBundle } from '../cli/runtime/spawn-detached.js';
import { silentProgress } from '../cli/util/progress.js';
import { generateTopology } from '../test/support/generate-topology.js';
import { machineLine, mdTable, median, writeSection } from './lib/benchmarks-md.js';

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '3' }, docker: { type: 'boolean', default: false } } });
const repeat = Number(values.repeat);
/** 1-minute load average before this script does anything: other work on the machine shows in every time below. */
const loadAtStart = os.loadavg()[0] ?? 0;
const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-bench-'));

/** The bare script: the same namespaces, veths, sysctls, addresses and routes, in a shell with ip -batch. */
function bareScript(plan: Plan, files: { netns: string; links: string; nodes: { ns: string; batch: string; sysctls: string[] }[] }): string {
  const lines = ['#!/bin/sh', 'set -e', `ip -batch ${files.netns}`, `ip -batch ${files.links}`];
  for (const n of files.nodes) {
    lines.push(
      `nsenter --net=/run/netns/${n.ns} sh -c 'while [ $# -gt 1 ]; do printf %s "$2" > "/proc/sys/$1"; shift 2; done; exec ip -force -batch ${n.batch}' sh ${n.sysctls.join(' ')} &`,
    );
  }
  lines.push('wait');
  return lines.join('\n') + '\n';
}

async function timeBare(plan: Plan, tag: string): Promise<{ deployMs: number; destroyMs: number }> {
  const netnsFile = path.join(dir, `${tag}-netns.batch`);
  const linksFile = path.join(dir, `${tag}-links.batch`);
  await writeFile(netnsFile, plan.nodes.map((n) => `netns add ${n.netns}`).join('\n') + '\n');
  await writeFile(linksFile, vethCommands(plan).join('\n') + '\n');
  const nodes = [];
  for (const n of plan.nodes) {
    const setup = nodeSetup(n);
    const batch = path.join(dir, `${tag}-${n.name}.batch`);
    await writeFile(batch, setup.ip.join('\n') + '\n');
    nodes.push({ ns: n.netns, batch, sysctls: setup.sysctls.flat() });
  }
  const script = path.join(dir, `${tag}.sh`);
  await writeFile(script, bareScript(plan, { netns: netnsFile, links: linksFile, nodes }));
  const delFile = path.join(dir, `${tag}-del.batch`);
  await writeFile(delFile, plan.nodes.map((n) => `netns del ${n.netns}`).join('\n') + '\n');
  let t = performance.now();
  await execa('sh', [script]);
  const deployMs = performance.now() - t;
  t = performance.now();
  await execa('ip', ['-batch', delFile]);
  return { deployMs, destroyMs: performance.now() - t };
}

async function timeDmmlab(file: string, lab: string, runtime: 'netns' | 'docker', progress?: Progress): Promise<{ deployMs: number; destroyMs: number }> {
  let t = performance.now();
  await deploy({ topology: file, name: lab, runtime, agents: false, ...(progress ? { progress } : {}) });
  const deployMs = performance.now() - t;
  t = performance.now();
  await destroy(lab);
  return { deployMs, destroyMs: performance.now() - t };
}

const rows: (string | number)[][] = [];
const sizes = [10, 50, 200];
for (const size of sizes) {
  const lab = `bd${size}`;
  const text = generateTopology({ name: lab, size });
  const file = path.join(dir, `${lab}.yaml`);
  await writeFile(file, text);
  const { plan } = parseTopology(file, text);
  const ours: { deployMs: number; destroyMs: number }[] = [];
  const bare: { deployMs: number; destroyMs: number }[] = [];
  for (let i = 0; i < repeat; i++) {
    // Interleave so that both see the same machine state.
    bare.push(await timeBare(plan, `${lab}-${i}`));
    ours.push(await timeDmmlab(file, lab, 'netns'));
    process.stderr.write(`netns ${plan.nodes.length} nodes: run ${i + 1}/${repeat}\n`);
  }
  const d = median(ours.map((x) => x.deployMs));
  const b = median(bare.map((x) => x.deployMs));
  rows.push([
    'netns',
    plan.nodes.length,
    plan.links.length,
    plan.nodes.reduce((s, n) => s + n.routes.length, 0),
    `${(d / 1000).toFixed(2)} s`,
    `${(b / 1000).toFixed(2)} s`,
    `${(d / b).toFixed(2)}×`,
    `${(median(ours.map((x) => x.destroyMs)) / 1000).toFixed(2)} s`,
    `${(median(bare.map((x) => x.destroyMs)) / 1000).toFixed(2)} s`,
  ]);
}

/** Wall time of each deploy phase, from the progress events. */
function phaseClock(): Progress & { walls: Map<string, number>; finish(): void } {
  const walls = new Map<string, number>();
  let current: string | undefined;
  let since = performance.now();
  const close = () => {
    if (current !== undefined) walls.set(current, (walls.get(current) ?? 0) + performance.now() - since);
    current = undefined;
  };
  return {
    walls,
    phase(label) {
      close();
      current = label;
      since = performance.now();
    },
    tick() {},
    info() {},
    warn() {},
    done: close,
    finish: close,
  };
}

/** Docker: the same generated labs, each run next to a netns run of the same topology. */
const dockerRows: (string | number)[][] = [];
const breakdown: string[] = [];
if (values.docker) {
  // The node image must exist before timing (a deploy builds it when missing).
  await buildNodeImage({ offline: true, agentBundle: hostAgentBundle(), progress: silentProgress });
  for (const size of [10, 50]) {
    const lab = `bk${size}`;
    const text = generateTopology({ name: lab, size });
    const file = path.join(dir, `${lab}.yaml`);
    await writeFile(file, text);
    const { plan } = parseTopology(file, text);
    const docker: { deployMs: number; destroyMs: number }[] = [];
    const netns: { deployMs: number; destroyMs: number }[] = [];
    const walls: Map<string, number>[] = [];
    const steps: Record<string, number>[] = [];
    for (let i = 0; i < repeat; i++) {
      netns.push(await timeDmmlab(file, lab, 'netns'));
      const before = { ...startTimings };
      const clock = phaseClock();
      docker.push(await timeDmmlab(file, lab, 'docker', clock));
      clock.finish();
      walls.push(clock.walls);
      steps.push(Object.fromEntries(Object.entries(startTimings).map(([k, v]) => [k, (v - before[k as keyof typeof before]) / plan.nodes.length])));
      process.stderr.write(`docker ${plan.nodes.length} nodes: run ${i + 1}/${repeat}: deploy ${(docker[i]!.deployMs / 1000).toFixed(2)} s\n`);
    }
    const dd = median(docker.map((x) => x.deployMs));
    const nd = median(netns.map((x) => x.deployMs));
    const dx = median(docker.map((x) => x.destroyMs));
    const nx = median(netns.map((x) => x.destroyMs));
    dockerRows.push([
      'docker',
      plan.nodes.length,
      plan.links.length,
      `${(dd / 1000).toFixed(2)} s`,
      `${(nd / 1000).toFixed(2)} s`,
      `${(dd / nd).toFixed(1)}×`,
      `${(dx / 1000).toFixed(2)} s`,
      `${(nx / 1000).toFixed(2)} s`,
      `${(dx / nx).toFixed(1)}×`,
    ]);
    const wall = (label: string) => `${(median(walls.map((w) => w.get(label) ?? 0)) / 1000).toFixed(2)} s`;
    const step = (k: string) => `${Math.round(median(steps.map((x) => x[k] ?? 0)))} ms`;
    breakdown.push(
      `| ${plan.nodes.length} | ${wall('containers')} | ${wall('links')} | ${wall('configure')} | ${step('create')} | ${step('start')} | ${step('inspect')} | ${step('attach')} |`,
    );
  }
}
await rm(dir, { recursive: true, force: true });

const dockerPart = values.docker
  ? [
      '',
      `Docker runtime (\`--docker\`): the same generated labs deployed as one container per node (dmmlab node image, no Docker network, namespaces attached with \`ip netns attach\`, veths and configuration by the same code as netns), each run next to a netns deploy of the same topology; ratio = docker / netns. Goal (issue 3): 50 containers deployed and wired in under 15 s on two cores. 1-minute load average ${loadAtStart.toFixed(1)} when the script started (above 2, other work was sharing the two cores).`,
      '',
      mdTable(['runtime', 'nodes', 'links', 'docker deploy', 'netns deploy', 'ratio', 'docker destroy', 'netns destroy', 'ratio'], dockerRows),
      '',
      `Where a Docker deploy spends its time (median wall time of each phase; per-container latency of each step, with ${START_CONCURRENCY} containers in flight):`,
      '',
      '| nodes | containers phase | links | configure | create | start | inspect | attach |',
      '|---|---|---|---|---|---|---|---|',
      ...breakdown,
    ]
  : [];

const body = [
  '## Deploy and destroy (`bench/deploy`)',
  '',
  await machineLine('npx tsx bench/deploy.ts'),
  `Median of ${repeat} runs. Labs from test/support/generate-topology.ts (local networks of a gateway, an LM/HAA, six MR/ARs on a ring and two mobile nodes, hung off a core router). "dmmlab" is the library's deploy() without agents: journal, namespaces, veths, sysctls, addresses, routes; "bare script" does the same kernel work with ip -batch and nothing else. Goal (issue 2): 200 nodes under 3 s and within 3× of the bare script.`,
  '',
  mdTable(['runtime', 'nodes', 'links', 'routes', 'dmmlab deploy', 'bare script', 'ratio', 'dmmlab destroy', 'bare destroy'], rows),
  ...dockerPart,
].join('\n');
await writeSection('deploy', body);
process.stdout.write(body + '\n');
