import type { MrInfo } from '../../shared/control/agent-config.js';

/**
 * How an MR sends a home prefix to another MR through the kernel: the route
 * attributes that encapsulate towards `peer`, plus any device that must exist
 * first. Two drivers put the same 40-byte outer IPv6 header with next header
 * 41 on the wire: ip6tnl (ip6ip6, no encapsulation limit) and seg6 (encap.red
 * with one segment; End.DX6 decapsulates at the far end).
 */
export interface TunnelDriver {
  readonly name: 'ip6tnl' | 'seg6';
  /** `ip -batch` lines run once when the agent is configured. */
  setup(me: MrInfo): string[];
  /** Lines to run before the first route towards `peer` (empty once done), and the route attributes. */
  toward(peer: MrInfo): { prepare: string[]; via: string };
  /** Peers a tunnel exists to (for state and inspect). */
  peers(): string[];
  /** Lines that remove the tunnel to `peer` once no route uses it (a device left behind is stale state). */
  release(peer: string): string[];
}

/** The anchor device lightweight-tunnel routes hang off: a veth pair inside the node that nothing else touches. */
const ANCHOR_DEVICE = ['link add dmm0 type veth peer name dmm1', 'link set dmm0 up', 'link set dmm1 up'];

export class Seg6Driver implements TunnelDriver {
  readonly name = 'seg6' as const;
  private readonly used = new Set<string>();

  setup(me: MrInfo): string[] {
    return [
      ...ANCHOR_DEVICE,
      // Outer source = the MR's own address, as ip6tnl would use.
      `sr tunsrc set ${me.address}`,
      // The tunnel endpoint: strip the outer header and route the inner packet (policy rules included).
      `route add ${me.tunnelEndpoint}/128 encap seg6local action End.DX6 nh6 :: dev dmm0`,
    ];
  }

  toward(peer: MrInfo): { prepare: string[]; via: string } {
    this.used.add(peer.node);
    return { prepare: [], via: `encap seg6 mode encap.red segs ${peer.tunnelEndpoint} dev dmm0` };
  }

  peers(): string[] {
    return [...this.used];
  }

  release(peer: string): string[] {
    this.used.delete(peer);
    return [];
  }
}

export class Ip6tnlDriver implements TunnelDriver {
  readonly name = 'ip6tnl' as const;
  private readonly devices = new Map<string, { dev: string; remote: string }>();
  private me: MrInfo | undefined;

  setup(me: MrInfo): string[] {
    this.me = me;
    // The fallback device receives from peers this MR has no device for yet.
    return [...ANCHOR_DEVICE, 'link set ip6tnl0 up'];
  }

  toward(peer: MrInfo): { prepare: string[]; via: string } {
    const dev = `t-${peer.node}`;
    const known = this.devices.get(peer.node);
    if (known?.remote === peer.address) return { prepare: [], via: `dev ${dev}` };
    this.devices.set(peer.node, { dev, remote: peer.address });
    return {
      // MTU 1500: mobile nodes' full-size packets fit; the outer header takes the core's headroom.
      // A peer that moved (a Mobile IPv6 node's new care-of address) gets its device anew.
      prepare: [
        ...(known ? [`link del ${dev}`] : []),
        `link add ${dev} type ip6tnl mode ip6ip6 local ${this.me?.address ?? '::'} remote ${peer.address} encaplimit none hoplimit 64`,
        `link set ${dev} mtu 1500 up`,
      ],
      via: `dev ${dev}`,
    };
  }

  peers(): string[] {
    return [...this.devices.keys()];
  }

  release(peer: string): string[] {
    const known = this.devices.get(peer);
    this.devices.delete(peer);
    return known ? [`link del ${known.dev}`] : [];
  }
}

export function tunnelDriver(name: 'ip6tnl' | 'seg6'): TunnelDriver {
  return name === 'ip6tnl' ? new Ip6tnlDriver() : new Seg6Driver();
}
