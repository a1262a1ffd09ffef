import type { Progress } from '../util/progress.js';
import { mergeCaptures, type MergeEvent, type MergeResult } from './merge.js';
import type { CaptureFileRef } from './capture-file.js';

/**
 * Merges a run's per-interface captures into one pcapng whose interfaces are
 * named `node:iface`, with the run's events as packet comments where they
 * happened and as packets on a `dmmlab:events` interface (see merge.ts).
 * A file whose tcpdump was killed mid-write keeps everything before the cut.
 */
export function exportPcapng(files: readonly CaptureFileRef[], output: string, events: readonly MergeEvent[], progress?: Progress): Promise<MergeResult> {
  return mergeCaptures({
    inputs: files.map((f) => ({ path: f.path, interfaceName: `${f.node}:${f.iface}` })),
    output,
    events,
    truncated: 'stop',
    ...(progress ? { progress } : {}),
  });
}
