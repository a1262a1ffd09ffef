import { readState, listLabs } from '../state/journal.js';
import type { LabState } from '../state/lab-state.js';
import type { Plan } from '../plan/types.js';
import { getRuntime } from '../runtime/registry.js';
import type { AgentState } from '../../shared/control/role-state.js';
import { LabStates } from './lab-states.js';
import { mapLimit } from '../util/exec.js';
import { existsSync } from 'node:fs';
import { agentAtDeploy } from '../../shared/control/roles.js';
import { AgentClient } from '../agents/agent-client.js';
import { agentLastWords } from '../agents/last-lines.js';
import { agentSocket } from '../state/paths.js';

export interface LabSummary {
  lab: string;
  runtime: string;
  status: string;
  nodes: number;
  links: number;
  source: string;
  createdAt: string;
  tunnelDriver?: string;
}

export interface InterfaceView {
  name: string;
  state: string;
  mac?: string;
  mtu?: number;
  addresses: string[];
  peer?: string;
}

export interface NodeView {
  name: string;
  roles: string[];
  network: string;
  netns: string;
  /** Whether the node's namespace exists right now. */
  present: boolean;
  interfaces: InterfaceView[];
  routes: string[];
  rules: string[];
}

/**
 * An agent as inspect sees it: answering (with its state), not answering
 * (with why and its last words), or not started because its node's roles do
 * not need one until a flow does (ROLE_INFO.agentAtDeploy).
 */
export interface AgentView {
  node: string;
  status: 'up' | 'down' | 'on-demand';
  state?: AgentState;
  why?: string;
  lastLines?: string;
}

export interface LabView extends LabSummary {
  networks: Plan['networks'];
  /** The hosts the lab spans (labs deployed with hosts or --hosts). */
  hosts?: Plan['hosts'];
  /** Links between hosts: VXLAN over the underlay. */
  vxlanLinks?: { a: string; b: string; vni: number }[];
  nodeViews: NodeView[];
  agents: AgentView[];
  /** What the answering agents hold (bindings, leases, caches...), read in one place. */
  states: LabStates;
}

/** One line per lab on this machine. */
export async function listLabSummaries(): Promise<LabSummary[]> {
  const out: LabSummary[] = [];
  for (const lab of await listLabs()) {
    const s = await readState(lab).catch(() => undefined);
    if (!s) {
      out.push({ lab, runtime: '?', status: 'damaged', nodes: 0, links: 0, source: '', createdAt: '' });
      continue;
    }
    out.push(summary(s));
  }
  return out;
}

function summary(s: LabState): LabSummary {
  const plan = s.plan as Plan;
  return {
    lab: s.lab,
    runtime: s.runtime,
    status: s.status,
    nodes: plan.nodes.length,
    links: plan.links.length,
    source: s.source,
    createdAt: s.createdAt,
    ...(s.tunnelDriver ? { tunnelDriver: s.tunnelDriver } : {}),
  };
}

/** The lab as the kernel has it now: interfaces, addresses, routes and rules of every node. */
export async function inspectLab(lab: string): Promise<LabView> {
  const s = await readState(lab);
  const plan = s.plan as Plan;
  const runtime = await getRuntime(s.runtime);
  const nodeViews = await mapLimit(plan.nodes, 8, async (n): Promise<NodeView> => {
    const base = { name: n.name, roles: n.roles, network: n.network, netns: n.netns };
    const node = runtime.access(lab, n);
    const [addr, routes, rules] = await Promise.all([
      node.run(['ip', '-j', 'address', 'show']),
      node.run(['ip', '-6', 'route', 'show', 'table', 'all']),
      node.run(['ip', '-6', 'rule', 'show']),
    ]);
    // A node that cannot be entered is not there (its namespace or container is gone).
    if (addr.exitCode !== 0) return { ...base, present: false, interfaces: [], routes: [], rules: [] };
    const ifaces = parseAddressJson(addr.stdout).map((i) => {
      const planned = n.interfaces.find((p) => p.name === i.name);
      return planned ? { ...i, peer: `${planned.peer.node}:${planned.peer.iface}` } : i;
    });
    return {
      ...base,
      present: true,
      interfaces: ifaces,
      routes: routes.stdout
        .split('\n')
        .filter((l) => l && !l.startsWith('local ') && !l.startsWith('multicast ') && !/^fe80::\/64/.test(l) && !l.includes('table local')),
      rules: rules.stdout.split('\n').filter(Boolean),
    };
  });
  const agents = await mapLimit(
    plan.nodes.filter((n) => n.agent),
    8,
    async (n): Promise<AgentView> => {
      if (!agentAtDeploy(n.roles) && !existsSync(agentSocket(lab, n.name))) return { node: n.name, status: 'on-demand' };
      try {
        const c = await AgentClient.connect(n.name, agentSocket(lab, n.name), 1500);
        try {
          return { node: n.name, status: 'up', state: await c.request('state', {}, 3000) };
        } finally {
          c.close();
        }
      } catch (e) {
        return { node: n.name, status: 'down', why: e instanceof Error ? e.message : String(e), lastLines: await agentLastWords(lab, n.name) };
      }
    },
  );
  const states = new LabStates(Object.fromEntries(agents.flatMap((a) => (a.state ? [[a.node, a.state] as const] : []))));
  const spans = plan.hosts
    ? { hosts: plan.hosts, vxlanLinks: plan.links.flatMap((l) => (l.vxlan ? [{ a: l.a.node, b: l.b.node, vni: l.vxlan.vni }] : [])) }
    : {};
  return { ...summary(s), networks: plan.networks, ...spans, nodeViews, agents, states };
}

interface IpAddrJson {
  ifname: string;
  operstate?: string;
  flags?: string[];
  address?: string;
  mtu?: number;
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string; deprecated?: boolean }[];
}

function parseAddressJson(text: string): InterfaceView[] {
  let list: IpAddrJson[];
  try {
    list = JSON.parse(text) as IpAddrJson[];
  } catch {
    return [];
  }
  return list.map((i) => ({
    name: i.ifname,
    state: i.flags?.includes('UP') ? (i.operstate === 'UNKNOWN' || i.operstate === 'UP' ? 'up' : 'no-carrier') : 'down',
    ...(i.address ? { mac: i.address } : {}),
    ...(i.mtu ? { mtu: i.mtu } : {}),
    addresses: (i.addr_info ?? [])
      .filter((a) => a.family === 'inet6' && a.scope !== 'link')
      .map((a) => `${a.local}/${a.prefixlen}${a.deprecated ? ' (deprecated)' : ''}`),
  }));
}
