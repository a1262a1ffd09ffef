import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import { catchesSignal, type CommandRunner, type LineProcess } from '../util/process.js';
import type { AdvertisedPrefix } from '../../shared/control/role-state.js';
import type { EventBus } from '../events.js';
import { afterSignalling } from '../util/after-signalling.js';

/** How the configuration file is written (tests slow it down). */
interface ConfFiles {
  writeFile(file: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

/**
 * A few hundred bytes on the lab's run directory, written in place: the
 * asynchronous calls each woke a libuv pool thread that took the agent
 * host's core in the middle of a handover's signalling.
 */
const SYNC_FILES: ConfFiles = {
  writeFile: async (file, data) => writeFileSync(file, data),
  rename: async (from, to) => renameSync(from, to),
};

/**
 * Router advertisements on access links, by Debian's radvd: the agent writes
 * its configuration and sends SIGHUP, upon which radvd advertises at once; a
 * stock Linux mobile node autoconfigures its home addresses from these. radvd
 * answers router solicitations immediately (unicast), so an attaching node that
 * solicits gets the current prefixes without waiting for the periodic RA.
 */
/** How long a withdrawn prefix is advertised with lifetimes 0: the immediate advertisement and one periodic one (MaxRtrAdvInterval 10 s). */
const WITHDRAW_MS = 12_000;

export class Radvd {
  private proc: LineProcess | undefined;
  /** Settles once radvd handles SIGHUP: one sent earlier would kill it (the default action). */
  private handlesHup: Promise<boolean> = Promise.resolve(false);
  private readonly prefixes = new Map<string, AdvertisedPrefix[]>();
  /** Prefixes being withdrawn (advertised with lifetimes 0 for WITHDRAW_MS), per interface. */
  private readonly withdrawing = new Map<string, Map<string, NodeJS.Timeout>>();
  private readonly conf: string;
  private readonly pid: string;
  private readonly log: string;

  constructor(
    workDir: string,
    private readonly events: EventBus,
    /** Runs radvd in the node (tests: entered into a namespace of their own). */
    private readonly runner: CommandRunner,
    /** How the configuration reaches the disk (tests slow a write down). */
    private readonly files: ConfFiles = SYNC_FILES,
  ) {
    this.conf = path.join(workDir, 'radvd.conf');
    this.pid = path.join(workDir, 'radvd.pid');
    this.log = path.join(workDir, 'radvd.log');
  }

  /**
   * Starts radvd on every access interface (without prefixes until a node
   * attaches), so that it is warm: a node's router solicitation is answered at
   * once with a default route, and a SIGHUP with new prefixes goes out in a
   * few milliseconds instead of a cold start's second.
   */
  async start(interfaces: string[]): Promise<void> {
    if (interfaces.length === 0 || this.proc) return;
    for (const i of interfaces) if (!this.prefixes.has(i)) this.prefixes.set(i, []);
    await this.writeConf();
    const proc = this.runner.lines(['radvd', '--nodaemon', '-C', this.conf, '-p', this.pid, '-m', 'logfile', '-l', this.log], () => undefined);
    this.proc = proc;
    this.handlesHup = proc.child.pid === undefined ? Promise.resolve(false) : catchesSignal(proc.child.pid, constants.signals.SIGHUP);
    void proc.done.then((r) => {
      if (this.proc === proc) this.events.emit('agent.error', { message: `radvd exited (${r.exitCode ?? r.signal}); see ${this.log}` });
      if (this.proc === proc) this.proc = undefined;
    });
  }

  /** Sets the prefixes advertised on `iface` (empty: router advertisements without prefixes). */
  async set(iface: string, list: AdvertisedPrefix[]): Promise<void> {
    const before = this.prefixes.get(iface) ?? [];
    this.prefixes.set(iface, list);
    // Prefixes no longer advertised here are withdrawn the standard way (RFC 4861 6.3.4, RFC 4862
    // 5.5.3): advertised a while longer with lifetimes 0, which makes the node drop their on-link
    // route at once (an address of one lives on until its own lifetime ends: the two-hour rule).
    const now = new Set(list.map((p) => p.prefix));
    const withdrawing = this.withdrawing.get(iface) ?? new Map<string, NodeJS.Timeout>();
    this.withdrawing.set(iface, withdrawing);
    for (const p of now) {
      const t = withdrawing.get(p);
      if (t) clearTimeout(t);
      withdrawing.delete(p);
    }
    for (const p of before) {
      if (now.has(p.prefix) || withdrawing.has(p.prefix)) continue;
      const t = setTimeout(() => {
        if (withdrawing.get(p.prefix) !== t) return;
        withdrawing.delete(p.prefix);
        void this.reload();
      }, WITHDRAW_MS);
      t.unref?.();
      withdrawing.set(p.prefix, t);
    }
    await this.reload();
  }

  /**
   * Has radvd advertise at once on every interface (a reload of the same configuration). A link
   * whose carrier just came up may have dropped the node's solicitation: radvd refuses an interface
   * until the kernel has given it a link-local address again, which can come a moment after the
   * node's router solicitation; the next periodic advertisement would be a second away or more.
   */
  async advertiseNow(): Promise<void> {
    await this.reload();
  }

  private pendingReload: Promise<void> | undefined;

  /**
   * Rewrites the configuration and has radvd read it (and advertise at once),
   * after the current burst of signalling (`afterSignalling`): a file written
   * and renamed on the lab's disk and a signal cost the agent host's thread
   * most of a millisecond, which the handover's next message waited for. The
   * node keeps its addresses meanwhile; the advertisement follows a few
   * milliseconds later. Reloads asked for before it runs are one (the file
   * renders what is advertised when it is written). Settles when radvd has
   * been signalled; a failure is reported as an agent error, never thrown.
   */
  private reload(): Promise<void> {
    this.pendingReload ??= new Promise<void>((resolve) =>
      afterSignalling(() => {
        this.pendingReload = undefined;
        if (this.stopped) return resolve();
        void this.reloadNow().then(resolve, (e: unknown) => {
          this.events.emit('agent.error', { message: `radvd configuration: ${e instanceof Error ? e.message : String(e)}` });
          resolve();
        });
      }),
    );
    return this.pendingReload;
  }

  private async reloadNow(): Promise<void> {
    await this.writeConf();
    const proc = this.proc;
    // A radvd just started must not get SIGHUP before it installed its handler: the default
    // action kills it (under load that window is long enough to be hit). Wait, then signal.
    if (proc && (await this.handlesHup) && this.proc === proc) proc.kill('SIGHUP');
  }

  private writes = 0;
  private writing: Promise<void> = Promise.resolve();

  /**
   * Replaces the configuration file atomically (a new file renamed over it):
   * radvd reading it while it was being rewritten, at start-up or on SIGHUP,
   * found it cut short and exited ("failed to read config file"). Writes
   * happen one after the other, each rendering what is advertised when it
   * runs: two nodes attaching at once made two overlapping writes, and the
   * older one, renamed last, took the newer node's prefix out of the file.
   */
  private writeConf(): Promise<void> {
    const next = this.writing.then(async () => {
      const tmp = `${this.conf}.${++this.writes}`;
      await this.files.writeFile(tmp, this.render());
      await this.files.rename(tmp, this.conf);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** What is advertised now, per interface. */
  current(): Record<string, AdvertisedPrefix[]> {
    return Object.fromEntries(this.prefixes);
  }

  render(): string {
    const blocks: string[] = ['# written by the dmmlab agent; radvd re-reads it on SIGHUP'];
    for (const [iface, list] of this.prefixes) {
      blocks.push(`interface ${iface} {`);
      blocks.push('  AdvSendAdvert on;', '  IgnoreIfMissing on;', '  AdvRASolicitedUnicast on;', '  MinRtrAdvInterval 3;', '  MaxRtrAdvInterval 10;');
      const withdrawn = [...(this.withdrawing.get(iface)?.keys() ?? [])].map((prefix) => ({ prefix, preferred: 0, valid: 0 }));
      for (const p of [...list, ...withdrawn]) {
        blocks.push(
          `  prefix ${p.prefix} {`,
          '    AdvOnLink on;',
          '    AdvAutonomous on;',
          `    AdvPreferredLifetime ${Math.max(0, Math.floor(p.preferred))};`,
          `    AdvValidLifetime ${Math.max(0, Math.floor(p.valid))};`,
          '  };',
        );
      }
      blocks.push('};');
    }
    return blocks.join('\n') + '\n';
  }

  private stopped = false;

  stop(): void {
    this.stopped = true;
    for (const w of this.withdrawing.values()) for (const t of w.values()) clearTimeout(t);
    this.withdrawing.clear();
    const p = this.proc;
    this.proc = undefined;
    p?.kill('SIGTERM');
  }
}
