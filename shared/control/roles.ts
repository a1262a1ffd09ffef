/**
 * The logical functions a node can play (draft-tu-dmm-with-mip section 3, the
 * Chan DMM framework): the one list every other list of roles derives from —
 * the topology schema, the agent's configuration, the agent's role registry,
 * the start order of agents and which nodes need one.
 */
export const ROLES = ['mr', 'lm', 'haa', 'ar', 'mn', 'cn', 'router'] as const;
export type RoleName = (typeof ROLES)[number];

/** What the orchestrator and the agent need to know about a role. */
export interface RoleInfo {
  /** What it is, for help texts and docs. */
  title: string;
  /** Only an agent can play it (the topology refuses `agent: false` on such a node). */
  agentOnly: boolean;
  /**
   * Agents start in waves (0 first): location managers and address allocators
   * answer before the mobility routers that register with them come up.
   */
  wave: 0 | 1 | 2;
  /**
   * A node with this role runs its agent from deploy on. A node whose roles
   * all lack it (a plain router, a correspondent node) runs none until a flow
   * needs one: such a node costs what a Mininet host costs, a namespace.
   */
  agentAtDeploy: boolean;
}

export const ROLE_INFO: Record<RoleName, RoleInfo> = {
  mr: { title: 'mobility routing: anchors home prefixes, tunnels to where their nodes are (draft-tu 3.1 b)', agentOnly: true, wave: 1, agentAtDeploy: true },
  lm: { title: 'location management: binds home prefixes to serving MRs, answers queries (draft-tu 3.1 c)', agentOnly: true, wave: 0, agentAtDeploy: true },
  haa: { title: 'home address allocation: leases home network prefixes (draft-tu 3.1 a)', agentOnly: true, wave: 0, agentAtDeploy: true },
  ar: {
    title: 'access router: detects attachments, signals for network-based mobile nodes, advertises prefixes',
    agentOnly: true,
    wave: 1,
    agentAtDeploy: true,
  },
  mn: {
    title: 'mobile node: a host with radios to access routers (its agent releases idle home addresses, or signals in client mode)',
    agentOnly: false,
    wave: 2,
    agentAtDeploy: true,
  },
  cn: { title: 'correspondent node: a fixed host that talks to mobile nodes', agentOnly: false, wave: 2, agentAtDeploy: false },
  router: { title: 'plain IPv6 router', agentOnly: false, wave: 2, agentAtDeploy: false },
};

/** Roles only an agent can play. */
export const AGENT_ONLY_ROLES: readonly RoleName[] = ROLES.filter((r) => ROLE_INFO[r].agentOnly);

/** The start wave of a node's agent: the earliest wave of its roles. */
export function startWave(roles: readonly RoleName[]): number {
  return Math.min(2, ...roles.map((r) => ROLE_INFO[r].wave));
}

/** Whether a node with these roles runs its agent from deploy (else on demand, when a flow needs it). */
export function agentAtDeploy(roles: readonly RoleName[]): boolean {
  return roles.some((r) => ROLE_INFO[r].agentAtDeploy);
}
