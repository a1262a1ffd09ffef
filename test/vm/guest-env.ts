import path from 'node:path';

/** Variables passed through from the host by exact name: CI detection, colour, locale, debugging. */
const PASS_NAMES = [
  'CI',
  'CONTINUOUS_INTEGRATION',
  'BUILD_ID',
  'BUILD_NUMBER',
  'RUN_ID',
  'GITHUB_ACTIONS',
  'GITLAB_CI',
  'BUILDKITE',
  'CIRCLECI',
  'TRAVIS',
  'JENKINS_URL',
  'TF_BUILD',
  'TEAMCITY_VERSION',
  'NO_COLOR',
  'FORCE_COLOR',
  'COLORTERM',
  'LANG',
  'LC_ALL',
  'TZ',
  'DEBUG',
  'NODE_OPTIONS',
];
/** Variables passed through by prefix (CI systems' own, and the project's switches). */
const PASS_PREFIXES = ['GITHUB_', 'RUNNER_', 'CI_', 'DMMLAB_'];

/** What the guest environment depends on besides the host's variables. */
export interface GuestEnvOptions {
  /** The project checkout: its node_modules/.bin goes first on PATH, as under `npm run`. */
  projectRoot: string;
  /** The guest command writes to a terminal (the host's stdout is one). */
  tty: boolean;
  /** Variables given with --env, applied last. */
  extra: Record<string, string>;
}

/**
 * The command's whole environment in the guest: a clean root login (HOME=/root; PATH with the
 * project's node_modules/.bin and the host's node first), the host's CI and colour variables,
 * DMMLAB_IN_VM=1 so tests know where they are, then --env.
 */
export function guestEnv(host: NodeJS.ProcessEnv, opts: GuestEnvOptions): Record<string, string> {
  const nodeDir = path.dirname(process.execPath);
  const bin = path.join(opts.projectRoot, 'node_modules', '.bin');
  const pathDirs = [bin, nodeDir, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  const env: Record<string, string> = {
    PATH: [...new Set(pathDirs)].join(':'),
    HOME: '/root',
    USER: 'root',
    LOGNAME: 'root',
    SHELL: '/bin/sh',
    LANG: 'C.UTF-8',
    TERM: opts.tty ? (host.TERM ?? 'linux') : 'dumb',
  };
  for (const [name, value] of Object.entries(host)) {
    if (value === undefined) continue;
    if (PASS_NAMES.includes(name) || PASS_PREFIXES.some((p) => name.startsWith(p))) env[name] = value;
  }
  env.DMMLAB_IN_VM = '1';
  return { ...env, ...opts.extra };
}
