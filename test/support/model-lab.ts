import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, type AgentState } from '../../cli/api.js';
import { waitForHomeAddresses } from '../../cli/lab/mn-addresses.js';
import { measuredLoad, type MeasuredLoad } from '../../cli/model/measured-load.js';
import { predictCounts, type Load, type Placement } from '../../cli/model/signalling-load.js';
import { silentProgress, type Progress } from '../../cli/util/progress.js';

/** Messages every agent has sent and received so far. */
function handled(states: Readonly<Record<string, AgentState>>): number {
  return Object.values(states).reduce((n, st) => n + (st.signalling ? st.signalling.sent + st.signalling.received : 0), 0);
}

/** How long after a batch's moves its idle prefixes' releases are surely over. */
const RELEASE_QUIET_MS = 7000;
import { generateTopology } from './generate-topology.js';

export interface ModelLabResult {
  nodes: number;
  mns: number;
  handovers: number;
  measured: MeasuredLoad;
  predicted: { lm: Load; mrs: Load; anchor: Load };
  /** Seconds the handovers took, first radio change to the last snapshot. */
  seconds: number;
}

/**
 * A generated lab of `size` nodes in which every mobile node moves twice
 * (to its second cell, then its third), `batch` nodes at a time; the agents'
 * signalling counters around each batch's moves, against the model's
 * prediction for the same moves (the first with one home prefix held, the
 * second with two). Releases of idle prefixes, which follow seconds later,
 * fall outside the windows (the model leaves them out).
 */
export async function runModelLab(opts: { name: string; size: number; placement: Placement; batch?: number; progress?: Progress }): Promise<ModelLabResult> {
  const progress = opts.progress ?? silentProgress;
  const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-model-'));
  const file = path.join(dir, 'lab.yaml');
  await writeFile(file, generateTopology({ name: opts.name, size: opts.size, centralAnchor: opts.placement === 'central' }));
  try {
    await using lab = await Lab.deploy({ topology: file, runtime: 'netns', progress });
    const s = lab.session;
    await waitForHomeAddresses(s, progress);
    const mns = s.plan.mobility.mns;
    const t0 = performance.now();
    const batch = opts.batch ?? 20;
    const measured: MeasuredLoad = { lm: { messages: 0, bytes: 0 }, mrs: { messages: 0, bytes: 0 }, anchor: { messages: 0, bytes: 0 }, retransmitted: 0 };
    for (let i = 0; i < mns.length; i += batch) {
      // A prefix left idle is released about 2 s later (its node's agent looks for idle addresses): each
      // batch is counted within a second of its moves, and the next waits until those releases are over.
      if (i > 0) await new Promise((r) => setTimeout(r, RELEASE_QUIET_MS));
      const group = mns.slice(i, i + batch);
      const before = (await s.allStates()).byNode;
      for (const step of [1, 2]) {
        await Promise.all(group.map((m) => s.handover(m.node, m.ars[step] as string)));
        await new Promise((r) => setTimeout(r, 300));
      }
      // Counted once the signalling of these moves is over (two snapshots alike), well before any release.
      let after = (await s.allStates()).byNode;
      for (let k = 0; k < 5; k++) {
        await new Promise((r) => setTimeout(r, 200));
        const again = (await s.allStates()).byNode;
        const same = handled(again) === handled(after);
        after = again;
        if (same) break;
      }
      const d = measuredLoad(s.plan, before, after);
      for (const k of ['lm', 'mrs', 'anchor'] as const) {
        measured[k].messages += d[k].messages;
        measured[k].bytes += d[k].bytes;
      }
      measured.retransmitted += d.retransmitted;
      progress.info(`${Math.min(i + batch, mns.length)}/${mns.length} mobile nodes moved twice`);
    }
    const seconds = (performance.now() - t0) / 1000;
    // The first move leaves the start cell, the second the first one's; central anchoring: the network's anchor is its first MR.
    const anchorOf = new Map(s.plan.networks.map((n) => [n.name, n.anchor]));
    const moves = mns.flatMap((m) => [
      { prefixes: 1, fromAnchor: anchorOf.get(m.network) === m.ars[0] },
      { prefixes: 2, fromAnchor: anchorOf.get(m.network) === m.ars[1] },
    ]);
    const p = predictCounts(opts.placement, moves);
    const sum = (...ls: Load[]) => ({ messages: ls.reduce((a, l) => a + l.messages, 0), bytes: ls.reduce((a, l) => a + l.bytes, 0) });
    return {
      nodes: s.plan.nodes.length,
      mns: mns.length,
      handovers: moves.length,
      measured,
      predicted: { lm: p.lm, mrs: sum(p.newMr, p.previousMr, p.anchor, p.correspondentMr), anchor: p.anchor },
      seconds,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
