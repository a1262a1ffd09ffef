import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { labDir } from '../state/paths.js';
import { mapLimit } from '../util/exec.js';
import { readNodeKernel, type KernelAccess, type KernelEntry, type KernelObject } from './kernel-snapshot.js';

/** Every node's kernel state as deploy left it: what "no stale state" compares the end with. */
export interface KernelBaseline {
  takenAt: string;
  nodes: Record<string, KernelEntry[]>;
}

function baselineFile(lab: string): string {
  return path.join(labDir(lab), 'kernel-baseline.json');
}

/** Reads every node's kernel state (a few nodes at a time). */
export async function readLabKernel(session: KernelAccess, nodes = session.plan.nodes.map((n) => n.name)): Promise<Record<string, KernelEntry[]>> {
  const read = await mapLimit(nodes, 8, async (n) => [n, await readNodeKernel(session, session.node(n))] as const);
  return Object.fromEntries(read);
}

/** Records the lab's kernel state now as its baseline (kept in the lab's directory). */
export async function recordKernelBaseline(session: KernelAccess): Promise<KernelBaseline> {
  const b: KernelBaseline = { takenAt: new Date().toISOString(), nodes: await readLabKernel(session) };
  await save(session.lab, b);
  return b;
}

async function save(lab: string, b: KernelBaseline): Promise<void> {
  const f = baselineFile(lab);
  await writeFile(`${f}.tmp`, JSON.stringify(b));
  await rename(`${f}.tmp`, f);
}

export async function loadKernelBaseline(lab: string): Promise<KernelBaseline | undefined> {
  try {
    return JSON.parse(await readFile(baselineFile(lab), 'utf8')) as KernelBaseline;
  } catch {
    return undefined;
  }
}

/**
 * A change the lab was asked for (a scenario's link step): the objects of
 * those interfaces as they are now become the baseline, so that the clean
 * check holds the lab to them and not to deploy's.
 */
export async function rebaseInterfaces(session: KernelAccess, ends: { node: string; iface: string }[], objects: readonly KernelObject[]): Promise<void> {
  const b = await loadKernelBaseline(session.lab);
  if (!b) return;
  const now = await readLabKernel(session, [...new Set(ends.map((e) => e.node))]);
  for (const [node, entries] of Object.entries(now)) {
    const ifaces = new Set(ends.filter((e) => e.node === node).map((e) => e.iface));
    const touched = (e: KernelEntry) => objects.includes(e.object) && e.iface !== undefined && ifaces.has(e.iface);
    b.nodes[node] = [...(b.nodes[node] ?? []).filter((e) => !touched(e)), ...entries.filter(touched)];
  }
  await save(session.lab, b);
}
