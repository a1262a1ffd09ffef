import path from 'node:path';
import type { Command } from './command.js';
import { usageError } from './usage-error.js';
import { oneOf } from './choices.js';
import { RUNTIME_NAMES } from '../topology/runtime-names.js';

export const tuiCommand: Command = {
  name: 'tui',
  summary: 'drive a lab by hand in a terminal UI: topology, bindings, flows and events, live',
  usage: `tui <topology.yaml|lab> [scenario.yaml] [--runtime ${RUNTIME_NAMES.join('|')}] [--name LAB]`,
  help:
    'Given a topology file, deploys it first (on --runtime, default netns); given a lab name, opens the running lab. ' +
    'Keys are shown in the footer, ? lists them all; q asks whether to destroy the lab or keep it. Needs a terminal ' +
    '(100x30 or larger); for scripted runs use dmmlab run <scenario>.',
  options: {
    runtime: { type: 'string', description: 'runtime for a topology file: netns (default) or docker' },
    name: { type: 'string', description: 'lab name for a topology file (default: the topology name)' },
  },
  async run({ values, positionals }, io) {
    const { importTui } = await import('../tui/import-tui.js');
    const { createScenarioStepper } = await import('../run/scenario-stepper.js');
    const [target, scenario] = positionals;
    if (!target || positionals.length > 2) throw usageError(this, 'expected a topology file or a lab name, and optionally a scenario file');
    const runtime = oneOf(values.runtime, RUNTIME_NAMES, '--runtime');
    if (!process.stdin.isTTY || !io.stdout.isTTY) {
      io.stderr.write('dmmlab tui needs a terminal; for scripted runs use dmmlab run <scenario>\n');
      return 2;
    }
    const { startTui } = await importTui();
    return startTui({
      target,
      ...(scenario ? { scenario } : {}),
      ...(runtime ? { runtime } : {}),
      ...(typeof values.name === 'string' ? { name: values.name } : {}),
      progress: io.progress,
      signal: io.signal,
      stdout: io.stdout,
      stdin: process.stdin,
      stderr: io.stderr,
      loadScenario: (file, session) => createScenarioStepper(path.resolve(file), session),
    });
  },
};
