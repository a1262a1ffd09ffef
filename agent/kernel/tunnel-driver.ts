import type { MrInfo } from '../../shared/control/agent-config.js';
import { decapTcLines, encapVia } from './bpf-files.js';
import type { TunnelDriverName } from '../../shared/control/tunnel-drivers.js';

/**
 * How an MR sends a home prefix to another MR through the kernel: the route
 * attributes that encapsulate towards `peer`, plus any device that must exist
 * first. Three drivers put the same 40-byte outer IPv6 header with next header
 * 41 on the wire: ip6tnl (ip6ip6, no encapsulation limit), seg6 (encap.red
 * with one segment; End.DX6 decapsulates at the far end) and bpf (a route's
 * program pushes the header, a tc program strips it).
 */
export interface TunnelDriver {
  readonly name: TunnelDriverName;
  /** `ip -batch` lines run once when the agent is configured. */
  setup(me: MrInfo): string[];
  /** `tc -batch` lines run once after `setup`'s. */
  setupTc(me: MrInfo): string[];
  /** Lines to run before the first route towards `peer` (empty once done), and the route attributes. */
  toward(peer: MrInfo): { prepare: string[]; via: string };
  /** Peers a tunnel exists to (for state and inspect). */
  peers(): string[];
  /** Lines that remove the tunnel to `peer` once no route uses it (a device left behind is stale state). */
  release(peer: string): string[];
}

/** The anchor device lightweight-tunnel routes hang off: a veth pair inside the node that nothing else touches. */
export const ANCHOR_DEVICE: readonly string[] = ['link add dmm0 type veth peer name dmm1', 'link set dmm0 up', 'link set dmm1 up'];

export class Seg6Driver implements TunnelDriver {
  readonly name = 'seg6' as const;
  private readonly used = new Set<string>();

  setupTc(): string[] {
    return [];
  }

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

  setupTc(): string[] {
    return [];
  }

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

/** The MAC of `dmm1` under the bpf driver: the next hop of what the MR decapsulates (see BpfDriver). */
export const DECAP_MAC = '02:00:64:6d:6d:31';

/** The first id of the bpf driver's nexthop objects (one per peer). */
export const NEXTHOP_BASE = 5436;

/**
 * Routes through a nexthop object per peer whose BPF program (an object file
 * per peer, under the agent's work directory) pushes the outer header,
 * sourced from the MR's address, towards the peer's tunnel end; the kernel
 * then routes the packet by its new destination. The program is loaded once,
 * when the nexthop is made (every other MR's at start): a route naming the
 * nexthop costs what any route does, where one carrying the program itself
 * would load it again. At the far end the tunnel end is routed into `dmm0`
 * (after the prerouting hook, so the traffic observer sees the outer header,
 * as it does with End.DX6), a tc program on `dmm0`'s egress strips the outer
 * header, and the inner packet arrives on `dmm1`, the veth's other end, to be
 * routed as any other. Programs live as long as the nexthops and filters that
 * hold them: nothing pinned, nothing left when the node goes.
 */
export class BpfDriver implements TunnelDriver {
  readonly name = 'bpf' as const;
  private readonly used = new Set<string>();
  /** Nexthop per peer node: its id and the tunnel end its program encapsulates to. */
  private readonly nexthops = new Map<string, { id: number; tep: string }>();
  /** Peers whose nexthop was made at start (the domain's MRs): kept for the agent's life, like dmm0. */
  private readonly permanent = new Set<string>();
  private nextId = NEXTHOP_BASE;
  private me: MrInfo | undefined;

  constructor(
    private readonly workDir: string,
    /** Every MR of the domain: their nexthops are made at setup, off the handover's path. */
    private readonly known: readonly MrInfo[] = [],
  ) {}

  setup(me: MrInfo): string[] {
    this.me = me;
    const nexthops = this.known.filter((p) => p.node !== me.node).flatMap((p) => this.nexthop(p));
    for (const p of this.known) if (p.node !== me.node) this.permanent.add(p.node);
    return [
      `link add dmm0 type veth peer name dmm1 address ${DECAP_MAC}`,
      'link set dmm0 up',
      'link set dmm1 up',
      // The encapsulated packet is 40 bytes over the veth's MTU until its header goes on egress.
      `route replace ${me.tunnelEndpoint}/128 dev dmm0 mtu lock 65535`,
      `neigh replace ${me.tunnelEndpoint} lladdr ${DECAP_MAC} dev dmm0 nud permanent`,
      ...nexthops,
    ];
  }

  setupTc(me: MrInfo): string[] {
    return decapTcLines(this.workDir, 'dmm0', 'egress', me.tunnelEndpoint);
  }

  /** The lines that make (or point anew) `peer`'s nexthop; none when it is as wanted. */
  private nexthop(peer: MrInfo): string[] {
    const known = this.nexthops.get(peer.node);
    if (known?.tep === peer.tunnelEndpoint) return [];
    const id = known?.id ?? this.nextId++;
    this.nexthops.set(peer.node, { id, tep: peer.tunnelEndpoint });
    return [`nexthop replace id ${id} ${encapVia(this.workDir, this.me?.address ?? '::', peer.tunnelEndpoint, 'dmm0')}`];
  }

  toward(peer: MrInfo): { prepare: string[]; via: string } {
    this.used.add(peer.node);
    const prepare = this.nexthop(peer);
    return { prepare, via: `nhid ${this.nexthops.get(peer.node)!.id}` };
  }

  peers(): string[] {
    return [...this.used];
  }

  release(peer: string): string[] {
    this.used.delete(peer);
    const known = this.nexthops.get(peer);
    if (!known || this.permanent.has(peer)) return [];
    this.nexthops.delete(peer);
    return [`nexthop del id ${known.id}`];
  }
}

export function tunnelDriver(name: TunnelDriverName, workDir = '.', known: readonly MrInfo[] = []): TunnelDriver {
  if (name === 'ip6tnl') return new Ip6tnlDriver();
  if (name === 'bpf') return new BpfDriver(workDir, known);
  return new Seg6Driver();
}
