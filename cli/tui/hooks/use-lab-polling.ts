import { LabStates } from '../../lab/lab-states.js';
import { useEffect, type Dispatch } from 'react';
import { monoMs } from '../../../shared/clock.js';
import { errorText } from '../../errors.js';
import type { CaptureStatus, Radio, TuiLab } from '../tui-lab.js';
import { mobileNodes, type TuiAction } from '../tui-model.js';

/**
 * Polls what events do not carry in full, every `everyMs` (default 500 ms):
 * every agent's state (bindings, caches, flows), the mobile nodes' radios,
 * the capture status, and whether the lab still exists. One poll at a time;
 * a failed poll is noted once, not once per tick.
 */
export function useLabPolling(lab: TuiLab, dispatch: Dispatch<TuiAction>, everyMs = 500): void {
  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let lastError = '';
    const mns = mobileNodes(lab.plan);
    const tick = async () => {
      try {
        const present = await lab.present();
        const [states, radios, capture] = present
          ? await Promise.all([
              lab.allStates(),
              radiosOf(lab, mns),
              lab.capture.stats().catch((e: unknown): CaptureStatus => ({ on: false, packets: 0, error: errorText(e) })),
            ])
          : [new LabStates({}), {}, undefined];
        if (stopped) return;
        lastError = '';
        dispatch({ type: 'poll', states, radios, present, t: monoMs(), ...(capture ? { capture } : {}) });
      } catch (e) {
        const text = `reading the lab failed: ${errorText(e)}`;
        if (!stopped && text !== lastError) dispatch({ type: 'note', text, error: true, t: monoMs() });
        lastError = text;
      }
      if (!stopped) timer = setTimeout(() => void tick(), everyMs);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [lab, dispatch, everyMs]);
}

async function radiosOf(lab: TuiLab, mns: string[]): Promise<Record<string, Radio[]>> {
  const out: Record<string, Radio[]> = {};
  await Promise.all(
    mns.map(async (mn) => {
      const r = await lab.radios(mn).catch(() => undefined);
      if (r) out[mn] = r;
    }),
  );
  return out;
}
