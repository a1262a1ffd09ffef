import type { MrInfo } from '../../../shared/control/agent-config.js';
import type { MhMessage } from '../../../shared/protocol/index.js';
import type { MrDatapath } from './datapath.js';

/** What the MR asks of the access router on the same node (flat DMM co-locates them). */
export interface AccessView {
  /** Home prefixes of the mobile nodes attached on this node's access links now. */
  attachedPrefixes(): string[];
  /** A prefix of an attached node was revoked (its lease ran out, or its binding went). */
  prefixRevoked(prefix: string): void;
}

/**
 * The MR as the access router on its node sees it: the prefix datapath they
 * share, the anchor's lease keeping, and the LM proxy relay. The AR gets
 * this interface, never the MrRole class, and connects its own view back.
 */
export interface MrPort {
  readonly me: MrInfo;
  readonly datapath: MrDatapath;
  /** This MR's LM proxy part (hierarchical LM entries), if it is its network's proxy. */
  readonly lmProxy: { relays(m: MhMessage, from: string): boolean; relay(m: MhMessage, from: string): Promise<MhMessage> } | undefined;
  /** Keeps the lease of a prefix anchored here alive while it is in use. */
  trackLease(prefix: string, mnId: string, lifetimeS: number): void;
  /** Drops an anchored prefix: its route, and its lease at the HAA. */
  releaseAnchored(prefix: string, mnId: string | undefined, why: string): Promise<void>;
  /** Re-derives what the traffic observer watches (after attachments, handovers, releases). */
  refreshObserver(): void;
  /** The access router on this node tells the MR what it needs to know of its links. */
  connectAccess(view: AccessView): void;
}
