import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { render, type Instance } from 'ink';
import { createElement } from 'react';
import type { AgentEvent } from '../../shared/control/messages.js';
import { errorText } from '../errors.js';
import { deploy } from '../lab/deploy.js';
import { destroy } from '../lab/destroy.js';
import { LabSession } from '../lab/session.js';
import type { Progress } from '../util/progress.js';
import { App, type QuitChoice } from './app.js';
import { captureAdapter } from './capture-adapter.js';
import { recentEvents } from './recent-events.js';
import { sessionTuiLab } from './session-lab.js';
import type { ScenarioStepper } from './tui-lab.js';
import type { RuntimeName } from '../topology/runtime-names.js';

export interface StartTuiOptions {
  /** A running lab's name, or a topology file to deploy first. */
  target: string;
  /** Scenario file to step through. */
  scenario?: string;
  /** Runtime for a topology file (default netns). */
  runtime?: RuntimeName;
  /** Lab name for a topology file (default: the topology's). */
  name?: string;
  progress: Progress;
  /** Aborted on SIGTERM (or Ctrl-C during deploy): leaves the TUI, keeping the lab. */
  signal: AbortSignal;
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
  /** Builds the stepper for a scenario file (the scenario runner plugs in here). */
  loadScenario?: (file: string, session: LabSession) => Promise<ScenarioStepper>;
}

/** Events kept for annotating an exported capture. */
const EXPORT_EVENTS = 20_000;

/** A topology file (by extension, or because a file of that name exists) rather than a lab name. */
export function isTopologyFile(target: string): boolean {
  if (/\.ya?ml$/i.test(target)) return true;
  return existsSync(target) && statSync(target).isFile();
}

/**
 * `dmmlab tui`: deploys the topology if given one (progress on stderr), opens
 * a LabSession, draws the TUI on the alternate screen until the user quits,
 * then destroys the lab or leaves it running as they chose. Returns the exit code.
 */
export async function startTui(o: StartTuiOptions): Promise<number> {
  let lab = o.target;
  if (isTopologyFile(o.target)) {
    const deployed = await deploy({
      topology: path.resolve(o.target),
      runtime: o.runtime ?? 'netns',
      progress: o.progress,
      signal: o.signal,
      ...(o.name ? { name: o.name } : {}),
    });
    lab = deployed.lab;
    o.stderr.write(`lab ${lab} deployed in ${(deployed.durationMs / 1000).toFixed(2)} s (runtime ${deployed.runtime}); opening the TUI\n`);
  }
  const session = await LabSession.open(lab);
  const history = await recentEvents(
    lab,
    session.plan.nodes.filter((n) => n.agent).map((n) => n.name),
  );
  const recent: AgentEvent[] = [];
  session.on('event', (e) => {
    recent.push(e);
    if (recent.length > EXPORT_EVENTS) recent.splice(0, recent.length - EXPORT_EVENTS);
  });
  const capture = captureAdapter({ plan: session.plan, access: (n) => session.access(n.name), events: () => recent, monoToWallMs: session.state.monoToWallMs });
  let tuiLab = sessionTuiLab(session, capture, { history });
  let scenarioMissing: string | undefined;
  if (o.scenario) {
    if (!o.loadScenario) scenarioMissing = `${path.basename(o.scenario)} not loaded: stepping needs the scenario runner (not available yet)`;
    else {
      try {
        tuiLab = sessionTuiLab(session, capture, { history, scenario: await o.loadScenario(o.scenario, session) });
      } catch (e) {
        scenarioMissing = `${path.basename(o.scenario)} not loaded: ${errorText(e)}`;
      }
    }
  }

  const alternate = Boolean(o.stdout.isTTY);
  if (alternate) o.stdout.write('\x1b[?1049h\x1b[H');
  let ink: Instance | undefined;
  let choice: QuitChoice;
  try {
    choice = await new Promise<QuitChoice>((resolve) => {
      o.signal.addEventListener('abort', () => resolve({ destroy: false }), { once: true });
      ink = render(createElement(App, { lab: tuiLab, onQuit: resolve, ...(scenarioMissing ? { scenarioMissing } : {}) }), {
        stdout: o.stdout,
        stdin: o.stdin,
        stderr: o.stderr,
        exitOnCtrlC: false,
      });
    });
  } finally {
    ink?.unmount();
    // Ink's last frame and log-update's erase sequences must land on the alternate screen: written
    // after we leave it, they erase lines of the main screen, our closing message among them.
    await ink?.waitUntilExit().catch(() => undefined);
    if (alternate) o.stdout.write('\x1b[?1049l');
    await capture.close();
    await tuiLab.settle();
    session.close();
  }

  if (!(await tuiLab.present())) {
    o.stdout.write(`lab ${lab} is gone (destroyed while the TUI ran)\n`);
  } else if (choice.destroy) {
    await destroy(lab, { progress: o.progress });
    o.stdout.write(`destroyed lab ${lab}\n`);
  } else {
    o.stdout.write(`lab ${lab} keeps running · dmmlab tui ${lab} reopens it · dmmlab destroy ${lab} removes it\n`);
  }
  return 0;
}
