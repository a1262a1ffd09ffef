import type { Plan } from '../plan/types.js';
import type { CaptureData, Sighting } from './capture-data.js';
import { DIR_IN, DIR_OUT } from './capture-points.js';

/**
 * Where a flow endpoint's packets are counted: on each of its links, the capture
 * on the endpoint's own interface if there is one, else the one on the peer's
 * interface (a mobile node's radio that is down when the run starts cannot be
 * captured on the node, only on the access router). Exactly one capture per
 * link, so a packet crossing a link is counted once there.
 */
export interface EndpointPoints {
  /** The endpoint. */
  node: string;
  /** Capture point index → which side of the link it is on. */
  points: Map<number, 'own' | 'peer'>;
  /** Links of the endpoint with no capture on either side. */
  uncaptured: { peer: string; access: boolean }[];
  /** Whether the plan knows the node. */
  known: boolean;
}

export function endpointPoints(plan: Plan, data: CaptureData, node: string): EndpointPoints {
  const out: EndpointPoints = { node, points: new Map(), uncaptured: [], known: false };
  const n = plan.nodes.find((x) => x.name === node);
  if (!n) return out;
  out.known = true;
  for (const i of n.interfaces) {
    const own = data.points.get(node, i.name);
    const peer = data.points.get(i.peer.node, i.peer.iface);
    if (data.captured.has(own.index)) out.points.set(own.index, 'own');
    else if (data.captured.has(peer.index)) out.points.set(peer.index, 'peer');
    else out.uncaptured.push({ peer: i.peer.node, access: i.kind === 'access' });
  }
  return out;
}

/** Whether sighting `s` is the packet leaving the endpoint (unknown directions count). */
export function leaves(e: EndpointPoints, s: Sighting): boolean {
  const side = e.points.get(s.point);
  if (side === undefined) return false;
  return side === 'own' ? s.dir !== DIR_IN : s.dir !== DIR_OUT;
}

/** Whether sighting `s` is the packet arriving at the endpoint (unknown directions count). */
export function arrives(e: EndpointPoints, s: Sighting): boolean {
  const side = e.points.get(s.point);
  if (side === undefined) return false;
  return side === 'own' ? s.dir !== DIR_OUT : s.dir !== DIR_IN;
}
