import { open } from 'node:fs/promises';
import type { AgentEvent } from '../../shared/control/messages.js';
import { nodeLog } from '../state/paths.js';

/**
 * The last events of each agent, read from the tails of their log files
 * (one JSON event per line), merged in time order: what the event log shows
 * when the TUI opens on a lab that has been running for a while.
 */
export async function recentEvents(lab: string, nodes: readonly string[], perNode = 100, tailBytes = 256 * 1024): Promise<AgentEvent[]> {
  const all = await Promise.all(
    nodes.map((n) =>
      tail(nodeLog(lab, n), tailBytes).then(
        (lines) => parse(lines).slice(-perNode),
        () => [],
      ),
    ),
  );
  return all.flat().sort((a, b) => a.t - b.t);
}

async function tail(file: string, bytes: number): Promise<string[]> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    return start > 0 ? lines.slice(1) : lines; // the first line may be cut
  } finally {
    await fh.close();
  }
}

function parse(lines: string[]): AgentEvent[] {
  const out: AgentEvent[] = [];
  for (const l of lines) {
    if (!l) continue;
    try {
      const e = JSON.parse(l) as AgentEvent;
      if (typeof e.t === 'number' && typeof e.kind === 'string' && typeof e.node === 'string') out.push(e);
    } catch {
      // a torn last line while the agent writes
    }
  }
  return out;
}
