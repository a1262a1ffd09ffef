import { RUNTIME_NAMES, type RuntimeName } from '../topology/runtime-names.js';
import { usageError } from './usage-error.js';
import { TUNNEL_DRIVERS } from '../../shared/control/tunnel-drivers.js';

/** A flag's value, checked against the values it may take. */
export function oneOf<T extends string>(v: unknown, allowed: readonly T[], flag: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw usageError(undefined, `${flag}: found ${JSON.stringify(v)}; expected one of ${allowed.join(', ')}`);
  }
  return v as T;
}

/** The values --runtime takes on commands that deploy: auto, or a runtime of the registry. */
export const RUNTIME_CHOICES: readonly (RuntimeName | 'auto')[] = ['auto', ...RUNTIME_NAMES];

/** `auto|netns|docker`, for usage lines. */
export const RUNTIME_USAGE = RUNTIME_CHOICES.join('|');

export const TUNNEL_CHOICES = ['auto', ...TUNNEL_DRIVERS] as const;

/** `--hosts N`: how many hosts to split a lab over (undefined when not given). */
export function hostsOption(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 1 || n > 250)
    throw usageError(undefined, `--hosts: found ${JSON.stringify(v)}; expected a whole number from 1 to 250`);
  return n;
}
