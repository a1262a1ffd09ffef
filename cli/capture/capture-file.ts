/** One capture file of a run: what tcpdump wrote for one interface of one node. */
export interface CaptureFileRef {
  node: string;
  iface: string;
  path: string;
}
