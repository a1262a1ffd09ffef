/**
 * bench/agents: start-up and memory of the node agents. Deploys generated
 * labs (10 and 50 nodes, netns runtime) with agents and reports, per agent,
 * the time from spawning it to its hello on the control socket, the time to
 * configure it, its resident memory once configured, and the time from the
 * links being up to every agent being configured. Writes the "agents"
 * section of BENCHMARKS.md. Budget (issue 4): ready within 300 ms of start,
 * under 50 MB resident, all agents of a 50-node lab within 5 s.
 *
 *   npx tsx bench/agents.ts [--repeat 3]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deploy } from '../cli/lab/deploy.js';
import { destroy } from '../cli/lab/destroy.js';
import { LabSession } from '../cli/lab/session.js';
import { summarize } from '../cli/report/stats.js';
import { generateTopology } from '../test/support/generate-topology.js';
import { machineLine, mdTable, writeSection } from './lib/benchmarks-md.js';

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '3' } } });
const repeat = Number(values.repeat);
const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-bench-'));
const rows: (string | number)[][] = [];
const fmt = (s: ReturnType<typeof summarize>, unit: string, digits = 0) =>
  s ? `${s.median.toFixed(digits)} / ${s.p95.toFixed(digits)} / ${s.max.toFixed(digits)} ${unit}` : '–';

for (const size of [10, 50]) {
  const ready: number[] = [];
  const configure: number[] = [];
  const rss: number[] = [];
  const allAgents: number[] = [];
  let nodes = 0;
  let hosting = '';
  for (let i = 0; i < repeat; i++) {
    const lab = `ba${size}`;
    const file = path.join(dir, `${lab}.yaml`);
    await writeFile(file, generateTopology({ name: lab, size }));
    const d = await deploy({ topology: file, runtime: 'netns' });
    nodes = d.plan.nodes.length;
    ready.push(...d.agents.map((a) => a.readyMs));
    hosting = d.agentHosting;
    configure.push(...d.agents.map((a) => a.configureMs));
    allAgents.push(d.phases.agents ?? NaN);
    const s = await LabSession.open(lab);
    await new Promise((r) => setTimeout(r, 1000));
    // An agent host serves many nodes: each agent's share is its process's resident set divided among them.
    const states = Object.values((await s.allStates()).byNode);
    const perPid = new Map<number, number>();
    for (const st of states) perPid.set(st.pid, (perPid.get(st.pid) ?? 0) + 1);
    for (const st of states) rss.push(st.rssBytes / perPid.get(st.pid)! / 2 ** 20);
    s.close();
    await destroy(lab);
    process.stderr.write(`${nodes} nodes: run ${i + 1}/${repeat}\n`);
  }
  rows.push([nodes, hosting, fmt(summarize(ready), 'ms'), fmt(summarize(configure), 'ms'), fmt(summarize(rss), 'MB', 1), fmt(summarize(allAgents), 'ms')]);
}
await rm(dir, { recursive: true, force: true });

const body = [
  '## Node agents (`bench/agents`)',
  '',
  await machineLine('npx tsx bench/agents.ts'),
  `${repeat} deploys per size of labs from test/support/generate-topology.ts on the netns runtime; each cell is median / p95 / max over every agent of every deploy. "Ready" runs from launching the agent (adding its node to the agent host, or spawning its process) to its hello on the control socket; "configure" is the configure request (roles, kernel datapath, radvd, sockets); memory is each agent's share of its process's resident set one second after configuration (one agent host serves every node with a role that needs an agent, so the share is the host's resident set divided among them; plain routers run no agent); the last column runs from the links being up to every agent being configured. Budget (issue 4): ready within 300 ms, under 50 MB, a 50-node lab's agents all within 5 s.`,
  '',
  mdTable(['nodes', 'agents', 'ready (ms)', 'configure (ms)', 'resident memory', 'all agents configured'], rows),
].join('\n');
await writeSection('agents', body);
process.stdout.write(body + '\n');
