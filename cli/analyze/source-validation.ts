import type { Plan } from '../plan/types.js';
import { contains, parseAddress, parsePrefix, type Prefix } from '../../shared/ipv6.js';
import type { SourceValidation } from './types.js';

/** How many offending packets a run's analysis keeps as examples (all are counted). */
const EXAMPLES_KEPT = 20;

/**
 * Source-address validation (BCP 38) as a network with it would apply it to
 * the MRs' uplinks: a packet a mobile node sent to an MR on an access link
 * and that the MR then sends out of a non-access interface unencapsulated
 * (one IPv6 header) must not carry a source address from a home prefix
 * another MR anchors; the operator's ingress filters would drop it.
 * Encapsulated packets (outer source: the MR) and packets whose source the
 * MR anchors itself pass. Native packets with a foreign source that did not
 * come from an access link (the MR decapsulated them, or routed them as a
 * plain router of the core) are no uplink: they are counted apart
 * (`forwarded`). Packets are matched by their inner addresses and a hash of
 * their transport payload; captures arrive file by file, so the sorting
 * happens once all are read. With migrating home agents every home agent
 * anchors the prefixes of all of them (anycast), so their sources pass at any.
 */
export class SourceValidator {
  private readonly anchors: { node: string; prefix: Prefix }[];
  private readonly mrs: Set<string>;
  /** Migrating home agents: each anchors the home prefixes of all. */
  private readonly homeAgents: Set<string>;
  private readonly anchorOf = new Map<string, string | null>();
  /** Per MR, the fingerprints of packets that entered it from an access link. */
  private readonly fromAccess = new Map<string, Set<string>>();
  private readonly candidates: { t: number; node: string; iface: string; src: string; dst: string; anchor: string; key: string }[] = [];
  private checked = 0;
  private sorted: SourceValidation | undefined;

  constructor(plan: Plan) {
    this.anchors = plan.mobility.mrs.map((m) => ({ node: m.node, prefix: parsePrefix(m.anchor) }));
    this.mrs = new Set(plan.mobility.mrs.map((m) => m.node));
    this.homeAgents = new Set(plan.mobility.homeAgents === 'migrating' ? plan.mobility.domain.flatMap((n) => (n.anchor ? [n.anchor] : [])) : []);
  }

  /** Whether packets leaving `node` by a non-access interface are checked. */
  watches(node: string): boolean {
    return this.mrs.has(node);
  }

  /** A packet (by fingerprint) entered MR `node` from one of its access links. */
  entered(node: string, key: string): void {
    let s = this.fromAccess.get(node);
    if (!s) this.fromAccess.set(node, (s = new Set()));
    s.add(key);
  }

  /** A native packet `node` sent out of `iface` (a non-access interface) at `t`. */
  sent(node: string, iface: string, t: number, src: string, dst: string, key: string): void {
    const anchor = this.anchor(src);
    if (anchor === null) return;
    this.checked++;
    if (anchor !== node && !(this.homeAgents.has(node) && this.homeAgents.has(anchor))) this.candidates.push({ t, node, iface, src, dst, anchor, key });
    this.sorted = undefined;
  }

  get result(): SourceValidation {
    if (this.sorted) return this.sorted;
    const r: SourceValidation = { checked: this.checked, violations: 0, forwarded: 0, examples: [], forwardedExamples: [] };
    for (const { key, ...c } of this.candidates.sort((a, b) => a.t - b.t)) {
      if (!this.fromAccess.get(c.node)?.has(key)) {
        r.forwarded++;
        if (r.forwardedExamples.length < EXAMPLES_KEPT) r.forwardedExamples.push(c);
        continue;
      }
      r.violations++;
      if (r.examples.length < EXAMPLES_KEPT) r.examples.push(c);
    }
    this.sorted = r;
    return r;
  }

  /** The MR anchoring the prefix that holds `address`, null when it is no home address. */
  private anchor(address: string): string | null {
    let a = this.anchorOf.get(address);
    if (a !== undefined) return a;
    let bits: bigint | undefined;
    try {
      bits = parseAddress(address);
    } catch {
      bits = undefined;
    }
    a = bits === undefined ? null : (this.anchors.find((x) => contains(x.prefix, bits))?.node ?? null);
    this.anchorOf.set(address, a);
    return a;
  }
}
