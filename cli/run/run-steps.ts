import { containsPrefix, parsePrefix } from '../../shared/ipv6.js';
import { monoMs } from '../../shared/clock.js';
import { DmmlabError, errorText } from '../errors.js';
import { durationMs } from '../links/tc-commands.js';
import type { LabSession } from '../lab/session.js';
import type { Progress } from '../util/progress.js';
import { evaluateState } from '../verify/expectations.js';
import type { Step } from '../scenario/schema.js';
import { describeStep, stepKind, type StepRecord } from '../scenario/timeline.js';
import type { HandoverRecord, RunLog } from '../scenario/run-log.js';
import { mnAddresses } from '../lab/mn-addresses.js';

/** How long a handover or attachment may take to be reported complete before the step fails. */
const COMPLETION_TIMEOUT_MS = 5000;

export interface StepContext {
  session: LabSession;
  progress: Progress;
  signal?: AbortSignal;
  log: RunLog;
  /** Called after each step (plain output, the TUI). */
  onStep?: (r: StepRecord) => void;
}

/** Runs a list of steps in order; a failed step is recorded and the run goes on (the report shows all of it). */
export async function runSteps(steps: readonly Step[], ctx: StepContext, base = 'steps'): Promise<void> {
  for (const [i, step] of steps.entries()) {
    if (ctx.signal?.aborted) throw new DmmlabError('E_ABORTED', 'run interrupted');
    const path = `${base}[${i}]`;
    if (step.repeat) {
      for (let k = 0; k < step.repeat.times; k++) await runSteps(step.repeat.steps, ctx, `${path}.repeat#${k + 1}`);
      continue;
    }
    await runOne(step, path, ctx);
  }
}

async function runOne(step: Step, path: string, ctx: StepContext): Promise<void> {
  const { session, log } = ctx;
  const record: StepRecord = { index: log.steps.length, path, text: describeStep(step), kind: stepKind(step), startedAt: monoMs(), endedAt: 0, ok: true };
  session.note('step', { index: record.index, path, text: record.text });
  ctx.progress.info(`${path}: ${record.text}`);
  try {
    record.detail = await execute(step, path, ctx);
  } catch (e) {
    record.ok = false;
    record.error = errorText(e);
    session.note('step.failed', { index: record.index, path, error: record.error });
    ctx.progress.warn(`${path} failed: ${record.error}`);
  }
  record.endedAt = monoMs();
  log.steps.push(record);
  ctx.onStep?.(record);
}

async function execute(step: Step, path: string, ctx: StepContext): Promise<unknown> {
  const { session, log } = ctx;
  if (step.wait !== undefined) {
    await sleep(durationMs(step.wait), ctx.signal);
    return undefined;
  }
  if (step.flow) {
    const f = step.flow;
    const address = f.address?.startsWith('home:') ? await homeAddress(session, f.to, f.address.slice(5)) : f.address;
    const startedAt = monoMs();
    const r = await session.startFlow({
      id: f.id,
      kind: f.kind,
      from: f.from,
      to: f.to,
      ...(address ? { address } : {}),
      ...(f.source ? { source: f.source } : {}),
      ...(f.port ? { port: f.port } : {}),
      ...(f.rate !== undefined ? { rate: f.rate } : {}),
      ...(f.size ? { size: f.size } : {}),
      ...(f.duration !== undefined ? { durationMs: durationMs(f.duration) } : {}),
    });
    log.flows.set(f.id, {
      id: f.id,
      kind: f.kind,
      from: f.from,
      to: f.to,
      source: String(r.source ?? ''),
      destination: String(r.destination ?? address ?? ''),
      ...(typeof r.port === 'number' ? { port: r.port } : {}),
      startedAt,
      ...(f.duration !== undefined ? { stoppedAt: startedAt + durationMs(f.duration) } : {}),
    });
    return r;
  }
  if (step.stop !== undefined) {
    const f = log.flows.get(step.stop);
    if (!f) throw new DmmlabError('E_USAGE', `no flow ${step.stop} is running`);
    const final = await session.stopFlow({ id: f.id, from: f.from, to: f.to, kind: f.kind });
    f.stoppedAt ??= monoMs();
    f.final = final;
    return final;
  }
  if (step.handover) {
    const h = step.handover;
    const from = (await session.attachedTo(h.mn)).filter((a) => a !== h.to);
    const waiting = h.wait ? completion(session, h.mn, h.to, h.timeout === undefined ? undefined : durationMs(h.timeout)) : undefined;
    const done = await session.handover(h.mn, h.to, {
      mode: h.mode,
      predictive: h.predictive,
      ...(h.gap !== undefined ? { gapMs: durationMs(h.gap) } : {}),
      ...(h.overlap !== undefined ? { overlapMs: durationMs(h.overlap) } : {}),
    });
    // The handover's moment is the radio change (after a predictive preparation, if any).
    const at = done.radioAt;
    const rec: HandoverRecord = { index: log.handovers.length, mn: h.mn, from, to: h.to, at };
    log.handovers.push(rec);
    if (waiting) {
      const done = await waiting;
      rec.completedAt = done.t;
      return { from, to: h.to, networkMs: Number(done.ms ?? NaN), completedAfterMs: done.t - at };
    }
    return { from, to: h.to };
  }
  if (step.attach) {
    const a = step.attach;
    const waiting = a.wait ? completion(session, a.mn, a.ar, a.timeout === undefined ? undefined : durationMs(a.timeout)) : undefined;
    const at = monoMs();
    await session.attach(a.mn, a.ar);
    const rec: HandoverRecord = { index: log.handovers.length, mn: a.mn, from: [], to: a.ar, at };
    log.handovers.push(rec);
    if (waiting) rec.completedAt = (await waiting).t;
    return { to: a.ar };
  }
  if (step.detach) {
    await session.detach(step.detach.mn, step.detach.ar);
    return undefined;
  }
  if (step.link) {
    const l = step.link;
    const { between, state, ...params } = l;
    if (Object.keys(params).length) await session.setLinkParams(between[0], between[1], params);
    if (state) await session.setLinkState(between[0], between[1], state === 'up');
    return undefined;
  }
  if (step.mark !== undefined) {
    session.note('mark', { text: step.mark });
    return undefined;
  }
  if (step.expect) {
    const results = [];
    for (const e of step.expect) results.push(await evaluateState(e, session, path));
    log.checks.push(...results);
    const failed = results.filter((r) => !r.ok);
    if (failed.length)
      throw new DmmlabError(
        'E_EXPECTATION',
        failed
          .map(
            (r) =>
              `${r.name}: ${r.checks
                .filter((c) => !c.ok)
                .map((c) => `${c.what}: expected ${c.expected}, measured ${c.measured}`)
                .join('; ')}`,
          )
          .join(' | '),
      );
    return { checked: results.length };
  }
  return undefined;
}

/**
 * Resolves when the access router reports the node's attachment or handover
 * complete, or the node itself does (a Mobile IPv6 node's binding with its
 * home agent, which the visited router takes no part in).
 */
function completion(session: LabSession, mn: string, ar: string, timeoutMs = COMPLETION_TIMEOUT_MS) {
  return session.waitFor(
    ['handover.completed', 'attachment.completed'],
    (e) => e.mn === mn && (e.node === ar || (e.node === mn && e.to === ar)),
    timeoutMs,
    `${ar} completing the attachment of ${mn}`,
  );
}

/** The mobile node's home address in the prefix anchored at `mr`. */
async function homeAddress(session: LabSession, mn: string, mr: string): Promise<string> {
  const anchor = session.node(mr).anchor;
  if (!anchor) throw new DmmlabError('E_USAGE', `${mr} anchors no prefixes`);
  const a = parsePrefix(anchor);
  const found = (await mnAddresses(session, mn)).find((x) => containsPrefix(a, { addr: parsePrefix(`${x.address}/128`).addr, len: 128 }));
  if (!found) throw new DmmlabError('E_RUNTIME', `${mn} has no home address anchored at ${mr} (${anchor}) right now`);
  return found.address;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new DmmlabError('E_ABORTED', 'run interrupted'));
      },
      { once: true },
    );
  });
}
