import type { AgentEvent } from '../../shared/control/messages.js';
import type { AgentDown, LabSession } from '../lab/session.js';
import { readState } from '../state/journal.js';
import type { ScenarioStepper, TuiCapture, TuiLab } from './tui-lab.js';

/**
 * A TuiLab over a live LabSession (the only place the TUI touches the
 * concrete class). `settle` waits for requests still under way (a poll when
 * the user quit), so the session can close without leaving them to time out.
 */
export function sessionTuiLab(
  session: LabSession,
  capture: TuiCapture,
  opts: { history?: AgentEvent[]; scenario?: ScenarioStepper } = {},
): TuiLab & { settle(maxMs?: number): Promise<void> } {
  const { history = [], scenario } = opts;
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    const done = () => void inflight.delete(p);
    p.then(done, done);
    return p;
  };
  return {
    lab: session.lab,
    history,
    plan: session.plan,
    monoToWallMs: session.state.monoToWallMs,
    get deadAgents() {
      return session.deadAgents;
    },
    capture,
    ...(scenario ? { scenario } : {}),
    onEvent(listener: (e: AgentEvent) => void) {
      session.on('event', listener);
      return () => void session.off('event', listener);
    },
    onAgentDown(listener: (d: AgentDown) => void) {
      session.on('agent-down', listener);
      return () => void session.off('agent-down', listener);
    },
    allStates: () => track(session.allStates()),
    radios: (mn) => track(session.radios(mn)),
    attachedTo: (mn) => track(session.attachedTo(mn)),
    attach: (mn, ar) => track(session.attach(mn, ar)),
    detach: (mn, ar) => track(session.detach(mn, ar)),
    handover: (mn, to, o) => track(session.handover(mn, to, o)),
    startFlow: (f) => track(session.startFlow(f)),
    stopFlow: (f) => track(session.stopFlow(f)),
    present: () =>
      readState(session.lab).then(
        (s) => s.status !== 'destroying',
        () => false,
      ),
    async settle(maxMs = 3000) {
      const timer = new Promise<void>((r) => setTimeout(r, maxMs).unref());
      await Promise.race([Promise.allSettled([...inflight]), timer]);
    },
  };
}
