import path from 'node:path';
import { renderTable } from '../output/table.js';
import type { DeployedLab } from '../lab/deploy.js';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';
import { hostsOption, oneOf, RUNTIME_CHOICES, RUNTIME_USAGE, TUNNEL_CHOICES } from './choices.js';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'deploy a topology as a lab on this machine',
  usage: `deploy <topology.yaml> [--name LAB] [--runtime ${RUNTIME_USAGE}] [--tunnel auto|ip6tnl|seg6|bpf] [--hosts N] [--json]`,
  help: 'The lab keeps running after the command returns; `dmmlab destroy <lab>` removes it. Ctrl-C during deploy rolls back.',
  options: {
    name: { type: 'string', description: 'lab name (default: the topology name)' },
    runtime: { type: 'string', description: 'netns, docker or auto' },
    hosts: { type: 'string', description: 'split the lab over N hosts (emulated here as namespaces), links between hosts VXLAN' },
    tunnel: { type: 'string', description: 'tunnel driver: auto, ip6tnl, seg6 or bpf' },
    ...jsonOption,
  },
  async run({ values, positionals }, io) {
    const { deploy } = await import('../lab/deploy.js');
    const [topology] = positionals;
    if (!topology || positionals.length > 1) throw usageError(this, 'expected exactly one topology file');
    const runtime = oneOf(values.runtime, RUNTIME_CHOICES, '--runtime');
    const tunnel = oneOf(values.tunnel, TUNNEL_CHOICES, '--tunnel');
    const hosts = hostsOption(values.hosts);
    const lab = await deploy({
      topology: path.resolve(topology),
      ...(typeof values.name === 'string' ? { name: values.name } : {}),
      ...(runtime ? { runtime } : {}),
      ...(hosts === undefined ? {} : { hosts }),
      ...(tunnel ? { tunnel } : {}),
      progress: io.progress,
      signal: io.signal,
    });
    emit(
      io,
      {
        lab: lab.lab,
        runtime: lab.runtime,
        tunnelDriver: lab.tunnelDriver,
        durationMs: Math.round(lab.durationMs),
        phases: Object.fromEntries(Object.entries(lab.phases).map(([k, v]) => [k, Math.round(v)])),
        agentHosting: lab.agentHosting,
        agents: lab.agents.map((a) => ({ node: a.node, pid: a.pid ?? null, readyMs: Math.round(a.readyMs), configureMs: Math.round(a.configureMs) })),
        nodes: lab.plan.nodes.map((n) => ({ name: n.name, roles: n.roles, network: n.network, address: n.loopback ?? null })),
      },
      () =>
        `lab ${lab.lab} deployed in ${(lab.durationMs / 1000).toFixed(2)} s (runtime ${lab.runtime}, tunnel driver ${lab.tunnelDriver})\n` +
        `${agentLine(lab)}\n\n` +
        renderTable(lab.plan.nodes, [
          { header: 'node', cell: (n) => n.name },
          { header: 'roles', cell: (n) => n.roles.join(',') },
          { header: 'network', cell: (n) => n.network },
          { header: 'address', cell: (n) => n.loopback ?? '(from router advertisements)' },
        ]) +
        `\n\nnext: dmmlab inspect ${lab.lab} · dmmlab exec ${lab.lab} <node> -- <command> · dmmlab destroy ${lab.lab}`,
    );
    return 0;
  },
};

/** "11 agents (one agent host), 2 on demand": what runs now, and what starts when a flow needs it. */
function agentLine(lab: DeployedLab): string {
  const withAgent = lab.plan.nodes.filter((n) => n.agent).length;
  const onDemand = withAgent - lab.agents.length;
  const how = lab.agentHosting === 'shared' ? ' (one agent host)' : lab.agentHosting === 'per-node' ? ' (a process each)' : '';
  return `${lab.agents.length} agent${lab.agents.length === 1 ? '' : 's'} running${how}${onDemand > 0 ? `, ${onDemand} started when a flow needs them` : ''}`;
}
