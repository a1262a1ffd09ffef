import { Box, Text } from 'ink';
import { MIN_COLUMNS, MIN_ROWS } from '../layout.js';

/** Drawn instead of the panels when the terminal cannot hold them. */
export function TooSmall({ columns, rows }: { columns: number; rows: number }) {
  return (
    <Box flexDirection="column">
      <Text color="yellow" bold wrap="truncate-end">
        terminal too small: need {MIN_COLUMNS}x{MIN_ROWS}, have {columns}x{rows}
      </Text>
      <Text wrap="truncate-end">resize the terminal, or press q to quit</Text>
    </Box>
  );
}
