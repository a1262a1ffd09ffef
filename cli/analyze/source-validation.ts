import type { Plan } from '../plan/types.js';
import { contains, parseAddress, parsePrefix, type Prefix } from '../../shared/ipv6.js';
import type { SourceValidation } from './types.js';

/** How many offending packets a run's analysis keeps as examples (all are counted). */
const EXAMPLES_KEPT = 20;

/**
 * Source-address validation (BCP 38) as a network with it would apply it to
 * the MRs' uplinks: a packet an MR sends out of a non-access interface
 * unencapsulated (one IPv6 header) must not carry a source address from a
 * home prefix another MR anchors; such a packet would be dropped by the
 * operator's ingress filters. Encapsulated packets (outer source: the MR)
 * and packets whose source the MR anchors itself pass. Access links are not
 * uplinks: an MR delivers anybody's packets to its mobile nodes.
 */
export class SourceValidator {
  private readonly anchors: { node: string; prefix: Prefix }[];
  private readonly mrs: Set<string>;
  private readonly anchorOf = new Map<string, string | null>();
  readonly result: SourceValidation = { checked: 0, violations: 0, examples: [] };

  constructor(plan: Plan) {
    this.anchors = plan.mobility.mrs.map((m) => ({ node: m.node, prefix: parsePrefix(m.anchor) }));
    this.mrs = new Set(plan.mobility.mrs.map((m) => m.node));
  }

  /** Whether packets leaving `node` by a non-access interface are checked. */
  watches(node: string): boolean {
    return this.mrs.has(node);
  }

  /** A native packet `node` sent out of `iface` (an uplink) at `t`. */
  sent(node: string, iface: string, t: number, src: string, dst: string): void {
    const anchor = this.anchor(src);
    if (anchor === null) return;
    this.result.checked++;
    if (anchor === node) return;
    this.result.violations++;
    if (this.result.examples.length < EXAMPLES_KEPT) this.result.examples.push({ t, node, iface, src, dst, anchor });
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
