import { Box, Text } from 'ink';
import type { FlowRow } from '../tui-model.js';
import { Line, Panel } from './panel.js';

export interface FlowsPanelProps {
  flows: FlowRow[];
  width: number;
  height: number;
}

const STATE_COLOR: Record<string, string> = { running: 'green', stopped: 'gray', broken: 'red' };

/** Two lines per flow: rate, sent, received, lost, last sequence; then the addresses its packets carry now. */
export function FlowsPanel({ flows, width, height }: FlowsPanelProps) {
  const fit = Math.max(1, Math.floor((height - 2) / 2));
  const shown = flows.slice(0, fit);
  const running = flows.filter((f) => f.state === 'running').length;
  return (
    <Panel
      title="Flows"
      note={flows.length ? `${running} running${flows.length > shown.length ? `, ${flows.length - shown.length} more` : ''}` : ''}
      width={width}
      height={height}
    >
      {flows.length === 0 ? <Line dim>no flows — press f to start one</Line> : null}
      {shown.map((f) => (
        <Box key={f.id} flexDirection="column">
          <Text wrap="truncate-end">
            <Text bold>{f.id.padEnd(4)}</Text> {f.kind.padEnd(4)} {`${f.from ?? '?'} → ${f.to ?? '-'}`.padEnd(12)}{' '}
            <Text color={STATE_COLOR[f.state] ?? 'yellow'}>{f.state.padEnd(8)}</Text>
            {f.state === 'running' ? ` ${f.rate.toFixed(1).padStart(7)} pkt/s` : `       - pkt/s`}
            {f.sent !== undefined ? `  sent ${f.sent}` : ''}
            {f.received !== undefined ? `  recv ${f.received}` : ''}
            {f.lost !== undefined ? <Text {...(f.lost > 0 ? { color: 'yellow' } : {})}>{`  lost ${f.lost}`}</Text> : ''}
            {f.lastSeq !== undefined ? `  seq ${f.lastSeq}` : ''}
          </Text>
          <Text wrap="truncate-end" dimColor>
            {'     '}
            {f.source ?? '?'} → {f.destination ?? '?'}
          </Text>
        </Box>
      ))}
    </Panel>
  );
}
