/** What this kernel can do, as the runtime found by trying it (Runtime.kernelFeatures). */
export interface KernelFeatures {
  ip6tnl: boolean;
  seg6: boolean;
  netem: boolean;
  tbf: boolean;
}
