import { Text } from 'ink';
import type { CaptureStatus as Status } from '../tui-lab.js';

/** Capture on or off, packets so far, and where they go (or the last export). */
export function CaptureStatus({ status }: { status: Status }) {
  return (
    <Text wrap="truncate-end">
      <Text bold>capture </Text>
      {status.on ? (
        <Text color="red" bold>
          ● on
        </Text>
      ) : (
        <Text dimColor>off</Text>
      )}
      {` · ${status.packets} packets`}
      {status.file ? <Text dimColor> · {status.file}</Text> : null}
      {status.error ? <Text color="red"> · {status.error}</Text> : null}
    </Text>
  );
}
