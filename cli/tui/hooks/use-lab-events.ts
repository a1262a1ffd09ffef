import { useEffect, type Dispatch } from 'react';
import { monoMs } from '../../../shared/clock.js';
import type { AgentEvent } from '../../../shared/control/messages.js';
import type { TuiLab } from '../tui-lab.js';
import type { TuiAction } from '../tui-model.js';

/** Events kept between two flushes at most (a burst beyond this drops the oldest). */
const BUFFER_LIMIT = 5000;

/**
 * Feeds the events from before the TUI opened, then the lab's merged event
 * stream, into the model, in batches every
 * `flushMs` (a handover is dozens of events in a few milliseconds; one render
 * each would be wasted), and agents that stop answering as they do.
 */
export function useLabEvents(lab: TuiLab, dispatch: Dispatch<TuiAction>, flushMs = 50): void {
  useEffect(() => {
    if (lab.history.length) dispatch({ type: 'events', events: lab.history });
  }, [lab, dispatch]);
  useEffect(() => {
    let buffer: AgentEvent[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const events = buffer;
      buffer = [];
      if (events.length) dispatch({ type: 'events', events });
    };
    const offEvent = lab.onEvent((e) => {
      buffer.push(e);
      if (buffer.length > BUFFER_LIMIT) buffer.splice(0, buffer.length - BUFFER_LIMIT);
      timer ??= setTimeout(flush, flushMs);
    });
    const offDown = lab.onAgentDown((down) => dispatch({ type: 'agent-down', down, t: monoMs() }));
    return () => {
      offEvent();
      offDown();
      if (timer) clearTimeout(timer);
    };
  }, [lab, dispatch, flushMs]);
}
