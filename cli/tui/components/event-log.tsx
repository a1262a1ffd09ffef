import { Text } from 'ink';
import type { EventCategory } from '../event-text.js';
import type { LogEntry, LogFilter } from '../tui-model.js';
import { Line, Panel } from './panel.js';

export interface EventLogProps {
  entries: LogEntry[];
  filter: LogFilter;
  width: number;
  height: number;
}

const COLOR: Partial<Record<EventCategory, string>> = {
  signalling: 'cyan',
  attach: 'green',
  handover: 'magenta',
  binding: 'blue',
  error: 'red',
  step: 'yellow',
};

const FILTER_NOTE: Record<LogFilter, string> = { key: 'key events · l: more', signalling: 'signalling · l: more', all: 'everything · l: less' };

/** The newest events that fit, oldest at the top: wall-clock time, node, what happened. */
export function EventLog({ entries, filter, width, height }: EventLogProps) {
  const shown = entries.slice(-Math.max(1, height - 2));
  return (
    <Panel title="Events" note={FILTER_NOTE[filter]} width={width} height={height}>
      {shown.length === 0 ? <Line dim>waiting for events…</Line> : null}
      {shown.map((e) => (
        <Text key={e.id} wrap="truncate-end">
          <Text dimColor>{e.clock}</Text> {e.node.padEnd(6)}{' '}
          <Text {...(COLOR[e.category] ? { color: COLOR[e.category] } : {})} bold={e.category === 'handover' && e.kind === 'handover.completed'}>
            {e.text}
          </Text>
        </Text>
      ))}
    </Panel>
  );
}
