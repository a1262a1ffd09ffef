import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import type { AgentConfig, MobilityConfig } from '../../shared/control/agent-config.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { labDir } from '../state/paths.js';
import type { TunnelDriverName } from '../../shared/control/tunnel-drivers.js';

/** The lab's signalling key: 32 random bytes and an SPI (>= 256) naming it. */
export interface LabKey {
  key: string;
  spi: number;
}

export function newLabKey(): LabKey {
  return { key: randomBytes(32).toString('base64'), spi: randomInt(256, 0x7fffffff) };
}

/** The lab's part of every agent's configuration, built once per plan (every node gets the same object). */
const mobilityOf = new WeakMap<Plan, MobilityConfig>();

function labMobility(plan: Plan): MobilityConfig {
  const known = mobilityOf.get(plan);
  if (known) return known;
  const m = plan.mobility;
  const mobility: MobilityConfig = {
    routeOptimization: m.routeOptimization,
    mnMode: m.mnMode,
    homeAgents: m.homeAgents,
    anycast: m.anycast,
    registerOnAttach: m.registerOnAttach,
    newPrefixOnHandover: m.newPrefixOnHandover,
    leaseLifetime: m.leaseLifetime,
    bindingLifetime: m.bindingLifetime,
    cacheLifetime: m.cacheLifetime,
    handoverContextLifetime: m.handoverContextLifetime,
    domain: m.domain,
    mrs: m.mrs,
    mns: m.mns.map((x) => ({ node: x.node, id: x.id, network: x.network, mac: x.mac })),
  };
  mobilityOf.set(plan, mobility);
  return mobility;
}

/** What the orchestrator tells one node's agent (`configure`), from the plan. */
export function agentConfigFor(plan: Plan, node: PlanNode, tunnelDriver: TunnelDriverName, key: LabKey): AgentConfig {
  const m = plan.mobility;
  return {
    lab: plan.lab,
    node: node.name,
    roles: node.roles,
    network: node.network,
    ...(node.loopback ? { address: node.loopback } : {}),
    tunnelDriver,
    key: key.key,
    spi: key.spi,
    mobility: labMobility(plan),
    access: node.roles.includes('ar')
      ? node.interfaces
          .filter((i) => i.kind === 'access')
          .map((i) => {
            const mn = m.mns.find((x) => x.node === i.peer.node);
            return { iface: i.name, mac: i.mac, mn: i.peer.node, mnId: mn?.id ?? i.peer.node, mnMac: mn?.mac ?? '', ...(i.careOf ? { careOf: i.careOf } : {}) };
          })
      : [],
    radios: node.roles.includes('mn')
      ? node.interfaces
          .filter((i) => i.kind === 'access')
          .map((i) => {
            const ar = plan.nodes.find((n) => n.name === i.peer.node);
            const arIf = ar?.interfaces.find((x) => x.name === i.peer.iface);
            return { iface: i.name, ar: i.peer.node, arAddress: ar?.loopback ?? '', arMac: arIf?.mac ?? '' };
          })
      : [],
    workDir: path.join(labDir(plan.lab), 'run', node.name),
  };
}
