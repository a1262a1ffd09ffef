/**
 * bench/deploy: deploy and destroy generated labs of 10, 50 and 200 nodes on
 * the netns runtime (and, with --docker, 10 and 50 on Docker), and the same
 * kernel work done by a bare shell script with `ip -batch` (the physical
 * limit). Writes the "deploy" section of BENCHMARKS.md.
 *
 *   npx tsx bench/deploy.ts [--repeat 3] [--docker]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { deploy } from '../cli/lab/deploy.js';
import { destroy } from '../cli/lab/destroy.js';
import { vethCommands } from '../cli/kernel/link-commands.js';
import { nodeSetup } from '../cli/kernel/node-commands.js';
import { parseTopology } from '../cli/topology/load.js';
import type { Plan } from '../cli/plan/types.js';
import { generateTopology } from '../test/support/generate-topology.js';
import { machineLine, mdTable, median, writeSection } from './lib/benchmarks-md.js';

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '3' }, docker: { type: 'boolean', default: false } } });
const repeat = Number(values.repeat);
const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-bench-'));

/** The bare script: the same namespaces, veths, sysctls, addresses and routes, in a shell with ip -batch. */
function bareScript(plan: Plan, files: { netns: string; links: string; nodes: { ns: string; batch: string; sysctls: string[] }[] }): string {
  const lines = ['#!/bin/sh', 'set -e', `ip -batch ${files.netns}`, `ip -batch ${files.links}`];
  for (const n of files.nodes) {
    lines.push(`nsenter --net=/run/netns/${n.ns} sh -c 'while [ $# -gt 1 ]; do printf %s "$2" > "/proc/sys/$1"; shift 2; done; exec ip -force -batch ${n.batch}' sh ${n.sysctls.join(' ')} &`);
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

async function timeDmmlab(file: string, lab: string, runtime: 'netns' | 'docker'): Promise<{ deployMs: number; destroyMs: number }> {
  let t = performance.now();
  await deploy({ topology: file, name: lab, runtime, agents: false });
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
await rm(dir, { recursive: true, force: true });

const body = [
  '## Deploy and destroy (`bench/deploy`)',
  '',
  await machineLine('npx tsx bench/deploy.ts'),
  `Median of ${repeat} runs. Labs from test/support/generate-topology.ts (local networks of a gateway, an LM/HAA, six MR/ARs on a ring and two mobile nodes, hung off a core router). "dmmlab" is the library's deploy() without agents: journal, namespaces, veths, sysctls, addresses, routes; "bare script" does the same kernel work with ip -batch and nothing else. Goal (issue 2): 200 nodes under 3 s and within 3× of the bare script.`,
  '',
  mdTable(['runtime', 'nodes', 'links', 'routes', 'dmmlab deploy', 'bare script', 'ratio', 'dmmlab destroy', 'bare destroy'], rows),
].join('\n');
await writeSection('deploy', body);
process.stdout.write(body + '\n');
