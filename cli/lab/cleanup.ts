import { readFile, rm } from 'node:fs/promises';
import { errorText, type Failure } from '../errors.js';
import { getRuntime, runtimeKinds } from '../runtime/registry.js';
import { Journal, listLabs } from '../state/journal.js';
import { labStateSchema } from '../state/lab-state.js';
import { labDir, stateFile } from '../state/paths.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { requireRoot } from '../util/root.js';
import { destroyWithJournal } from './destroy.js';
import { alive } from '../util/processes.js';

export interface CleanupReport {
  /** Labs removed, with why they counted as leftovers. */
  removed: { lab: string; reason: string }[];
  /** Labs left alone (running, or still being deployed by a live process). */
  kept: { lab: string; reason: string }[];
  /** Other owned things removed (probe namespaces, orphan containers). */
  orphans: string[];
  failures: Failure[];
}

/**
 * Finds and removes what dmmlab left behind: labs whose deploy, destroy or
 * run died (journal status and owner PID tell), probe namespaces of dead
 * processes, and containers labelled as a lab's that no journal lists. With
 * `all`, running labs go too. Touches nothing dmmlab does not own.
 */
export async function cleanup(opts: { all?: boolean; progress?: Progress } = {}): Promise<CleanupReport> {
  requireRoot('cleanup');
  const progress = opts.progress ?? silentProgress;
  const report: CleanupReport = { removed: [], kept: [], orphans: [], failures: [] };
  const labs = await listLabs();
  progress.phase('cleanup', labs.length);
  for (const lab of labs) {
    const verdict = await leftoverVerdict(lab, opts.all ?? false);
    if (!verdict.remove) {
      report.kept.push({ lab, reason: verdict.reason });
      continue;
    }
    try {
      const journal = await Journal.open(lab).catch(() => undefined);
      if (!journal) {
        // No readable journal: nothing was recorded, so nothing was created.
        await rm(labDir(lab), { recursive: true, force: true });
      } else {
        const runtime = await getRuntime(journal.current.runtime);
        report.failures.push(...(await destroyWithJournal(journal, runtime, progress)));
      }
      report.removed.push({ lab, reason: verdict.reason });
    } catch (e) {
      report.failures.push({ what: `lab ${lab}`, error: errorText(e) });
    }
    progress.tick();
  }
  // Resources marked as dmmlab's (container labels, probe namespaces) that no journal lists any more.
  const known = new Set(await listLabs());
  for (const kind of runtimeKinds()) {
    const runtime = await getRuntime(kind).catch(() => undefined);
    if (!runtime) continue;
    const owned = await runtime.listOwned().catch(() => []);
    const orphans = owned.filter((r) => !('lab' in r) || r.lab === undefined || !known.has(r.lab));
    if (orphans.length > 0) {
      report.failures.push(...(await runtime.removeResources(orphans, { lab: '(orphans)', progress })));
      report.orphans.push(...orphans.map((o) => `${o.kind} ${'name' in o ? o.name : o.kind === 'process' ? `${o.pid} (${o.what})` : ''}`));
    }
  }
  progress.done();
  return report;
}

async function leftoverVerdict(lab: string, all: boolean): Promise<{ remove: boolean; reason: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(stateFile(lab), 'utf8'));
  } catch {
    return { remove: true, reason: 'no readable state file (a deploy died before creating anything)' };
  }
  const parsed = labStateSchema.safeParse(raw);
  if (!parsed.success) return { remove: true, reason: 'damaged state file' };
  const s = parsed.data;
  const ownerAlive = s.ownerPid !== undefined && s.ownerPid !== process.pid && alive(s.ownerPid);
  if (s.status === 'running' && !s.ephemeral) return all ? { remove: true, reason: 'running (--all)' } : { remove: false, reason: 'running' };
  if (ownerAlive)
    return all
      ? { remove: true, reason: `${s.status} by live process ${s.ownerPid} (--all)` }
      : { remove: false, reason: `${s.status} by live process ${s.ownerPid}` };
  if (s.status === 'running') return { remove: true, reason: `its run (process ${s.ownerPid}) is gone` };
  return { remove: true, reason: `${s.status} and its process ${s.ownerPid ?? '?'} is gone` };
}
