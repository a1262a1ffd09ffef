import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bpfObject } from '../../shared/bpf/bpf-object.js';
import { decapProgram, encapProgram } from '../../shared/bpf/tunnel-programs.js';
import type { CommandRunner } from '../util/process.js';

/** Section names of the bpf driver's programs in their object files. */
export const ENCAP_SECTION = 'lwt_xmit';
export const DECAP_SECTION = 'tc';

const written = new Set<string>();

function file(dir: string, name: string, make: () => Buffer): string {
  const f = path.join(dir, 'bpf', name);
  if (written.has(f)) return f;
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, make());
  written.add(f);
  return f;
}

const safe = (address: string) => address.replace(/[:%]/g, '_');

/**
 * The object file of the encapsulation from `local` to `remote` (written
 * once per pair, under `dir`/bpf). A route takes it as
 * `encap bpf xmit obj FILE section lwt_xmit headroom 40`.
 */
export function encapObject(dir: string, local: string, remote: string): string {
  return file(dir, `encap-${safe(local)}-${safe(remote)}.o`, () => bpfObject(ENCAP_SECTION, encapProgram(local, remote)));
}

/** The object file of the decapsulation of what arrives for `endpoint` (undefined: anything, up to `depth` headers). */
export function decapObject(dir: string, endpoint: string | undefined, depth = 1): string {
  return file(dir, `decap-${endpoint === undefined ? `any${depth}` : safe(endpoint)}.o`, () => bpfObject(DECAP_SECTION, decapProgram(endpoint, depth)));
}

/** The route attributes that send a prefix through the encapsulation from `local` to `remote`. */
export function encapVia(dir: string, local: string, remote: string, dev: string): string {
  return `encap bpf xmit obj ${encapObject(dir, local, remote)} section ${ENCAP_SECTION} headroom 40 dev ${dev}`;
}

/** `tc -batch` lines that run the decapsulation on `direction` of each of `ifaces`. */
export function decapTcLines(
  dir: string,
  ifaces: string | readonly string[],
  direction: 'ingress' | 'egress',
  endpoint: string | undefined,
  depth = 1,
): string[] {
  const obj = decapObject(dir, endpoint, depth);
  return (typeof ifaces === 'string' ? [ifaces] : ifaces).flatMap((i) => [
    `qdisc replace dev ${i} clsact`,
    `filter replace dev ${i} ${direction} pref 1 handle 1 bpf da obj ${obj} sec ${DECAP_SECTION}`,
  ]);
}

/** Runs `tc -batch` lines in the node; throws with tc's message when one fails. */
export async function applyTc(runner: CommandRunner, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const r = await runner.run(['tc', '-batch', '-'], { input: lines.join('\n') + '\n' });
  if (r.exitCode !== 0) throw new Error(`tc: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`);
}
