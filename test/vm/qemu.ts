import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { DmmlabError } from '../../cli/errors.js';
import { findProgram } from '../../cli/util/exec.js';
import { GuestConsole, type ConsoleState } from './guest-console.js';

const QEMU = 'qemu-system-x86_64';
/** How long qemu may take to power off after the end marker before it is killed. */
const POWEROFF_GRACE_MS = 15_000;
/** How long qemu may take to die after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 3_000;

/** A host directory exported to the guest over virtio-9p. */
export interface Share {
  /** 9p mount tag the guest mounts it by. */
  tag: string;
  /** Host directory. */
  path: string;
  /** Export it read-only (qemu refuses writes). */
  readonly: boolean;
}

/** How to boot the VM and what to watch for. */
export interface BootOptions {
  /** Kernel image (-kernel). */
  kernel: string;
  /** Initramfs (-initrd). */
  initrd: string;
  memMiB: number;
  cpus: number;
  /** qemu accelerator (tcg or kvm). */
  accel: 'tcg' | 'kvm';
  shares: readonly Share[];
  /** Kill qemu after this long, whatever the guest is doing. */
  timeoutMs: number;
  /** Show kernel messages and qemu's stderr. */
  verbose: boolean;
  /** The run's nonce, which the guest's markers carry. */
  nonce: string;
  /** Aborting it (SIGINT/SIGTERM) kills qemu. */
  signal: AbortSignal;
  /** Where the guest console goes. */
  out: (text: string) => void;
}

/** How a boot ended. */
export interface BootResult {
  /** ended: the command ran to its end; failed: /init gave up; timeout/aborted: we killed qemu; crashed: qemu or the kernel died. */
  outcome: 'ended' | 'failed' | 'timeout' | 'aborted' | 'crashed';
  /** The command's exit code from the end marker. */
  exitCode?: number | undefined;
  console: ConsoleState;
  /** Console lines before the command started (boot noise, /init messages). */
  bootLog: string[];
  /** What qemu wrote to stderr (last 8 KiB). */
  qemuStderr: string;
  /** Host time qemu was started. */
  spawnedAtMs: number;
  /** Host time qemu was gone. */
  exitedAtMs: number;
  /** qemu's peak resident set (VmHWM), KiB. */
  peakRssKiB: number;
}

/** qemu's argv: serial console on stdio, no NIC, no disk, no monitor; -no-reboot so a panic ends qemu. */
export function qemuArgs(opts: Pick<BootOptions, 'kernel' | 'initrd' | 'memMiB' | 'cpus' | 'accel' | 'shares' | 'verbose'>): string[] {
  const append = ['console=ttyS0', 'panic=-1', 'mitigations=off', ...(opts.verbose ? ['loglevel=7'] : ['quiet', 'loglevel=4'])];
  const args = [
    '-accel',
    opts.accel,
    '-cpu',
    'max',
    '-m',
    String(opts.memMiB),
    '-smp',
    String(opts.cpus),
    '-nographic',
    '-nodefaults',
    '-no-user-config',
    '-serial',
    'stdio',
    '-no-reboot',
    '-kernel',
    opts.kernel,
    '-initrd',
    opts.initrd,
    '-append',
    append.join(' '),
  ];
  for (const s of opts.shares) {
    const ro = s.readonly ? ',readonly=on' : '';
    args.push('-virtfs', `local,path=${s.path},mount_tag=${s.tag},id=${s.tag},security_model=none,multidevs=remap${ro}`);
  }
  return args;
}

function peakRss(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Boots the VM, streams its console through GuestConsole, and returns once qemu is gone. qemu
 * is killed on timeout, on abort and if it does not power off after the end marker; it runs
 * under `setpriv --pdeathsig KILL`, so even a SIGKILLed runner leaves no qemu behind.
 */
export async function boot(opts: BootOptions): Promise<BootResult> {
  if (!findProgram(QEMU)) throw new DmmlabError('E_ENV', `${QEMU} not found`, { hint: 'apt-get install qemu-system-x86' });
  const guard = findProgram('setpriv') ? ['setpriv', '--pdeathsig', 'KILL'] : [];
  const [file, ...args] = [...guard, QEMU, ...qemuArgs(opts)];
  const guestConsole = new GuestConsole(opts.nonce, opts.verbose, opts.out);
  let qemuStderr = '';
  let peakRssKiB = 0;
  const spawnedAtMs = performance.now();
  const child = execa(file as string, args, {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: KILL_GRACE_MS,
    cleanup: true,
  });
  const sample = (): void => void (peakRssKiB = Math.max(peakRssKiB, peakRss(child.pid) ?? 0));
  const poll = setInterval(sample, 500);
  let poweroffTimer: NodeJS.Timeout | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    guestConsole.write(chunk);
    if (guestConsole.state.ended && !poweroffTimer) {
      poweroffTimer = setTimeout(() => child.kill('SIGKILL'), POWEROFF_GRACE_MS);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    qemuStderr = (qemuStderr + chunk.toString()).slice(-8192);
    if (opts.verbose) process.stderr.write(chunk);
  });
  const r = await child;
  const exitedAtMs = performance.now();
  clearInterval(poll);
  clearTimeout(poweroffTimer);
  guestConsole.end();
  const state = guestConsole.state;
  const outcome: BootResult['outcome'] = state.ended
    ? 'ended'
    : r.timedOut
      ? 'timeout'
      : r.isCanceled || opts.signal.aborted
        ? 'aborted'
        : state.failed
          ? 'failed'
          : 'crashed';
  return {
    outcome,
    exitCode: state.ended?.exitCode,
    console: state,
    bootLog: guestConsole.bootLog,
    qemuStderr,
    spawnedAtMs,
    exitedAtMs,
    peakRssKiB,
  };
}
