import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Plan, PlanNode } from '../plan/types.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { CaptureSession, type CaptureTarget } from './capture-session.js';
import { exportPcapng } from './export-pcapng.js';
import type { LinkState } from './link-state.js';
import type { MergeResult } from './merge.js';
import { tcpdumpArgv, type TcpdumpSource } from './tcpdump-args.js';
import type { NodeAccess } from '../runtime/runtime.js';
import { TcpdumpProcess, TcpdumpStartError, type TcpdumpExit } from './tcpdump-process.js';

/** When a live capture ends, besides tcpdump ending by itself (`--count`, reader gone). */
export interface CaptureLimits {
  /** Ctrl-C. */
  signal?: AbortSignal;
  /** Stop after this long. */
  durationMs?: number;
  /** Each tcpdump exits after this many packets. */
  count?: number;
  /** pcap-filter expression. */
  filter?: string;
}

/**
 * One tcpdump in a node whose output is this process's stdout: pcap bytes
 * (`-w -`, for `| wireshark -k -i -`) or a text decode. A whole node is
 * captured with `-i any` (SLL2 frames carry the interface index; the text
 * decode names the interface); one interface with `-i <iface>`, or through
 * `any` filtered to its index when it is down (see capture-session.ts).
 */
export async function streamCapture(
  opts: CaptureLimits & { node: NodeAccess; iface?: LinkState; pcap: boolean; onStderr?: (text: string) => void },
): Promise<TcpdumpExit> {
  const start = (source: TcpdumpSource) =>
    TcpdumpProcess.start(
      opts.node.argv(
        tcpdumpArgv({
          source,
          ...(opts.pcap ? { write: '-' } : {}),
          ...(opts.count !== undefined ? { count: opts.count } : {}),
          ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
        }),
      ),
      {
        label: opts.iface ? `${opts.node.node.name}:${opts.iface.name}` : opts.node.node.name,
        stdout: 'inherit',
        ...(opts.onStderr ? { onStderr: opts.onStderr } : {}),
      },
    );
  const iface = opts.iface;
  let proc: TcpdumpProcess;
  if (!iface) proc = await start({ kind: 'any' });
  else if (!iface.up) proc = await start({ kind: 'any-ifindex', ifindex: iface.ifindex });
  else {
    // Taken down between our look and tcpdump's: capture it through "any" as if it had been down.
    proc = await start({ kind: 'device', iface: iface.name }).catch((e: unknown) => {
      if (e instanceof TcpdumpStartError && e.deviceDown) return start({ kind: 'any-ifindex', ifindex: iface.ifindex });
      throw e;
    });
  }
  await untilStopped(opts, proc.exited);
  return proc.stop();
}

/**
 * Captures each of `targets` into its own file (a CaptureSession in a
 * temporary directory) until stopped, then merges them into the pcapng
 * `output` with interfaces named `node:iface`. Ctrl-C ends the capture, not
 * the merge: the file is complete.
 */
export async function captureToPcapng(
  opts: CaptureLimits & { plan: Plan; access: (node: PlanNode) => NodeAccess; targets: CaptureTarget[]; output: string; progress?: Progress },
): Promise<MergeResult> {
  const progress = opts.progress ?? silentProgress;
  const dir = await mkdtemp(path.join(tmpdir(), `dmmlab-capture-${opts.plan.lab}-`));
  try {
    const session = await CaptureSession.start({
      plan: opts.plan,
      access: opts.access,
      dir,
      targets: opts.targets,
      progress,
      ...(opts.count !== undefined ? { count: opts.count } : {}),
      ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
    });
    progress.info(`capturing ${opts.targets.map((t) => `${t.node}:${t.iface}`).join(', ')}${opts.durationMs === undefined ? '; Ctrl-C stops' : ''}`);
    await untilStopped(opts, session.settled());
    const files = await session.stop();
    return await exportPcapng(files, opts.output, [], progress);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Resolves at the first of: `ended`, the signal, the duration. */
async function untilStopped(limits: CaptureLimits, ended: Promise<unknown>): Promise<void> {
  if (limits.signal?.aborted) return;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      ended,
      new Promise<void>((resolve) => {
        onAbort = resolve;
        limits.signal?.addEventListener('abort', onAbort, { once: true });
        if (limits.durationMs !== undefined) timer = setTimeout(resolve, limits.durationMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) limits.signal?.removeEventListener('abort', onAbort);
  }
}
