import path from 'node:path';

/** Root of every lab's state; override with DMMLAB_STATE_DIR (tests, non-standard systems). */
export function stateRoot(): string {
  return process.env.DMMLAB_STATE_DIR ?? '/run/dmmlab';
}

export function labDir(lab: string): string {
  return path.join(stateRoot(), lab);
}

export function stateFile(lab: string): string {
  return path.join(labDir(lab), 'state.json');
}

export function agentSocket(lab: string, node: string): string {
  return path.join(labDir(lab), 'agents', `${node}.sock`);
}

/** The agent's event log: one JSON event per line. */
export function nodeLog(lab: string, node: string): string {
  return path.join(labDir(lab), 'logs', `${node}.log`);
}

/** The agent process's own stdout and stderr (start-up errors, crashes). */
export function nodeOutput(lab: string, node: string): string {
  return path.join(labDir(lab), 'logs', `${node}.out`);
}

/** The control socket of the lab's agent host (one process serving many nodes, agent/host.ts). */
export function agentHostSocket(lab: string): string {
  return path.join(labDir(lab), 'agents', 'host.sock');
}

/** The agent host's own stdout and stderr. */
export function agentHostOutput(lab: string): string {
  return path.join(labDir(lab), 'logs', 'agent-host.out');
}
