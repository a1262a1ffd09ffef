import path from 'node:path';
import type { AgentEvent } from '../../shared/control/messages.js';
import { CaptureSession, exportPcapng } from '../capture/capture-session.js';
import { DmmlabError } from '../errors.js';
import { describeEvent } from '../output/format-event.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { NodeAccess } from '../runtime/runtime.js';
import { Journal } from '../state/journal.js';
import { labDir } from '../state/paths.js';
import { PcapCounter } from './pcap-count.js';
import type { CaptureStatus, TuiCapture } from './tui-lab.js';
import type { CaptureFileRef } from '../capture/capture-file.js';

/** The parts of cli/capture/capture-session.ts the TUI uses (injectable for tests). */
export interface CaptureBackend {
  start(opts: {
    plan: Plan;
    access: (node: PlanNode) => NodeAccess;
    dir: string;
    journal: Journal;
  }): Promise<{ readonly files: CaptureFileRef[]; stop(): Promise<CaptureFileRef[]> }>;
  exportPcapng(files: readonly CaptureFileRef[], output: string, events: { timestampNs: bigint; text: string }[]): Promise<unknown>;
}

const realBackend: CaptureBackend = {
  start: (opts) => CaptureSession.start(opts),
  exportPcapng: (files, output, events) => exportPcapng(files, output, events),
};

export interface CaptureAdapterOptions {
  plan: Plan;
  /** The way into the lab's nodes (its runtime's). */
  access: (node: PlanNode) => NodeAccess;
  /** Events to annotate the export with (the session's recent events). */
  events: () => AgentEvent[];
  monoToWallMs: number | undefined;
  /** Directory for the exported pcapng (default: the current directory). */
  exportDir?: string;
  backend?: CaptureBackend;
}

/**
 * The TUI's capture toggle over CaptureSession: every interface of the lab
 * into `/run/dmmlab/<lab>/captures/<time>/` (tcpdumps journaled, so destroy
 * stops them), a packet count read from the files as they grow, and export
 * to one pcapng in the current directory, annotated with the lab's events.
 */
export function captureAdapter(opts: CaptureAdapterOptions): TuiCapture & { close(): Promise<void> } {
  const backend = opts.backend ?? realBackend;
  let session: Awaited<ReturnType<CaptureBackend['start']>> | undefined;
  let starting: Promise<void> | undefined;
  let files: CaptureFileRef[] = [];
  let dir: string | undefined;
  let counter = new PcapCounter();
  let exported: string | undefined;
  /** Unix ms when the last capture started: the export is annotated with events from then on. */
  let since = 0;

  const stop = async () => {
    await starting?.catch(() => undefined);
    if (!session) return;
    const s = session;
    session = undefined;
    files = await s.stop();
  };

  return {
    async start() {
      if (session || starting) return;
      starting = (async () => {
        dir = path.join(labDir(opts.plan.lab), 'captures', stamp());
        counter = new PcapCounter();
        exported = undefined;
        since = Date.now() - 1000;
        session = await backend.start({ plan: opts.plan, access: opts.access, dir, journal: await Journal.open(opts.plan.lab) });
        files = session.files;
      })();
      try {
        await starting;
      } finally {
        starting = undefined;
      }
    },
    stop,
    async stats(): Promise<CaptureStatus> {
      const packets = await counter.count((session?.files ?? files).map((f) => f.path));
      const file = session ? dir : (exported ?? dir);
      return { on: Boolean(session), packets, ...(file ? { file } : {}) };
    },
    async export() {
      await stop();
      if (files.length === 0) throw new DmmlabError('E_USAGE', 'nothing captured yet: press c to start a capture first');
      const output = path.resolve(opts.exportDir ?? process.cwd(), `${opts.plan.lab}-${stamp()}.pcapng`);
      const offset = opts.monoToWallMs ?? 0;
      const events = opts
        .events()
        .filter((e) => !NOISE.has(e.kind) && (opts.monoToWallMs === undefined || e.t + offset >= since))
        .map((e) => ({ timestampNs: BigInt(Math.round((e.t + offset) * 1000)) * 1000n, text: `${e.node} ${e.kind} ${describeEvent(e)}` }));
      await backend.exportPcapng(files, output, events);
      exported = output;
      return output;
    },
    close: () => stop().catch(() => undefined),
  };
}

/** Events too frequent to annotate a capture with. */
const NOISE = new Set(['flow.stats', 'observer.filter']);

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}
