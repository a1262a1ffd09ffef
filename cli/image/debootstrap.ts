import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DmmlabError } from '../errors.js';
import { findProgram, run } from '../util/exec.js';
import type { Progress } from '../util/progress.js';
import type { BaseSpec } from './image-tag.js';

export interface DebootstrapOptions {
  /** Directory to create the root filesystem in (must not exist or be empty). */
  target: string;
  /** Suite, variant, architecture and packages to include. */
  spec: BaseSpec;
  /** Debian mirror URL. */
  mirror: string;
  /** Receives the `debootstrap` phase. */
  progress: Progress;
  /** Kills debootstrap when aborted. */
  signal?: AbortSignal;
  /** Give up after this long (default 20 minutes). */
  timeoutMs?: number;
}

/** Path of debootstrap, or an E_ENV error saying how to install it. */
export function requireDebootstrap(): string {
  const found = findProgram('debootstrap') ?? ['/usr/sbin/debootstrap', '/sbin/debootstrap'].find((p) => existsSync(p));
  if (!found) {
    throw new DmmlabError('E_ENV', 'debootstrap is not installed: the offline image recipe builds its Debian base with it', {
      hint: 'sudo apt-get install debootstrap',
    });
  }
  return found;
}

async function tail(file: string, n: number): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n);
}

/**
 * Runs `debootstrap --variant=<v> --arch=<a> --include=<packages> <suite> <target> <mirror>`.
 * A failure shows the last lines of its output and of <target>/debootstrap/debootstrap.log.
 */
export async function runDebootstrap(opts: DebootstrapOptions): Promise<{ durationMs: number }> {
  const { spec, target, mirror, progress } = opts;
  const program = requireDebootstrap();
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new DmmlabError('E_NOT_ROOT', 'the offline image build needs root: debootstrap creates device nodes and runs dpkg in a chroot', {
      hint: 'run it with sudo, or build the online recipe (without --offline)',
    });
  }
  const argv = [program, `--variant=${spec.variant}`, `--arch=${spec.arch}`, `--include=${[...spec.packages].sort().join(',')}`, spec.suite, target, mirror];
  progress.phase('debootstrap');
  progress.info(`debootstrap ${spec.suite} (${spec.variant}, ${spec.packages.length} extra packages) from ${mirror}`);
  const r = await run(argv, {
    allowFailure: true,
    timeoutMs: opts.timeoutMs ?? 20 * 60_000,
    ...(opts.signal ? { signal: opts.signal } : {}),
    env: { DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' },
  });
  if (r.exitCode !== 0) {
    const out = `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter((l) => l.trim())
      .slice(-12);
    const log = await tail(path.join(target, 'debootstrap', 'debootstrap.log'), 12);
    const detail = [...out.map((l) => `  | ${l}`), ...(log.length ? ['debootstrap.log:', ...log.map((l) => `  | ${l}`)] : [])];
    throw new DmmlabError('E_ENV', `debootstrap ${spec.suite} from ${mirror} exited ${r.exitCode}:\n${detail.join('\n')}`, {
      hint: 'check that the mirror is reachable (set DMMLAB_DEBIAN_MIRROR to another one) and that every package exists in the suite',
    });
  }
  progress.done(`debootstrap ${spec.suite} in ${(r.durationMs / 1000).toFixed(1)} s`);
  return { durationMs: r.durationMs };
}
