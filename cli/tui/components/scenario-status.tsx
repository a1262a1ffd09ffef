import { Text } from 'ink';
import type { ScenarioStepper } from '../tui-lab.js';

export interface ScenarioStatusProps {
  scenario: ScenarioStepper | undefined;
  playing: boolean;
  /** Why no scenario is loaded, when one was asked for. */
  missing?: string;
}

/** Where the scenario stands: the step that runs next, or that none is loaded. */
export function ScenarioStatus({ scenario, playing, missing }: ScenarioStatusProps) {
  if (!scenario) {
    return (
      <Text wrap="truncate-end" dimColor>
        scenario: {missing ?? 'no scenario loaded'}
      </Text>
    );
  }
  const { steps, position } = scenario;
  const done = position >= steps.length;
  return (
    <Text wrap="truncate-end">
      <Text bold>scenario </Text>
      {done ? `finished (${steps.length} steps)` : `step ${position + 1}/${steps.length}: ${steps[position] ?? ''}`}
      {playing ? <Text color="green"> ▶ playing (p pauses)</Text> : <Text dimColor>{done ? '' : ' · n step · p play'}</Text>}
    </Text>
  );
}
