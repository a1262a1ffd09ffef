import type { Plan, PlanInterface } from '../plan/types.js';

/** Where a packet was seen: one interface of one node, and the link it belongs to. */
export interface CapturePoint {
  /** Position in `CapturePoints.list`. */
  index: number;
  /** `node:iface`. */
  name: string;
  /** Node the interface is in. */
  node: string;
  /** Interface name (the peer node's name for planned links). */
  iface: string;
  /** The node at the other end of the link (undefined for interfaces the plan does not know: lo, dmm0, t-*). */
  peer?: string;
  /** Plan link id. */
  link?: string;
  /** An access link (mobile node radio). */
  access: boolean;
  /** MAC of this interface and of the peer's, as 48-bit numbers (to tell sent from received frames). */
  ownMac?: number;
  peerMac?: number;
}

/** Direction of a frame on a point: 1 sent by the point's node, 2 received by it, 0 unknown. */
export type Direction = 0 | 1 | 2;
export const DIR_UNKNOWN = 0;
export const DIR_OUT = 1;
export const DIR_IN = 2;

/** The capture points of a run, found by `node:iface` name or by interface index (tcpdump -i any). */
export class CapturePoints {
  /** Every point used so far, by index. */
  readonly list: CapturePoint[] = [];
  private readonly byName = new Map<string, CapturePoint>();
  private readonly byIfindex = new Map<number, { node: string; iface: string }>();
  private readonly ifaces = new Map<string, { node: string; iface: PlanInterface }>();

  constructor(plan: Plan) {
    for (const n of plan.nodes) {
      for (const i of n.interfaces) {
        this.ifaces.set(`${n.name}:${i.name}`, { node: n.name, iface: i });
        this.byIfindex.set(i.ifindex, { node: n.name, iface: i.name });
      }
    }
  }

  /** The point for `node:iface`, created on first use. */
  get(node: string, iface: string): CapturePoint {
    const name = `${node}:${iface}`;
    let p = this.byName.get(name);
    if (p) return p;
    const planned = this.ifaces.get(name);
    const i = planned?.iface;
    const peerIface = i ? this.ifaces.get(`${i.peer.node}:${i.peer.iface}`)?.iface : undefined;
    p = { index: this.list.length, name, node, iface, access: i?.kind === 'access' };
    if (i) {
      p.peer = i.peer.node;
      p.link = i.link;
      p.ownMac = macNumber(i.mac);
      if (peerIface) p.peerMac = macNumber(peerIface.mac);
    }
    this.list.push(p);
    this.byName.set(name, p);
    return p;
  }

  /** The point of a planned interface index (SLL2 frames of `tcpdump -i any` carry it). */
  byInterfaceIndex(ifindex: number): CapturePoint | undefined {
    const f = this.byIfindex.get(ifindex);
    return f ? this.get(f.node, f.iface) : undefined;
  }

  /** Whether `node:iface` is an interface of the plan. */
  planned(name: string): boolean {
    return this.ifaces.has(name);
  }
}

/** A MAC address text as a 48-bit number (NaN when it is not one). */
export function macNumber(mac: string): number {
  return parseInt(mac.replace(/[:-]/g, ''), 16);
}

/** The 6 bytes at `offset` as a 48-bit number. */
export function macAt(d: Uint8Array, offset: number): number {
  return (
    ((d[offset] as number) * 0x10000 + (((d[offset + 1] as number) << 8) | (d[offset + 2] as number))) * 0x1000000 +
    (((d[offset + 3] as number) << 16) | ((d[offset + 4] as number) << 8) | (d[offset + 5] as number))
  );
}

/**
 * Direction of an Ethernet frame on `p`: sent if its source MAC is the interface's
 * own (or its destination the peer's), received if its source is the peer's (or
 * its destination the interface's own); unknown otherwise (multicast from elsewhere).
 */
export function ethernetDirection(p: CapturePoint, frame: Uint8Array): Direction {
  if (p.ownMac === undefined || frame.length < 12) return DIR_UNKNOWN;
  const src = macAt(frame, 6);
  if (src === p.ownMac) return DIR_OUT;
  if (src === p.peerMac) return DIR_IN;
  const dst = macAt(frame, 0);
  if (dst === p.ownMac) return DIR_IN;
  if (dst === p.peerMac) return DIR_OUT;
  return DIR_UNKNOWN;
}

/** Direction from a Linux cooked header's packet type (4: sent by us). */
export function cookedDirection(packetType: number | undefined): Direction {
  if (packetType === undefined) return DIR_UNKNOWN;
  return packetType === 4 ? DIR_OUT : DIR_IN;
}
