/**
 * Entry point: `npx tsx test/vm/run.ts [--mem 1024] [--timeout 1800] [--verbose] -- <command...>`
 * runs <command> as root in the project checkout inside a qemu VM booted with Debian's kernel
 * (which has ip6_tunnel and sch_netem), and exits with the command's exit code. See README.md.
 */
import path from 'node:path';
import { DmmlabError } from '../../cli/errors.js';
import { guestEnv } from './guest-env.js';
import { HOSTROOT_TAG, RUN_TAG } from './init-script.js';
import { ensureInitramfs } from './initramfs.js';
import { ensureKernel } from './kernel-package.js';
import { seconds, vmLog } from './log.js';
import { projectRoot } from './paths.js';
import { boot, type BootResult } from './qemu.js';
import { parseRunArgs, USAGE, type RunArgs } from './run-args.js';
import { createRunShare, type RunShare } from './run-share.js';
import { bootableKernel } from './vmlinux.js';

/** Prints why the VM stopped early: the boot log if the command never started, and qemu's stderr. */
function reportFailure(result: BootResult, args: RunArgs): void {
  if (args.verbose) return;
  if (!result.console.started) {
    // eslint-disable-next-line no-control-regex -- the console's escape sequences start with ESC
    const log = result.bootLog.slice(-60).map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g, ''));
    process.stderr.write(`${log.join('\n')}\n`);
  }
  if (result.qemuStderr.trim()) process.stderr.write(`qemu: ${result.qemuStderr.trim()}\n`);
}

function summary(result: BootResult, startedAtMs: number): string {
  const { started, ended } = result.console;
  const parts = [
    `prepare ${seconds(result.spawnedAtMs - startedAtMs)}`,
    started ? `boot-to-command ${seconds(started.atMs - result.spawnedAtMs)} (guest uptime ${started.uptimeS.toFixed(1)} s)` : 'no command start',
    ...(started && ended ? [`command ${seconds(ended.atMs - started.atMs)}`, `poweroff ${seconds(result.exitedAtMs - ended.atMs)}`] : []),
    `total ${seconds(result.exitedAtMs - startedAtMs)}`,
    `qemu peak RSS ${(result.peakRssKiB / 1024).toFixed(0)} MiB`,
  ];
  return parts.join(', ');
}

/** The command's exit code, or a DmmlabError saying why there is none. */
async function exitCodeOf(result: BootResult, share: RunShare, args: RunArgs): Promise<number> {
  switch (result.outcome) {
    case 'ended': {
      const code = result.exitCode ?? (await share.readExitCode()) ?? 1;
      vmLog(`command exited ${code}`);
      return code;
    }
    case 'aborted':
      throw new DmmlabError('E_ABORTED', 'stopped by a signal; qemu is gone');
    case 'timeout':
      reportFailure(result, args);
      throw new DmmlabError('E_TIMEOUT', `the VM ran longer than --timeout ${args.timeoutS} s and was killed`);
    default:
      reportFailure(result, args);
      throw new DmmlabError('E_RUNTIME', `the VM stopped before the command ended (${result.outcome})`, {
        hint: 'run again with --verbose to see the kernel and /init messages',
      });
  }
}

/** Kernel, initramfs (both cached) and this run's share. */
async function prepare(args: RunArgs): Promise<{ kernelImage: string; initrd: string; share: RunShare }> {
  const kernel = await ensureKernel();
  const kernelImage = await bootableKernel(kernel.vmlinuz);
  const initramfs = await ensureInitramfs(kernel);
  const tty = process.stdout.isTTY === true;
  const { columns: cols, rows } = process.stdout;
  const share = await createRunShare({
    command: args.command,
    cwd: projectRoot,
    env: guestEnv(process.env, { projectRoot, tty, extra: args.env }),
    verbose: args.verbose,
    tty,
    size: tty && cols > 0 && rows > 0 ? { cols, rows } : undefined,
    modulesDir: kernel.modulesDir,
  });
  return { kernelImage, initrd: initramfs.path, share };
}

async function runInVm(args: RunArgs): Promise<number> {
  const startedAtMs = performance.now();
  const { kernelImage, initrd, share } = await prepare(args);
  const controller = new AbortController();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals): void => {
    vmLog(`${signal}: stopping the VM`);
    controller.abort();
  };
  for (const s of signals) process.on(s, onSignal);
  try {
    vmLog(
      `booting ${path.basename(kernelImage)} (${args.memMiB} MiB, ${args.cpus} vCPUs, ${args.accel.toUpperCase()}), timeout ${args.timeoutS} s: ${args.command.join(' ')}`,
    );
    const result = await boot({
      kernel: kernelImage,
      initrd,
      memMiB: args.memMiB,
      cpus: args.cpus,
      accel: args.accel,
      shares: [
        { tag: HOSTROOT_TAG, path: '/', readonly: true },
        { tag: RUN_TAG, path: share.dir, readonly: false },
      ],
      timeoutMs: args.timeoutS * 1000,
      verbose: args.verbose,
      nonce: share.nonce,
      signal: controller.signal,
      out: (text) => void process.stdout.write(text),
    });
    vmLog(summary(result, startedAtMs));
    return await exitCodeOf(result, share, args);
  } finally {
    for (const s of signals) process.off(s, onSignal);
    await share.remove();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseRunArgs(argv);
    if (args.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return await runInVm(args);
  } catch (e) {
    if (e instanceof DmmlabError) {
      vmLog(`error: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`);
      return e.exitCode;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
