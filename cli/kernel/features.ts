/** What this kernel can do, as the runtime found by trying it (Runtime.kernelFeatures). */
export interface KernelFeatures {
  ip6tnl: boolean;
  seg6: boolean;
  /** BPF programs on routes (lwt xmit) and on tc ingress: the bpf tunnel driver. */
  bpf: boolean;
  netem: boolean;
  tbf: boolean;
}
