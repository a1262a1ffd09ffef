import { Box, Text } from 'ink';
import type { ActionStatus } from '../hooks/use-actions.js';
import { KEY_BINDINGS } from '../keys.js';

const STATUS_COLOR: Record<ActionStatus['state'], string | undefined> = { idle: undefined, busy: 'yellow', ok: 'green', error: 'red' };
const STATUS_MARK: Record<ActionStatus['state'], string> = { idle: '', busy: '… ', ok: '✔ ', error: '✘ ' };

/** The last action's outcome, and the keys (`?` shows them all). */
export function Footer({ status }: { status: ActionStatus }) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end" {...(STATUS_COLOR[status.state] ? { color: STATUS_COLOR[status.state] } : {})}>
        {status.state === 'idle' ? ' ' : `${STATUS_MARK[status.state]}${status.text}`}
      </Text>
      <Text wrap="truncate-end">
        {KEY_BINDINGS.filter((b) => b.footer).map((b, i) => (
          <Text key={b.key}>
            {i > 0 ? '  ' : ''}
            <Text bold color="cyan">
              {b.key}
            </Text>{' '}
            {b.footer}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
