import { Box, Text, useInput } from 'ink';

/** What is left when the TUI itself broke: the error, and a way out that keeps the lab. */
export function ErrorScreen({ error, onQuit }: { error: Error; onQuit: () => void }) {
  useInput((input, key) => {
    if (input === 'q' || key.return || key.escape || (key.ctrl && input === 'c')) onQuit();
  });
  return (
    <Box flexDirection="column">
      <Text color="red" bold>
        dmmlab tui stopped drawing: {error.message}
      </Text>
      <Text dimColor>{(error.stack ?? '').split('\n').slice(1, 4).join('\n')}</Text>
      <Text>The lab keeps running. Press q to leave (dmmlab destroy removes the lab).</Text>
    </Box>
  );
}
