/**
 * bench/deploy: what a user waits for, and what a lab costs. Parts (all by
 * default; --only picks some), each writing its own section of BENCHMARKS.md:
 *   chain    a chain of 200 plain routers: `dmmlab deploy`/`destroy` against
 *            Mininet's build/stop of the same graph (when Debian's `mininet`
 *            package is installed) and the bare `ip -batch` script, interleaved
 *   kernel   generated labs of 10, 50 and 200 nodes without agents against the
 *            bare script (the kernel work alone), and with --docker on Docker
 *   cost     generated DMM labs of 50, 200 and 1,000 nodes: deploy time, memory
 *            used (PSS and the machine's used-memory delta), processes; 50 and
 *            200 also with one agent process per node, for comparison
 *   storm    on the 1,000-node lab: every mobile node hands over once in 10 s
 *   startup  `dmmlab validate` of 1,000, 10,000 and 50,000 nodes, `--help`, `inspect`
 *
 *   npx tsx bench/deploy.ts [--repeat 3] [--docker] [--only chain,kernel,cost,storm,startup]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { generateChain, generateTopology } from '../test/support/generate-topology.js';
import { machineLine, mdTable, median, writeSection } from './lib/benchmarks-md.js';
import { measureLab } from './lib/node-cost.js';
import { commandMs, validateTimes } from './lib/startup-times.js';
import { handoverStorm, type StormResult } from './lib/storm.js';

const BIN = fileURLToPath(new URL('../bin/dmmlab.js', import.meta.url));

const PARTS = ['chain', 'kernel', 'cost', 'storm', 'startup'] as const;
const { values } = parseArgs({
  options: { repeat: { type: 'string', default: '3' }, docker: { type: 'boolean', default: false }, only: { type: 'string', default: PARTS.join(',') } },
});
const repeat = Number(values.repeat);
const only = new Set(values.only.split(',').map((x) => x.trim()));
for (const p of only) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only: unknown part ${p} (parts: ${PARTS.join(', ')})`);
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

/** Generated labs without agents against the bare script (the kernel work alone), and on Docker. */
async function kernelPart(): Promise<void> {
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
    '## Kernel work: deploy and destroy without agents (`bench/deploy`, part kernel)',
    '',
    await machineLine('npx tsx bench/deploy.ts --only kernel'),
    `Median of ${repeat} runs. Labs from test/support/generate-topology.ts (local networks of a gateway, an LM/HAA, six MR/ARs on a ring and two mobile nodes, hung off a core router). "dmmlab" is the library's deploy() without agents: journal, namespaces, veths, sysctls, addresses, routes; "bare script" does the same kernel work with ip -batch and nothing else. Goal (issue 2): 200 nodes under 3 s and within 3× of the bare script.`,
    '',
    mdTable(['runtime', 'nodes', 'links', 'routes', 'dmmlab deploy', 'bare script', 'ratio', 'dmmlab destroy', 'bare destroy'], rows),
    ...dockerPart,
  ].join('\n');
  await writeSection('deploy', body);
  process.stdout.write(body + '\n');
}

/** Mininet's build and stop of a chain of `size` hosts (bench/lib/mininet-chain.py), or undefined without the package. */
async function mininetChain(size: number): Promise<{ deployMs: number; destroyMs: number } | undefined> {
  const r = await execa('/usr/bin/python3', [fileURLToPath(new URL('./lib/mininet-chain.py', import.meta.url)), String(size)], { reject: false, cwd: dir });
  if (r.exitCode !== 0) {
    if (/No module named .?mininet/.test(r.stderr)) return undefined;
    throw new Error(`mininet-chain.py failed: ${r.stderr}`);
  }
  const v = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { buildMs: number; stopMs: number };
  return { deployMs: v.buildMs, destroyMs: v.stopMs };
}

/** `dmmlab deploy` and `destroy` of a file as a user runs them: the CLI, from start to exit. */
async function timeCli(file: string, lab: string): Promise<{ deployMs: number; destroyMs: number }> {
  let t = performance.now();
  const dep = await execa('node', [BIN, 'deploy', file, '--runtime', 'netns', '--name', lab], { reject: false });
  const deployMs = performance.now() - t;
  if (dep.exitCode !== 0) throw new Error(`deploy failed: ${dep.stderr}`);
  t = performance.now();
  const des = await execa('node', [BIN, 'destroy', lab], { reject: false });
  if (des.exitCode !== 0) throw new Error(`destroy failed: ${des.stderr}`);
  return { deployMs, destroyMs: performance.now() - t };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

/** A chain of 200 plain routers: dmmlab (full deploy) against Mininet and the bare script, interleaved. */
async function chainPart(): Promise<void> {
  const size = 200;
  const lab = 'bchain';
  const text = generateChain({ name: lab, size });
  const file = path.join(dir, `${lab}.yaml`);
  await writeFile(file, text);
  const { plan } = parseTopology(file, text);
  const ours: { deployMs: number; destroyMs: number }[] = [];
  const mininet: { deployMs: number; destroyMs: number }[] = [];
  const bare: { deployMs: number; destroyMs: number }[] = [];
  let haveMininet = true;
  for (let i = 0; i < repeat; i++) {
    bare.push(await timeBare(plan, `${lab}-${i}`));
    if (haveMininet) {
      const m = await mininetChain(size);
      if (m) mininet.push(m);
      else haveMininet = false;
    }
    ours.push(await timeCli(file, lab));
    process.stderr.write(
      `chain of ${size}: run ${i + 1}/${repeat}: dmmlab ${seconds(ours[i]!.deployMs)}${mininet[i] ? `, mininet ${seconds(mininet[i]!.deployMs)}` : ''}\n`,
    );
  }
  const d = median(ours.map((x) => x.deployMs));
  const dx = median(ours.map((x) => x.destroyMs));
  const m = haveMininet ? median(mininet.map((x) => x.deployMs)) : NaN;
  const mx = haveMininet ? median(mininet.map((x) => x.destroyMs)) : NaN;
  const b = median(bare.map((x) => x.deployMs));
  const bx = median(bare.map((x) => x.destroyMs));
  const row = (what: string, dep: number, des: number) => [what, seconds(dep), `${(d / dep).toFixed(2)}×`, seconds(des), `${(dx / des).toFixed(2)}×`];
  const goal = haveMininet
    ? `Goal (issue 11): deploy no slower than Mininet's build (ratio ≤ 1.0), destroy no slower than its stop. ${d <= m ? 'Deploy meets it' : `Deploy misses it by ${seconds(d - m)}`}; ${dx <= mx ? 'destroy meets it' : `destroy misses it by ${seconds(dx - mx)}`}.`
    : 'Mininet is not installed here (`apt-get install mininet`), so its column is missing; the goal (ratio ≤ 1.0 against Mininet) is not measured in this run.';
  const body = [
    '## A chain of 200 routers against Mininet (`bench/deploy`, part chain)',
    '',
    await machineLine('npx tsx bench/deploy.ts --only chain'),
    `Median of ${repeat} runs, alternated in one run. ${plan.nodes.length} plain routers in one network, ${plan.links.length} links, ${plan.nodes.reduce((s, n) => s + n.routes.length, 0)} routes. "dmmlab" is \`dmmlab deploy\` and \`dmmlab destroy\` as a user runs them (the CLI from start to exit, agents included: a plain router needs none, so none starts). "Mininet" is Mininet ${haveMininet ? '2.3 (Debian package, Python API, run by /usr/bin/python3)' : ''} building the same graph as ${size} hosts and ${size - 1} links without a switch or controller, then stopping it (bench/lib/mininet-chain.py). "Bare script" does dmmlab's kernel work (namespaces, veths, sysctls, addresses, routes) with \`ip -batch\` and nothing else. Ratio = dmmlab / the row's tool. ${goal}`,
    '',
    mdTable(
      ['tool', 'deploy / build', 'ratio', 'destroy / stop', 'ratio'],
      [row('dmmlab', d, dx), ...(haveMininet ? [row('Mininet', m, mx)] : []), row('bare script', b, bx)],
    ),
  ].join('\n');
  await writeSection('deploy-chain', body);
  process.stdout.write(body + '\n');
}

/** Generated DMM labs of 50, 200 and 1,000 nodes: time, memory and processes; the storm on the largest. */
async function costPart(withStorm: boolean): Promise<void> {
  const rows: (string | number)[][] = [];
  const found: { storm?: StormResult } = {};
  const cases: { size: number; hosting: 'shared' | 'per-node' }[] = [
    { size: 50, hosting: 'shared' },
    { size: 50, hosting: 'per-node' },
    { size: 200, hosting: 'shared' },
    { size: 200, hosting: 'per-node' },
    { size: 1000, hosting: 'shared' },
  ];
  for (const c of cases) {
    if (!only.has('cost') && c.size !== 1000) continue;
    const lab = `bc${c.size}${c.hosting === 'shared' ? 's' : 'p'}`;
    const file = path.join(dir, `${lab}.yaml`);
    await writeFile(file, generateTopology({ name: lab, size: c.size, mnsPerNetwork: 4 }));
    const stormHere = withStorm && c.size === 1000;
    const cost = await measureLab(file, {
      env: c.hosting === 'per-node' ? { DMMLAB_AGENT_HOSTING: 'per-node' } : {},
      ...(stormHere ? { during: async (l, plan) => void (found.storm = await handoverStorm(l, plan)) } : {}),
    });
    process.stderr.write(
      `lab of ${cost.nodes} (${c.hosting}): deploy ${seconds(cost.deployMs)}, ${cost.processes} processes, PSS ${mb(cost.pssBytes)}, used ${mb(cost.usedDeltaBytes)}\n`,
    );
    rows.push([
      cost.nodes,
      cost.mns,
      `${cost.agents} (${cost.hosting === 'shared' ? 'one agent host' : cost.hosting === 'per-node' ? 'a process each' : 'none'})`,
      seconds(cost.deployMs),
      seconds(cost.phases.agents ?? 0),
      cost.processes,
      mb(cost.pssBytes),
      mb(cost.usedDeltaBytes),
      seconds(cost.destroyMs),
    ]);
  }
  const thousand = rows.find((r) => r[0] === 1001 || r[0] === 1000);
  const parts: string[] = [];
  if (only.has('cost')) {
    parts.push(
      '## What a DMM lab costs (`bench/deploy`, part cost)',
      '',
      await machineLine('npx tsx bench/deploy.ts --only cost'),
      'One run per row, netns runtime, labs from test/support/generate-topology.ts with four mobile nodes per network (a gateway, an LM/HAA, four MR/ARs on a ring and four mobile nodes per network, hung off a core router). "Deploy" is `dmmlab deploy` from start to exit, with every agent configured ("agents" is that phase). Processes are those inside the lab\'s namespaces plus the agent host and everything it started (radvd, `ip -batch` pipes, the shared link monitor). PSS sums their proportional set sizes (shared pages counted once); "used memory" is the machine\'s MemTotal − MemAvailable after deploy and 3 s of settling, minus before (processes, page cache of logs, and the kernel\'s namespaces, links and routes). "a process each" is the same lab with DMMLAB_AGENT_HOSTING=per-node. Goal (issue 11): 1,000 nodes with ≥ 300 mobile nodes deployed in ≤ 20 s within 8 GB of used memory.',
      '',
      mdTable(['nodes', 'mobile nodes', 'agents at deploy', 'deploy', 'agents', 'processes', 'PSS', 'used memory', 'destroy'], rows),
    );
    if (thousand) {
      const deploySeconds = parseFloat(String(thousand[3]));
      const agentSeconds = parseFloat(String(thousand[4]));
      const verdict =
        deploySeconds <= 20
          ? 'the deploy meets it'
          : `the deploy misses it by ${(deploySeconds - 20).toFixed(1)} s: ${agentSeconds.toFixed(1)} s of it is the agents phase (one host process configuring ${thousand[2]} agents: each MR's datapath batch, radvd and traffic observer, each LM's and MN's sockets, on two cores shared with the kernel's work), the other ${(deploySeconds - agentSeconds).toFixed(1)} s namespaces, veths, sysctls, addresses and routes for ${thousand[0]} nodes`;
      parts.push('', `1,000-node lab: deploy ${thousand[3]} (goal ≤ 20 s), used memory ${thousand[7]} (goal ≤ 8 GB): ${verdict}.`);
    }
    await writeSection('node-cost', parts.join('\n'));
    process.stdout.write(parts.join('\n') + '\n');
  }
  const s = found.storm;
  if (s) {
    const body = [
      '## Handover storm on 1,000 nodes (`bench/deploy`, part storm)',
      '',
      await machineLine('npx tsx bench/deploy.ts --only storm'),
      `The 1,000-node lab above (${s.mns} mobile nodes, ${s.lms} LMs). Before the storm every LM held each node's binding at its first access router ${seconds(s.settleMs)} after deploy. Then every mobile node hands over once (break-before-make, to the next MR/AR of its cells), the starts spread evenly over 10 s, through one LabSession as a scenario would; the LMs are asked for their bindings every 200 ms until each node's binding names its new serving MR. Goal (issue 11): the storm loses nothing.`,
      '',
      mdTable(
        ['mobile nodes', 'handovers issued in', 'all bindings correct after (from the first)', 'after the last handover', 'lost', 'failed handovers'],
        [[s.mns, seconds(s.issuedMs), seconds(s.allCorrectMs), seconds(s.afterLastMs), s.lost.length, s.failedHandovers.length]],
      ),
      ...(s.lost.length ? ['', `Lost: ${s.lost.slice(0, 20).join(', ')}${s.lost.length > 20 ? ' …' : ''}`] : []),
      ...(s.failedHandovers.length ? ['', `Failed: ${s.failedHandovers.slice(0, 5).join('; ')}`] : []),
    ].join('\n');
    await writeSection('storm', body);
    process.stdout.write(body + '\n');
  }
}

/** validate of large files, and how fast the CLI starts. */
async function startupPart(): Promise<void> {
  const v = await validateTimes(dir, [1000, 10_000, 50_000]);
  const help = await commandMs(['--help']);
  const inspect = await commandMs(['inspect']);
  const goal = (ms: number, limit: number) => (ms <= limit ? 'meets' : `misses by ${Math.round(ms - limit)} ms`);
  const body = [
    '## Planner and CLI start-up (`bench/deploy`, part startup)',
    '',
    await machineLine('npx tsx bench/deploy.ts --only startup'),
    "`dmmlab validate` of generated labs (four mobile nodes per network), one run each: wall time from start to exit and the process's peak resident memory (VmHWM, sampled every 10 ms). Goals (issue 11): 10,000 nodes ≤ 2 s; 50,000 nodes ≤ 15 s and ≤ 1 GB.",
    '',
    mdTable(
      ['nodes', 'links', 'validate', 'peak memory'],
      v.map((x) => [x.nodes, x.links, seconds(x.ms), mb(x.peakBytes)]),
    ),
    '',
    `CLI start-up, median of 10 runs from start to exit: \`dmmlab --help\` ${Math.round(help)} ms (goal ≤ 150 ms: ${goal(help, 150)}); \`dmmlab inspect\` (the list of labs) ${Math.round(inspect)} ms.`,
  ].join('\n');
  await writeSection('startup', body);
  process.stdout.write(body + '\n');
}

try {
  if (only.has('chain')) await chainPart();
  if (only.has('kernel')) await kernelPart();
  if (only.has('cost') || only.has('storm')) await costPart(only.has('storm'));
  if (only.has('startup')) await startupPart();
} finally {
  await rm(dir, { recursive: true, force: true });
}
