import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encapVia } from '../../agent/kernel/bpf-files.js';
import { probeKernel } from '../../cli/runtime/host-namespace/kernel-probe.js';

let objects: string | undefined;

/**
 * The attributes of a route that puts IPv6-in-IPv6 on the wire from `local` to `remote` out of
 * `dev`, with whatever this kernel has: seg6 encap.red with one segment, else the bpf driver's
 * program (the same bytes). For tests that need tunnelled packets, not a particular driver.
 */
export async function encapRouteVia(local: string, remote: string, dev: string): Promise<string> {
  const f = await probeKernel();
  if (f.seg6) return `encap seg6 mode encap.red segs ${remote} dev ${dev}`;
  if (!f.bpf) throw new Error('this kernel has neither SRv6 nor BPF on routes: no way to send IPv6-in-IPv6 from a route');
  objects ??= mkdtempSync(path.join(tmpdir(), 'dmmlab-test-bpf-'));
  return encapVia(objects, local, remote, dev);
}
