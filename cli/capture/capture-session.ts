import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DmmlabError, errorText } from '../errors.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { NodeAccess } from '../runtime/runtime.js';
import type { Journal } from '../state/journal.js';
import { mapLimit } from '../util/exec.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { nodeLinks, type LinkState } from './link-state.js';
import { PCAP_BUFFER_TIMEOUT_MS, tcpdumpArgv, type TcpdumpSource } from './tcpdump-args.js';
import { TcpdumpProcess, TcpdumpStartError } from './tcpdump-process.js';
import type { CaptureFileRef } from './capture-file.js';
import { processStartTime } from '../util/processes.js';

export { exportPcapng } from './export-pcapng.js';

/** One interface to capture. */
export interface CaptureTarget {
  node: string;
  iface: string;
}

export interface CaptureSessionOptions {
  /** The lab's plan (node.interfaces). */
  plan: Plan;
  /** The way into a node (its runtime's NodeAccess): tcpdump runs inside it, its files land on this host. */
  access: (node: PlanNode) => NodeAccess;
  /** Where per-interface files go: `<dir>/<node>_<iface>.pcap` (created if missing). */
  dir: string;
  /** Default: every interface of every node in the plan (infrastructure and access links; never lo). */
  targets?: CaptureTarget[];
  /** Snap length (default 262144). */
  snaplen?: number;
  /** Every tcpdump is recorded here (kind 'process') before it is relied on, and forgotten once it exits, so destroy/cleanup stop it after a crash. */
  journal?: Journal;
  progress?: Progress;
  /** pcap-filter expression applied to every interface. */
  filter?: string;
  /** Each tcpdump exits by itself after this many packets (`-c`). */
  count?: number;
  /** The kernel sends tcpdump SIGTERM when this process dies (setpriv --pdeathsig; default true). */
  dieWithParent?: boolean;
  /** tcpdumps started at once (default 16). */
  concurrency?: number;
  /**
   * Capture in blocks rather than packet by packet (tcpdump without
   * --immediate-mode): dozens of tcpdumps then wake a few times a second
   * instead of once per packet, which keeps them from competing with the
   * agents for the CPU while an experiment is timed. `stop` waits out the
   * buffer timeout so that the last block lands. Default false.
   */
  batched?: boolean;
  /** How long `stop` lets packets still in flight land before SIGTERM (default 200 ms, batched: the buffer timeout plus 100 ms). */
  drainMs?: number;
  /** How long one tcpdump may take to say "listening on" (default 10 s). */
  readyTimeoutMs?: number;
}

/**
 * A mobile node's radio: handovers take it down and up. libpcap on a device
 * that went down polls for its return in a loop; measured on a figure-5
 * handover, the tcpdump on the radio the node left took a core at close to
 * 100 % for most of the second after it, in the middle of the signalling on
 * two cores. `-i any` never goes down, so radios are always captured through it.
 */
function isRadio(node: PlanNode, iface: string): boolean {
  return node.roles.includes('mn') && node.interfaces.some((i) => i.name === iface && i.kind === 'access');
}

interface Capture {
  ref: CaptureFileRef;
  source: TcpdumpSource;
  proc: TcpdumpProcess;
}

/**
 * tcpdump on many interfaces of a running lab, each inside its node (entered
 * through the runtime's NodeAccess), so the same code captures the nodes of
 * every runtime and every file lands on a host path.
 *
 * Interfaces that are administratively down at start (a mobile node's radios
 * that are not attached, a wired link taken down) cannot be opened: libpcap
 * refuses with "That device is not up". Once open, a capture survives the
 * device going down and up again, but spins while it is down (`isRadio`). For
 * those, and for every radio of a mobile node, we run
 * `tcpdump -i any` in the node filtered to the interface's index (`ifindex N`,
 * libpcap ≥ 1.10): the capture is live before the radio comes up, so the very
 * first packets of an attachment (DAD, router solicitation, MLD reports, the
 * RA, the first binding) are in the file, under the MN's own `node:iface`,
 * while the access router's end (up, merely without carrier) is captured
 * normally. Wireshark then shows the radio link from both ends. The price is
 * the link type: those files carry Linux cooked v2 (SLL2) frames, which keep
 * direction, interface index and the sender's MAC but not the Ethernet
 * header. Waiting for the link to come up and starting tcpdump then would lose
 * exactly those first packets; capturing only the AR's end would hide the MN's.
 */
export class CaptureSession {
  private readonly captures: Capture[] = [];
  private readonly gone = new Set<number>();
  private forgetting: Promise<void> = Promise.resolve();
  private stopping: Promise<CaptureFileRef[]> | undefined;
  private readonly progress: Progress;
  /** Milliseconds from `start` being called until every tcpdump was listening. */
  startMs = 0;

  private constructor(private readonly opts: CaptureSessionOptions) {
    this.progress = opts.progress ?? silentProgress;
  }

  /** Starts every capture; resolves once each tcpdump is listening. On failure stops those started and throws naming every `node:iface` that failed. */
  static async start(opts: CaptureSessionOptions): Promise<CaptureSession> {
    const t0 = performance.now();
    const session = new CaptureSession(opts);
    const targets = opts.targets ?? defaultTargets(opts.plan);
    const nodes = resolveNodes(opts.plan, targets);
    await mkdir(opts.dir, { recursive: true });
    const live = new Map(await mapLimit([...nodes.values()], 8, async (n) => [n.name, await nodeLinks(opts.access(n))] as const));
    checkInterfaces(targets, live);

    const progress = session.progress;
    progress.phase(`capture: starting ${targets.length} tcpdump${targets.length === 1 ? '' : 's'}`, targets.length);
    const failures: unknown[] = [];
    const started = await mapLimit(targets, opts.concurrency ?? 16, async (t) => {
      if (failures.length > 0) return undefined; // stop starting more once one failed
      try {
        const capture = await session.startOne(nodes.get(t.node) as PlanNode, t.iface, live.get(t.node)?.get(t.iface) as LinkState);
        progress.tick();
        return capture;
      } catch (e) {
        failures.push(e);
        return undefined;
      }
    });
    session.captures.push(...started.filter((c): c is Capture => c !== undefined)); // in the order of targets
    if (failures.length > 0) {
      await session.stop();
      progress.done('failed');
      if (failures.length === 1) throw failures[0];
      throw new DmmlabError('E_RUNTIME', `${failures.length} captures did not start:\n${failures.map((f) => `  - ${errorText(f)}`).join('\n')}`);
    }
    session.startMs = performance.now() - t0;
    const viaAny = session.captures.filter((c) => c.source.kind === 'any-ifindex').map((c) => `${c.ref.node}:${c.ref.iface}`);
    progress.done(
      `${targets.length} captures listening in ${Math.round(session.startMs)} ms${viaAny.length ? ` (radios and links down at start, captured through "any": ${viaAny.join(', ')})` : ''}`,
    );
    return session;
  }

  /** The per-interface files (all of them, whether or not their tcpdump still runs). */
  get files(): CaptureFileRef[] {
    return this.captures.map((c) => ({ ...c.ref }));
  }

  /** tcpdumps still running, files, and bytes written to them so far. */
  stats(): { running: number; files: number; bytes: number } {
    let bytes = 0;
    for (const c of this.captures) {
      try {
        bytes += statSync(c.ref.path).size;
      } catch {
        // not created yet
      }
    }
    return { running: this.captures.filter((c) => c.proc.running).length, files: this.captures.length, bytes };
  }

  /** Resolves when every tcpdump has exited (with `count`, once each has its packets). */
  async settled(): Promise<void> {
    await Promise.all(this.captures.map((c) => c.proc.exited));
  }

  /** Lets the last packets land, stops every tcpdump (SIGTERM: each flushes and closes its file), waits for all, and returns the files. Idempotent. */
  stop(): Promise<CaptureFileRef[]> {
    this.stopping ??= (async () => {
      if (this.captures.some((c) => c.proc.running))
        await new Promise((r) => setTimeout(r, this.opts.drainMs ?? (this.opts.batched ? PCAP_BUFFER_TIMEOUT_MS + 100 : 200)));
      const exits = await Promise.all(this.captures.map((c) => c.proc.stop()));
      exits.forEach((x, i) => {
        if (x.signal === 'SIGKILL')
          this.progress.warn(`tcpdump on ${this.captures[i]?.ref.node}:${this.captures[i]?.ref.iface} had to be killed; its file may end in a cut packet`);
      });
      await this.forgetting;
      return this.files;
    })();
    return this.stopping;
  }

  private async startOne(node: PlanNode, iface: string, link: LinkState): Promise<Capture> {
    const ref: CaptureFileRef = { node: node.name, iface, path: path.resolve(this.opts.dir, `${node.name}_${iface}.pcap`) };
    const viaAny: TcpdumpSource = { kind: 'any-ifindex', ifindex: link.ifindex };
    let source: TcpdumpSource = link.up && !isRadio(node, iface) ? { kind: 'device', iface } : viaAny;
    let proc: TcpdumpProcess;
    try {
      proc = await this.spawn(node, ref, source);
    } catch (e) {
      // Taken down between our look and tcpdump's: same answer as down at start.
      if (!(e instanceof TcpdumpStartError && e.deviceDown && source.kind === 'device')) throw e;
      source = viaAny;
      proc = await this.spawn(node, ref, source);
    }
    void proc.exited.then((x) => {
      this.noteExit(proc.pid);
      const expected = x.stopped || (this.opts.count !== undefined && x.code === 0);
      if (!expected)
        this.progress.warn(
          `tcpdump on ${ref.node}:${ref.iface} stopped by itself (${x.signal ?? `exit ${x.code}`}): ${proc.stderr.trim().split('\n').slice(-2).join(' / ')}`,
        );
    });
    return { ref, source, proc };
  }

  private async spawn(node: PlanNode, ref: CaptureFileRef, source: TcpdumpSource): Promise<TcpdumpProcess> {
    const argv = tcpdumpArgv({
      source,
      write: ref.path,
      immediate: !this.opts.batched,
      ...(this.opts.snaplen !== undefined ? { snaplen: this.opts.snaplen } : {}),
      ...(this.opts.count !== undefined ? { count: this.opts.count } : {}),
      ...(this.opts.filter !== undefined ? { filter: this.opts.filter } : {}),
    });
    let pid: number | undefined;
    try {
      return await TcpdumpProcess.start(this.opts.access(node).argv(argv, { dieWithParent: this.opts.dieWithParent ?? true }), {
        label: `${ref.node}:${ref.iface}`,
        stdout: 'ignore',
        ...(this.opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: this.opts.readyTimeoutMs } : {}),
        onSpawn: async (p) => {
          pid = p;
          await this.record(p, ref);
        },
      });
    } catch (e) {
      if (pid !== undefined) this.noteExit(pid);
      throw e;
    }
  }

  private async record(pid: number, ref: CaptureFileRef): Promise<void> {
    const journal = this.opts.journal;
    if (!journal) return;
    const startTime = await processStartTime(pid);
    await journal.record([{ kind: 'process', pid, node: ref.node, what: `tcpdump ${ref.node}:${ref.iface}`, ...(startTime ? { startTime } : {}) }]);
  }

  /** Forgets exited tcpdumps in the journal, batching the exits that pile up while a write is under way. */
  private noteExit(pid: number): void {
    const journal = this.opts.journal;
    if (!journal) return;
    this.gone.add(pid);
    this.forgetting = this.forgetting.then(async () => {
      if (this.gone.size === 0) return;
      const pids = new Set(this.gone);
      this.gone.clear();
      await journal.forget((r) => r.kind === 'process' && pids.has(r.pid)).catch((e: unknown) => this.progress.warn(`journal: ${errorText(e)}`));
    });
  }
}

/** Every interface of every node (the plan never lists lo). */
export function defaultTargets(plan: Plan): CaptureTarget[] {
  return plan.nodes.flatMap((n) => n.interfaces.map((i) => ({ node: n.name, iface: i.name })));
}

function resolveNodes(plan: Plan, targets: readonly CaptureTarget[]): Map<string, PlanNode> {
  const out = new Map<string, PlanNode>();
  for (const t of targets) {
    const node = plan.nodes.find((n) => n.name === t.node);
    if (!node) throw new DmmlabError('E_NODE_NOT_FOUND', `lab ${plan.lab} has no node ${t.node}; its nodes: ${plan.nodes.map((n) => n.name).join(', ')}`);
    out.set(node.name, node);
  }
  const seen = new Set<string>();
  for (const t of targets) {
    const key = `${t.node}:${t.iface}`;
    if (seen.has(key)) throw new DmmlabError('E_USAGE', `capture target ${key} is listed twice`);
    seen.add(key);
  }
  return out;
}

function checkInterfaces(targets: readonly CaptureTarget[], live: Map<string, Map<string, LinkState>>): void {
  for (const t of targets) {
    const links = live.get(t.node) as Map<string, LinkState>;
    if (!links.has(t.iface)) {
      throw new DmmlabError('E_NODE_NOT_FOUND', `node ${t.node} has no interface ${t.iface}; its interfaces: ${[...links.keys()].join(', ')}`);
    }
  }
}
