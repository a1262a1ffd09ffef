import type { Plan } from '../plan/types.js';
import { contains, linkLocalFromMac, parseAddress, parsePrefix, type Prefix } from '../../shared/ipv6.js';
import { canonicalOr } from './flow-keys.js';
import type { FlowRecord } from '../scenario/run-log.js';

/** A home prefix a mobile node was seen to hold (an HNP option next to its MN identifier). */
export interface HeldPrefix {
  /** The prefix, with its length. */
  prefix: string;
  /** The mobile node (plan name) whose identifier came with it. */
  mn: string;
}

/**
 * Address → node. In this order (the first that knows an address wins):
 * 1. the plan: loopbacks, infrastructure link addresses, MR tunnel endpoints,
 *    link-local addresses derived from every interface's MAC;
 * 2. the flows as started: source → `from`, destination → `to`;
 * 3. addresses seen on access links sent by or to a mobile node;
 * 4. home prefixes seen in signalling next to a mobile node's identifier, and
 *    Mobile IPv6 care-of prefixes (each its cell's mobile node's).
 */
export class AddressBook {
  private readonly known = new Map<string, string>();
  private readonly prefixes: { prefix: Prefix; mn: string }[] = [];

  constructor(plan: Plan, flows: readonly FlowRecord[], seen: ReadonlyMap<string, string>, held: readonly HeldPrefix[] = []) {
    const add = (addr: string | undefined, node: string) => {
      if (addr === undefined || addr === '') return;
      const a = canonicalOr(addr.split('/')[0] as string);
      if (!this.known.has(a)) this.known.set(a, node);
    };
    for (const n of plan.nodes) {
      add(n.loopback, n.name);
      add(n.tunnelEndpoint, n.name);
      for (const i of n.interfaces) {
        for (const a of i.addresses) add(a, n.name);
        try {
          add(linkLocalFromMac(i.mac), n.name);
        } catch {
          // not a MAC: no link-local address to derive
        }
      }
    }
    for (const d of plan.mobility.domain) {
      if (d.lm) add(d.lm.address, d.lm.node);
      if (d.haa) add(d.haa.address, d.haa.node);
    }
    for (const f of flows) {
      add(f.source, f.from);
      add(f.destination, f.to);
    }
    for (const [a, mn] of seen) add(a, mn);
    // A Mobile IPv6 care-of prefix is its cell's: every address in it is the cell's mobile node's.
    for (const n of plan.nodes) for (const i of n.interfaces) if (i.careOf) this.prefixes.push({ prefix: parsePrefix(i.careOf), mn: i.peer.node });
    for (const h of held) {
      try {
        this.prefixes.push({ prefix: parsePrefix(h.prefix), mn: h.mn });
      } catch {
        // not a prefix
      }
    }
  }

  /** The node that owns `address`, if anything says so. */
  nodeOf(address: string): string | undefined {
    const a = canonicalOr(address);
    const n = this.known.get(a);
    if (n !== undefined || this.prefixes.length === 0) return n;
    try {
      const v = parseAddress(a);
      return this.prefixes.find((p) => contains(p.prefix, v))?.mn;
    } catch {
      return undefined;
    }
  }
}
