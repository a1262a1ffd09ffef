/**
 * The signalling-load model (docs/scale-out.md): how many Mobility Header
 * messages, and how many bytes, each LM, MR and anchor handles per second,
 * from the number of mobile nodes, their handover rate and the placement of
 * the mobility functions. Pure arithmetic, checked against the agents' own
 * counts on labs of growing size by bench/model.ts.
 *
 * One handover of a network-based mobile node between two MRs of its home
 * network, holding `h` home prefixes when it moves (draft-tu 4.2: a new one is
 * added at each move while old sessions keep theirs), costs:
 * - the home LM: 3 PBU/PBA exchanges with the new MR (the location of the
 *   prefixes already held, the binding of the new prefix, and the prefix list
 *   once complete; draft-tu 4.1 and 4.2);
 * - the previous MR: the context transfer HI/HAck with the new MR (RFC 5949,
 *   draft-tu 4.4);
 * - the anchors: flat DMM, a PBU/PBA with every anchor of a held prefix other
 *   than the previous MR (h − 1: the previous MR anchors the last prefix and
 *   hears of the move through HI); central anchoring (PMIPv6's LMA, Chan
 *   figure 2), two PBU/PBA with the LMA, one moving the held prefixes'
 *   binding to the new MAG and one for the new prefix the LMA anchors, or
 *   one when the node leaves the LMA's own cell (HI told it the rest);
 * - each correspondent MR caching the node's location (route optimisation by
 *   query, draft-tu 4.3): an LRI/LRA from the anchor.
 */

export type Placement = 'flat' | 'central';
export const PLACEMENTS: readonly Placement[] = ['flat', 'central'];

/** Mean sizes on the wire (bytes, IPv6 payload of UDP port 5436) of dmmlab's messages with one or two home-prefix options. */
export const MESSAGE_BYTES = { PBU: 116, PBA: 140, HI: 116, HAck: 116, LRI: 112, LRA: 88 } as const;
export type MessageName = keyof typeof MESSAGE_BYTES;

/** Where a message is handled: the node classes the model reports. */
export type NodeClass = 'lm' | 'newMr' | 'previousMr' | 'anchor' | 'correspondentMr';

/** One message of a handover: who sends it, who receives it. */
export interface ModelMessage {
  name: MessageName;
  from: NodeClass;
  to: NodeClass;
  count: number;
}

/**
 * The messages of one handover of a node holding `h` home prefixes with `c`
 * correspondent MRs caching it; `fromAnchor`: central anchoring, the node
 * leaves the anchor's own cell (a fraction, for expected values).
 */
export function handoverMessages(placement: Placement, h: number, c = 0, fromAnchor = 0): ModelMessage[] {
  const anchors = placement === 'flat' ? h - 1 : 2 - fromAnchor;
  const exchange = (req: MessageName, ack: MessageName, a: NodeClass, b: NodeClass, count: number): ModelMessage[] =>
    count > 0
      ? [
          { name: req, from: a, to: b, count },
          { name: ack, from: b, to: a, count },
        ]
      : [];
  return [
    ...exchange('PBU', 'PBA', 'newMr', 'lm', 3),
    ...exchange('HI', 'HAck', 'newMr', 'previousMr', 1),
    ...exchange('PBU', 'PBA', 'newMr', 'anchor', anchors),
    ...exchange('LRI', 'LRA', 'anchor', 'correspondentMr', c),
  ];
}

/** Messages and bytes a node class handles (sent plus received). */
export interface Load {
  messages: number;
  bytes: number;
}

/** Per node class, what one handover costs it (sent plus received). */
export function handoverLoad(placement: Placement, h: number, c = 0, fromAnchor = 0): Record<NodeClass, Load> {
  const out: Record<NodeClass, Load> = {
    lm: { messages: 0, bytes: 0 },
    newMr: { messages: 0, bytes: 0 },
    previousMr: { messages: 0, bytes: 0 },
    anchor: { messages: 0, bytes: 0 },
    correspondentMr: { messages: 0, bytes: 0 },
  };
  for (const m of handoverMessages(placement, h, c, fromAnchor)) {
    for (const side of [m.from, m.to]) {
      out[side].messages += m.count;
      out[side].bytes += m.count * MESSAGE_BYTES[m.name];
    }
  }
  return out;
}

export interface LoadParams {
  placement: Placement;
  /** Mobile nodes in the domain. */
  mns: number;
  /** Handovers per mobile node per second. */
  handoverRate: number;
  /** Local networks (each with one LM); mobile nodes are spread evenly over them. */
  networks: number;
  /** MRs per network. */
  mrsPerNetwork: number;
  /** Home prefixes a node holds when it moves (1 + the old sessions still running). */
  prefixes: number;
  /** Correspondent MRs caching each node's location (route optimisation by query). */
  correspondents?: number;
}

/** Messages and bytes per second at one LM, one MR (the mean over MRs) and one anchor. */
export interface LoadPrediction {
  params: LoadParams;
  /** Handovers per second in the domain, and per network. */
  handoversPerSecond: number;
  perLm: Load;
  /** Mean over every MR of the domain: new-MR, previous-MR, anchor and correspondent parts spread evenly. */
  perMr: Load;
  /** One anchor: flat DMM spreads anchoring over every MR (same as perMr's anchor part); central anchoring puts a network's on one MR. */
  perAnchor: Load;
  /** The whole domain (every message counted at both ends). */
  total: Load;
}

/** Steady-state load per node from the per-handover costs, with handovers spread evenly. */
export function predictLoad(p: LoadParams): LoadPrediction {
  const rate = p.mns * p.handoverRate;
  const perNet = rate / p.networks;
  // Central anchoring: a node leaves the anchor's own cell in one move out of mrsPerNetwork, on average.
  const per = handoverLoad(p.placement, p.prefixes, p.correspondents ?? 0, p.placement === 'central' ? 1 / p.mrsPerNetwork : 0);
  const scale = (l: Load, k: number): Load => ({ messages: l.messages * k, bytes: l.bytes * k });
  const add = (...ls: Load[]): Load => ({ messages: ls.reduce((s, l) => s + l.messages, 0), bytes: ls.reduce((s, l) => s + l.bytes, 0) });
  const mrShare = perNet / p.mrsPerNetwork;
  const mrParts = add(per.newMr, per.previousMr, per.anchor, per.correspondentMr);
  const anchorLoad = p.placement === 'central' ? scale(per.anchor, perNet) : scale(per.anchor, mrShare);
  const total = scale(
    Object.values(per).reduce((s, l) => add(s, l), { messages: 0, bytes: 0 }),
    rate / 2,
  );
  return {
    params: p,
    handoversPerSecond: rate,
    perLm: scale(per.lm, perNet),
    perMr: scale(mrParts, mrShare),
    perAnchor: anchorLoad,
    total,
  };
}

/** Predicted totals (sent plus received) per node class for a set of handovers, each with the prefixes its node held. */
export function predictCounts(
  placement: Placement,
  moves: readonly { prefixes: number; correspondents?: number; fromAnchor?: boolean }[],
): Record<NodeClass, Load> {
  const sum = handoverLoad(placement, 0);
  for (const k of Object.keys(sum) as NodeClass[]) sum[k] = { messages: 0, bytes: 0 };
  for (const m of moves) {
    const one = handoverLoad(placement, m.prefixes, m.correspondents ?? 0, m.fromAnchor ? 1 : 0);
    for (const k of Object.keys(sum) as NodeClass[]) {
      sum[k].messages += one[k].messages;
      sum[k].bytes += one[k].bytes;
    }
  }
  return sum;
}
