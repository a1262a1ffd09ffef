import { DmmlabError } from '../../cli/errors.js';

/** The runner's command line. */
export interface RunArgs {
  /** Guest memory, MiB. */
  memMiB: number;
  /** Guest vCPUs. */
  cpus: number;
  /** qemu accelerator: tcg (default; KVM does not boot guests on the machines this was built on) or kvm. */
  accel: 'tcg' | 'kvm';
  /** Wall-clock limit for the whole boot, seconds. */
  timeoutS: number;
  /** Show kernel messages, /init's progress and qemu's stderr. */
  verbose: boolean;
  /** Extra guest variables from --env NAME=VALUE (or --env NAME: the host's value). */
  env: Record<string, string>;
  /** The command to run in the guest, in the project checkout. */
  command: string[];
  /** --help was given: print USAGE and run nothing. */
  help: boolean;
}

export const USAGE = `usage: npx tsx test/vm/run.ts [--mem MiB] [--cpus N] [--accel tcg|kvm] [--timeout S] [--verbose] [--env NAME[=VALUE]]... -- <command...>

Boots Debian's kernel under qemu with the host's root as a read-only 9p share under a
tmpfs overlay, runs <command> in the project checkout as root with DMMLAB_IN_VM=1, and exits
with its exit code. Defaults: --mem 1024 --cpus 2 --accel tcg --timeout 1800.`;

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!value || !Number.isInteger(n) || n <= 0) throw new DmmlabError('E_USAGE', `${flag} needs a positive integer, found ${JSON.stringify(value ?? '')}`);
  return n;
}

/** Parses flags up to `--` (or the first word that is not a flag); the rest is the command. */
export function parseRunArgs(argv: readonly string[], hostEnv: NodeJS.ProcessEnv = process.env): RunArgs {
  const args: RunArgs = { memMiB: 1024, cpus: 2, accel: 'tcg', timeoutS: 1800, verbose: false, env: {}, command: [], help: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-')) break;
    const [flag, inline] = a.includes('=') && a.startsWith('--') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--mem':
        args.memMiB = positiveInt(flag, value());
        break;
      case '--cpus':
        args.cpus = positiveInt(flag, value());
        break;
      case '--timeout':
        args.timeoutS = positiveInt(flag, value());
        break;
      case '--accel': {
        const v = value();
        if (v !== 'tcg' && v !== 'kvm') throw new DmmlabError('E_USAGE', `--accel takes tcg or kvm, found ${JSON.stringify(v ?? '')}`);
        args.accel = v;
        break;
      }
      case '--verbose':
      case '-v':
        args.verbose = true;
        break;
      case '--env':
      case '-e': {
        const v = value();
        if (!v) throw new DmmlabError('E_USAGE', `${flag} needs NAME=VALUE or NAME`);
        const eq = v.indexOf('=');
        if (eq > 0) args.env[v.slice(0, eq)] = v.slice(eq + 1);
        else if (hostEnv[v] !== undefined) args.env[v] = hostEnv[v];
        break;
      }
      case '--help':
      case '-h':
        return { ...args, help: true };
      default:
        throw new DmmlabError('E_USAGE', `unknown option ${a}\n${USAGE}`);
    }
  }
  args.command = argv.slice(i);
  if (args.command.length === 0) throw new DmmlabError('E_USAGE', `no command given\n${USAGE}`);
  return args;
}
