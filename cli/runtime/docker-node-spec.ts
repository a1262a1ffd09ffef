import type Dockerode from 'dockerode';
import type { PlanNode } from '../plan/types.js';

/** Labels that mark a container as a lab's node; cleanup and destroy find containers by them. */
export const LAB_LABEL = 'dmmlab.lab';
export const NODE_LABEL = 'dmmlab.node';
export const ROLES_LABEL = 'dmmlab.roles';

/** Sysctls the container starts with: IPv6 on, and forwarding as the plan says (routers forward). */
export function containerSysctls(node: PlanNode): Record<string, string> {
  const s: Record<string, string> = {
    'net.ipv6.conf.all.disable_ipv6': '0',
    // Interfaces moved in later (the veths) take their settings from `default`.
    'net.ipv6.conf.default.disable_ipv6': '0',
  };
  for (const key of ['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding']) {
    const v = node.sysctls[key];
    if (v !== undefined) s[key] = v;
  }
  return s;
}

/**
 * The create options of a node's container (pure): named like the node's
 * namespace, hostname = node name, labelled with lab, node and roles, no
 * Docker network (veths are created into it from the host), the lab directory
 * bind-mounted at the same path so agent sockets and logs are shared.
 */
export function containerSpec(
  lab: string,
  node: PlanNode,
  image: string,
  labDirectory: string,
  opts: { bpf?: boolean } = {},
): Dockerode.ContainerCreateOptions {
  return {
    name: node.netns,
    Hostname: node.name,
    Image: image,
    Labels: { [LAB_LABEL]: lab, [NODE_LABEL]: node.name, [ROLES_LABEL]: node.roles.join(',') },
    Env: [`DMMLAB_LAB=${lab}`, `DMMLAB_NODE=${node.name}`],
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    // No Docker networking at all: runc still gives the container a network namespace of its own
    // (lo only), but dockerd sets up no libnetwork sandbox and runs no prestart hook (a re-exec of
    // dockerd per container), which halves `start` (bench/deploy.ts). NetworkMode says the same.
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      // NET_ADMIN: addresses, routes, rules, ip6tnl/seg6 tunnels, tc; NET_RAW: ping, tcpdump, radvd's
      // raw ICMPv6 socket. Nothing more: sysctls are set at create time and, per interface, from the
      // host through nsenter, so the agent needs no SYS_ADMIN (no mounts, no writable /proc/sys).
      // The bpf tunnel driver loads BPF programs (tc, routes): CAP_BPF, which this Docker (20.10) does
      // not know by name, so SYS_ADMIN, which also lets tc mount its BPF file system in the container.
      CapAdd: ['NET_ADMIN', 'NET_RAW', ...(opts.bpf ? ['SYS_ADMIN'] : [])],
      Sysctls: containerSysctls(node),
      Binds: [`${labDirectory}:${labDirectory}:rw`],
      Init: false,
      AutoRemove: false,
      RestartPolicy: { Name: 'no' },
    },
  };
}
