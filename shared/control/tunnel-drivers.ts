/**
 * The kernel datapaths an MR's tunnels can take; each puts the same 40-byte
 * outer IPv6 header (next header 41) on the wire. ip6tnl: ip6ip6 devices
 * (CONFIG_IPV6_TUNNEL). seg6: SRv6 encap.red with one segment and End.DX6
 * (CONFIG_IPV6_SEG6_LWTUNNEL). bpf: a route's BPF program pushes the header
 * and a tc program strips it (CONFIG_LWTUNNEL_BPF, CONFIG_NET_CLS_BPF), for
 * kernels built without either tunnel (shared/bpf/tunnel-programs.ts).
 */
export const TUNNEL_DRIVERS = ['ip6tnl', 'seg6', 'bpf'] as const;
export type TunnelDriverName = (typeof TUNNEL_DRIVERS)[number];
