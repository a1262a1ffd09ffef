import { readFile } from 'node:fs/promises';
import { agentHostOutput, nodeLog, nodeOutput } from '../state/paths.js';

/** The last `n` lines of a file ('' if it cannot be read). */
export async function lastLines(file: string, n = 15): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * What a dead agent said last: the tail of its process output (start-up
 * errors, crash traces; the agent host's, when one serves the node) and of
 * its event log (its last events; an agent killed by a signal writes only there).
 */
export async function agentLastWords(lab: string, node: string, n = 10): Promise<string> {
  const [out, host, log] = await Promise.all([lastLines(nodeOutput(lab, node), n), lastLines(agentHostOutput(lab), n), lastLines(nodeLog(lab, node), n)]);
  return [out, host, log].filter(Boolean).join('\n');
}
