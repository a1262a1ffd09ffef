import { AggregateFailure, type Failure } from '../errors.js';
import { getRuntime } from '../runtime/registry.js';
import type { Runtime } from '../runtime/runtime.js';
import { Journal } from '../state/journal.js';
import type { Resource } from '../state/lab-state.js';
import { rm } from 'node:fs/promises';
import { silentProgress, type Progress } from '../util/progress.js';
import { requireRoot } from '../util/root.js';
import { stopRecordedProcess } from '../util/processes.js';

/**
 * Destroys a lab: stops its processes, removes its nodes (and with them every
 * link and tunnel), its recorded paths and its state. Keeps going past
 * failures and reports them together; the journal stays if anything is left,
 * so cleanup can try again.
 */
export async function destroy(lab: string, opts: { progress?: Progress } = {}): Promise<void> {
  requireRoot('destroying a lab');
  const journal = await Journal.open(lab);
  const runtime = await getRuntime(journal.current.runtime);
  const failures = await destroyWithJournal(journal, runtime, opts.progress ?? silentProgress);
  if (failures.length > 0) throw new AggregateFailure(`destroying ${lab} left ${failures.length} problem(s)`, failures);
}

/** The destroy sequence on an open journal (also the rollback of a failed deploy). */
export async function destroyWithJournal(journal: Journal, runtime: Runtime, progress: Progress): Promise<Failure[]> {
  const lab = journal.current.lab;
  await journal.update({ status: 'destroying' }).catch(() => undefined);
  const resources = [...journal.current.resources];
  const failures: Failure[] = [];
  progress.phase(`destroy ${lab}`, resources.length);

  // 1. Processes the lab started (agents, captures) whose PID still names the same process.
  for (const r of resources.filter((x): x is Extract<Resource, { kind: 'process' }> => x.kind === 'process')) {
    try {
      await stopRecordedProcess(r);
    } catch (e) {
      failures.push({ what: `process ${r.pid} (${r.what} on ${r.node})`, error: e });
    }
  }
  // 2. Nodes: namespaces or containers; links and tunnels die with them.
  failures.push(...(await runtime.removeResources(resources, { lab, progress })));
  // 3. Recorded paths outside the lab directory.
  for (const r of resources.filter((x): x is Extract<Resource, { kind: 'path' }> => x.kind === 'path')) {
    await rm(r.path, { recursive: true, force: true }).catch((e: unknown) => failures.push({ what: `path ${r.path}`, error: e }));
  }
  progress.tick(resources.length);
  progress.done();
  if (failures.length === 0) await journal.remove();
  else await journal.update({ status: 'failed' }).catch(() => undefined);
  return failures;
}
