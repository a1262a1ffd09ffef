import { Box, Text } from 'ink';
import { KEY_BINDINGS } from '../keys.js';
import { Panel } from './panel.js';

/** Every key with what it does, in two columns (any key closes it). */
export function HelpOverlay({ width, height }: { width: number; height: number }) {
  const half = Math.ceil(KEY_BINDINGS.length / 2);
  const column = (list: typeof KEY_BINDINGS) => (
    <Box flexDirection="column" width={Math.floor((width - 4) / 2)} paddingRight={2}>
      {list.map((b) => (
        <Text key={`${b.key}${b.action}`} wrap="truncate-end">
          <Text bold color="cyan">
            {b.key.padEnd(6)}
          </Text>
          {b.help}
        </Text>
      ))}
    </Box>
  );
  return (
    <Panel title="Help" note="any key closes" width={width} height={height}>
      <Box>
        {column(KEY_BINDINGS.slice(0, half))}
        {column(KEY_BINDINGS.slice(half))}
      </Box>
      <Text dimColor wrap="truncate-end">
        In a list: type to filter, ↑/↓ to move, Enter to choose, Esc to go back.
      </Text>
      <Text dimColor wrap="truncate-end">
        Every action goes through the lab's library API (LabSession), as `dmmlab run` does; the TUI holds no mobility logic.
      </Text>
    </Panel>
  );
}
