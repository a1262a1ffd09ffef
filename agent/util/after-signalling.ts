/**
 * Work that must not hold up a handover's signalling: radvd's configuration
 * (a file rename and a signal) and the like. It runs once the agent host has
 * seen no signalling message for QUIET_MS, and at the latest MAX_DELAY_MS
 * after it was asked for. On the netns runtime every node's agent shares one
 * host thread, so the quiet is the host's: the new MR, the LM and the previous
 * MR of one handover exchange their messages first, then the routers' own
 * housekeeping runs (measured in docs/protocol.md, "Where a reactive
 * handover's time goes").
 */
export const QUIET_MS = 3;
export const MAX_DELAY_MS = 40;

let lastActivity = -Infinity;
let firstQueued = 0;
let timer: NodeJS.Timeout | undefined;
const queue: (() => void)[] = [];

/** A signalling message was sent or received now. */
export function signallingActivity(): void {
  lastActivity = performance.now();
}

/** Runs `work` after the current burst of signalling (see above). */
export function afterSignalling(work: () => void): void {
  if (queue.length === 0) firstQueued = performance.now();
  queue.push(work);
  if (!timer) arm(QUIET_MS);
}

function arm(ms: number): void {
  timer = setTimeout(check, ms);
}

function check(): void {
  timer = undefined;
  const now = performance.now();
  const quietFor = now - lastActivity;
  const waited = now - firstQueued;
  if (quietFor < QUIET_MS && waited < MAX_DELAY_MS) {
    arm(Math.max(1, Math.ceil(Math.min(QUIET_MS - quietFor, MAX_DELAY_MS - waited))));
    return;
  }
  for (const work of queue.splice(0)) {
    try {
      work();
    } catch (e) {
      process.emitWarning(`work deferred after signalling failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
