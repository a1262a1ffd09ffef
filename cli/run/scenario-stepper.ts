import type { LabSession } from '../lab/session.js';
import { silentProgress } from '../util/progress.js';
import { runSteps } from './run-steps.js';
import { loadScenario } from '../scenario/load.js';
import type { Step } from '../scenario/schema.js';
import { describeStep } from '../scenario/timeline.js';
import { newRunLog, type RunLog } from '../scenario/run-log.js';

/** Steps of a scenario one at a time on a running lab (the TUI's `n` and `p` keys). */
export interface ScenarioStepperHandle {
  readonly steps: string[];
  readonly position: number;
  next(): Promise<void>;
  play(): Promise<void>;
  pause(): void;
  /** What the steps have run so far (flows, handovers, failures). */
  readonly log: RunLog;
}

/**
 * Loads a scenario and prepares to play its timeline on `session`'s lab step
 * by step (repeat blocks unrolled). The steps run through the same code as
 * `dmmlab run`; expectations are checked only for `expect` steps.
 */
export async function createScenarioStepper(file: string, session: LabSession): Promise<ScenarioStepperHandle> {
  const loaded = await loadScenario(file, { lab: session.lab });
  const flat: { step: Step; path: string }[] = [];
  const unroll = (steps: readonly Step[], base: string) => {
    steps.forEach((s, i) => {
      if (s.repeat) for (let k = 0; k < s.repeat.times; k++) unroll(s.repeat.steps, `${base}[${i}].repeat#${k + 1}`);
      else flat.push({ step: s, path: `${base}[${i}]` });
    });
  };
  unroll(loaded.scenario.steps, 'steps');
  const log = newRunLog();
  let position = 0;
  let playing = false;
  const next = async () => {
    const item = flat[position];
    if (!item) return;
    position++;
    await runSteps([item.step], { session, progress: silentProgress, log }, item.path.replace(/\[\d+\]$/, ''));
  };
  return {
    steps: flat.map((f) => `${f.path}: ${describeStep(f.step)}`),
    get position() {
      return position;
    },
    log,
    next,
    async play() {
      playing = true;
      while (playing && position < flat.length) await next();
      playing = false;
    },
    pause() {
      playing = false;
    },
  };
}
