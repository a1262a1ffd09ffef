import type {
  AgentState,
  HaaLeaseState,
  LmBindingState,
  MrPrefixState,
  ProxyEntryState,
  ReverseRuleState,
  RoleStateMap,
  VisitorState,
} from '../../shared/control/role-state.js';
import type { RoleName } from '../../shared/control/roles.js';

/**
 * The one reader of what a lab's agents hold: their `state` answers by node,
 * with what inspect, the terminal UI and the state expectations ask of them,
 * each row naming the node that holds it. Nodes whose agent did not answer
 * are simply absent.
 */
export class LabStates {
  constructor(readonly byNode: Readonly<Record<string, AgentState>>) {}

  /** Nodes that answered, in the order they were given. */
  get nodes(): string[] {
    return Object.keys(this.byNode);
  }

  /** One role's snapshot on one node (undefined if the node does not play it or did not answer). */
  role<R extends RoleName>(node: string, role: R): RoleStateMap[R] | undefined {
    return this.byNode[node]?.roles[role];
  }

  private rows<R extends RoleName, T>(role: R, pick: (s: RoleStateMap[R]) => readonly T[] | undefined): { node: string; row: T }[] {
    const out: { node: string; row: T }[] = [];
    for (const node of this.nodes) {
      const s = this.role(node, role);
      if (s) for (const row of pick(s) ?? []) out.push({ node, row });
    }
    return out;
  }

  /** Every LM binding, with the LM holding it. */
  bindings(): (LmBindingState & { lm: string })[] {
    return this.rows('lm', (s) => s.bindings).map(({ node, row }) => ({ ...row, lm: node }));
  }

  /** Every HAA lease, with the HAA holding it. */
  leases(): (HaaLeaseState & { haa: string })[] {
    return this.rows('haa', (s) => s.leases).map(({ node, row }) => ({ ...row, haa: node }));
  }

  /** Every mobile node an access router knows of, with the access router. */
  visitors(): (VisitorState & { ar: string })[] {
    return this.rows('ar', (s) => s.visitors).map(({ node, row }) => ({ ...row, ar: node }));
  }

  /** Every home prefix an MR holds state for, with the MR. */
  mrPrefixes(): (MrPrefixState & { mr: string })[] {
    return this.rows('mr', (s) => s.prefixes).map(({ node, row }) => ({ ...row, mr: node }));
  }

  /** Every reverse-tunnel rule an MR intends, with the MR. */
  /** Every home agent's exception to its access links' source check (a served node on one of them), with the MR. */
  servedSources(): { prefix: string; iface: string; mr: string }[] {
    return this.rows('mr', (s) => s.servedSources).map(({ node, row }) => ({ ...row, mr: node }));
  }

  reverseRules(): (ReverseRuleState & { mr: string })[] {
    return this.rows('mr', (s) => s.reverse).map(({ node, row }) => ({ ...row, mr: node }));
  }

  /** Every LM proxy entry, with the proxy MR. */
  proxyEntries(): (ProxyEntryState & { proxy: string })[] {
    return this.rows('mr', (s) => s.lmProxy).map(({ node, row }) => ({ ...row, proxy: node }));
  }

  /** The tunnels each MR has set up, by driver. */
  tunnels(): { mr: string; driver: string; peers: string[] }[] {
    return this.nodes.flatMap((node) => {
      const s = this.role(node, 'mr');
      return s ? [{ mr: node, driver: s.driver, peers: s.tunnelPeers }] : [];
    });
  }

  /** Where each mobile node is attached now, by its identifier (the access router that says so). */
  servingByMnId(): Map<string, string> {
    const out = new Map<string, string>();
    for (const v of this.visitors()) if (v.state === 'attached') out.set(v.mnId, v.ar);
    return out;
  }

  /** Which access router delivers each home prefix now (its node is attached there). */
  deliveringByPrefix(): Map<string, string> {
    const out = new Map<string, string>();
    for (const v of this.visitors()) if (v.state === 'attached') for (const p of v.prefixes) out.set(p.prefix, v.ar);
    return out;
  }

  /** Which mobile node holds each home prefix, from every state that says so (`name` maps identifiers to node names). */
  prefixOwners(name: (mnId: string) => string): Map<string, string> {
    const owners = new Map<string, string>();
    for (const b of this.bindings()) owners.set(b.prefix, name(b.mnId));
    for (const l of this.leases()) owners.set(l.prefix, name(l.mnId));
    for (const v of this.visitors()) for (const p of v.prefixes) owners.set(p.prefix, v.mn);
    return owners;
  }
}
