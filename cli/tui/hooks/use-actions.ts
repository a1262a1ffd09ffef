import { useCallback, useRef, useState, type Dispatch } from 'react';
import { monoMs } from '../../../shared/clock.js';
import { errorText } from '../../errors.js';
import type { TuiAction } from '../tui-model.js';

/** The outcome of the last action, shown above the footer. */
export interface ActionStatus {
  state: 'idle' | 'busy' | 'ok' | 'error';
  text: string;
}

/**
 * Runs what a key asked for against the lab, one line of status at a time:
 * busy while it runs, then what it did or why it failed (also noted in the
 * event log). A failed action never takes the TUI down.
 */
export function useActions(dispatch: Dispatch<TuiAction>): {
  status: ActionStatus;
  run: (label: string, fn: () => Promise<string | void>) => void;
  say: (text: string, error?: boolean) => void;
} {
  const [status, setStatus] = useState<ActionStatus>({ state: 'idle', text: '' });
  const latest = useRef(0);
  const run = useCallback(
    (label: string, fn: () => Promise<string | void>) => {
      const id = ++latest.current;
      setStatus({ state: 'busy', text: `${label} …` });
      fn().then(
        (done) => {
          if (id === latest.current) setStatus({ state: 'ok', text: done || label });
        },
        (e: unknown) => {
          const text = `${label} failed: ${errorText(e)}`;
          if (id === latest.current) setStatus({ state: 'error', text });
          dispatch({ type: 'note', text, error: true, t: monoMs() });
        },
      );
    },
    [dispatch],
  );
  const say = useCallback((text: string, error = false) => {
    latest.current++;
    setStatus({ state: error ? 'error' : 'ok', text });
  }, []);
  return { status, run, say };
}
