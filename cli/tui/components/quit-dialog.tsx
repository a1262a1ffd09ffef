import { Text } from 'ink';
import { Panel } from './panel.js';

export interface QuitDialogProps {
  lab: string;
  labGone: boolean;
  width: number;
}

/** Leaving: keep the lab running (k) or destroy it (d); Esc goes back. A lab already gone just leaves. */
export function QuitDialog({ lab, labGone, width }: QuitDialogProps) {
  return (
    <Panel title="Quit" width={Math.min(width, 80)} height={4}>
      {labGone ? (
        <Text wrap="truncate-end">
          Lab {lab} is already gone. <Text bold>Enter</Text> leaves, <Text bold>Esc</Text> stays.
        </Text>
      ) : (
        <Text wrap="truncate-end">
          Leave the TUI. Lab <Text bold>{lab}</Text>:{' '}
          <Text bold color="green">
            k
          </Text>{' '}
          keep it running ·{' '}
          <Text bold color="red">
            d
          </Text>{' '}
          destroy it · <Text bold>Esc</Text> stay
        </Text>
      )}
      <Text dimColor wrap="truncate-end">
        {labGone ? ' ' : `kept: dmmlab tui ${lab} reopens it, dmmlab destroy ${lab} removes it`}
      </Text>
    </Panel>
  );
}
