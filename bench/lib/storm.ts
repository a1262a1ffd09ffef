import { LabSession } from '../../cli/lab/session.js';
import { LabStates } from '../../cli/lab/lab-states.js';
import type { Plan } from '../../cli/plan/types.js';
import { mapLimit } from '../../cli/util/exec.js';
import type { AgentState } from '../../shared/control/role-state.js';

export interface StormResult {
  mns: number;
  lms: number;
  /** From deploy's end until every LM holds each mobile node's binding at its first access router. */
  settleMs: number;
  /** Wall time taken to issue every handover (the window asked for is 10 s). */
  issuedMs: number;
  /** From the first handover until every LM binding names the new access router. */
  allCorrectMs: number;
  /** From the last handover until then. */
  afterLastMs: number;
  /** Mobile nodes whose binding was still wrong or missing when the wait ended. */
  lost: string[];
  failedHandovers: string[];
}

interface Mover {
  mn: string;
  id: string;
  from: string;
  to: string;
}

/**
 * Every mobile node of a running lab changes access router once within
 * `windowMs` (spread evenly, break-before-make), then the LMs are polled until
 * each node's binding names its new serving MR, or `waitMs` passes.
 */
export async function handoverStorm(lab: string, plan: Plan, opts: { windowMs?: number; waitMs?: number } = {}): Promise<StormResult> {
  const windowMs = opts.windowMs ?? 10_000;
  const waitMs = opts.waitMs ?? 60_000;
  const movers: Mover[] = plan.mobility.mns.flatMap((m) => {
    const node = plan.nodes.find((n) => n.name === m.node)!;
    const radios = node.interfaces.filter((i) => i.kind === 'access');
    const from = radios.find((i) => i.up)?.peer.node;
    const to = radios.find((i) => !i.up)?.peer.node;
    return from && to ? [{ mn: m.node, id: m.id, from, to }] : [];
  });
  const lms = plan.nodes.filter((n) => n.roles.includes('lm')).map((n) => n.name);
  const session = await LabSession.open(lab, { connectTimeoutMs: 10_000 });
  try {
    const wrong = async (where: (m: Mover) => string): Promise<Mover[]> => {
      const states: Record<string, AgentState> = {};
      await mapLimit(lms, 16, async (lm) => {
        const s = await session.agentState(lm).catch(() => undefined);
        if (s) states[lm] = s;
      });
      const bindings = new LabStates(states).bindings();
      const byId = new Map<string, string[]>();
      for (const b of bindings) (byId.get(b.mnId) ?? byId.set(b.mnId, []).get(b.mnId)!).push(b.mr);
      return movers.filter((m) => {
        const at = byId.get(m.id) ?? [];
        return at.length === 0 || at.some((mr) => mr !== where(m));
      });
    };
    const until = async (where: (m: Mover) => string, limitMs: number): Promise<{ ms: number; left: Mover[] }> => {
      const t0 = performance.now();
      for (;;) {
        const left = await wrong(where);
        if (left.length === 0 || performance.now() - t0 > limitMs) return { ms: performance.now() - t0, left };
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const settled = await until((m) => m.from, waitMs);
    if (settled.left.length > 0) throw new Error(`before the storm, ${settled.left.length} mobile nodes had no binding at their first access router`);

    const failed: string[] = [];
    const start = performance.now();
    let lastAt = start;
    await Promise.all(
      movers.map(async (m, i) => {
        const at = start + (i * windowMs) / movers.length;
        await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
        await session.handover(m.mn, m.to).catch((e: unknown) => failed.push(`${m.mn}: ${e instanceof Error ? e.message : String(e)}`));
        lastAt = Math.max(lastAt, performance.now());
      }),
    );
    const issuedMs = performance.now() - start;
    const done = await until((m) => m.to, waitMs);
    const end = performance.now();
    return {
      mns: movers.length,
      lms: lms.length,
      settleMs: settled.ms,
      issuedMs,
      allCorrectMs: end - start,
      afterLastMs: end - lastAt,
      lost: done.left.map((m) => m.mn),
      failedHandovers: failed,
    };
  } finally {
    session.close();
  }
}
