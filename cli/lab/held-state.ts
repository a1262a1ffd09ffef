import type { LabStates } from './lab-states.js';

/** What one node holds for mobility: the entries that cost memory and lookups (the Chan framework's "state per node"). */
export interface HeldState {
  /** LM bindings (home prefix → serving MR or proxy). */
  bindings: number;
  /** HAA leases. */
  leases: number;
  /** MR entries per home prefix: anchored and served elsewhere, attached here, cached, or a handover context. */
  anchored: number;
  attached: number;
  cached: number;
  contexts: number;
  /** Anycast: other anchors' prefixes this MR announces and tunnels to them. */
  intercepted: number;
  /** Reverse-tunnel rules and tunnels (peers) the MR keeps. */
  reverseRules: number;
  tunnels: number;
  /** LM proxy entries (hierarchical LM). */
  proxyEntries: number;
}

const EMPTY: HeldState = {
  bindings: 0,
  leases: 0,
  anchored: 0,
  attached: 0,
  cached: 0,
  contexts: 0,
  intercepted: 0,
  reverseRules: 0,
  tunnels: 0,
  proxyEntries: 0,
};

/** Per node with anything held, from the agents' states (nodes holding nothing are left out). */
export function heldState(states: LabStates): Record<string, HeldState> {
  const out: Record<string, HeldState> = {};
  const at = (node: string) => (out[node] ??= { ...EMPTY });
  for (const b of states.bindings()) at(b.lm).bindings++;
  for (const l of states.leases()) at(l.haa).leases++;
  for (const p of states.mrPrefixes()) {
    const s = at(p.mr);
    if (p.attached) s.attached++;
    if (p.servedBy) s.anchored++;
    if (p.cachedAt) s.cached++;
    if (p.contextTo) s.contexts++;
    if (p.interceptedFor) s.intercepted++;
  }
  for (const r of states.reverseRules()) at(r.mr).reverseRules++;
  for (const e of states.proxyEntries()) at(e.proxy).proxyEntries++;
  for (const t of states.tunnels()) if (t.peers.length) at(t.mr).tunnels += t.peers.length;
  return out;
}
