import { Box, Text } from 'ink';
import type { TopologyView } from '../tui-model.js';
import { Line, Panel } from './panel.js';

export interface TopologyPanelProps {
  view: TopologyView;
  selected: string | undefined;
  width: number;
  height: number;
}

/**
 * Local networks with their nodes and roles (an agent that does not answer
 * in red), each mobile node with the access router it is attached to among
 * its cells, and the tunnels mobility routes use now.
 */
export function TopologyPanel({ view, selected, width, height }: TopologyPanelProps) {
  const inner = height - 2;
  const tunnelLines = Math.max(1, inner - view.networks.length - view.mobileNodes.length);
  const tunnels = view.tunnels.slice(0, view.tunnels.length > tunnelLines ? tunnelLines - 1 : tunnelLines);
  return (
    <Panel title="Topology" width={width} height={height}>
      {view.networks.map((net) => (
        <Text key={net.name} wrap="truncate-end">
          <Text bold>{net.name.padEnd(4)}</Text>{' '}
          {net.nodes.map((n, i) => (
            <Text key={n.name}>
              {i > 0 ? ' ' : ''}
              <Text {...(n.down ? { color: 'red' } : {})}>
                {n.down ? '✗' : ''}
                {n.name}
              </Text>
              <Text dimColor>({n.roles.join(',')})</Text>
            </Text>
          ))}
          {networkLength(net) + 1 + net.prefix.length <= width - 4 ? <Text dimColor> {net.prefix}</Text> : null}
        </Text>
      ))}
      {view.mobileNodes.map((mn) => (
        <Text key={mn.name} wrap="truncate-end">
          <Text color="cyan">{mn.name === selected ? '▸' : ' '}</Text>
          <Text bold={mn.name === selected}>{mn.name.padEnd(5)}</Text> at{' '}
          {mn.attachedTo.length ? <Text color="green">{mn.attachedTo.join('+').padEnd(5)}</Text> : <Text color="yellow">none </Text>}
          <Text dimColor> cells </Text>
          {mn.cells.map((c) => (
            <Text key={c.ar} {...(c.up ? { color: 'green' } : { dimColor: true })}>
              {c.up ? `[${c.ar}]` : ` ${c.ar} `}
            </Text>
          ))}
        </Text>
      ))}
      <Box flexDirection="column">
        {view.tunnels.length === 0 ? <Line dim>tunnels: none up</Line> : null}
        {tunnels.map((t) => (
          <Text key={`${t.from}>${t.to}`} wrap="truncate-end">
            <Text dimColor>tunnel </Text>
            {t.from} ⇒ {t.to} <Text dimColor>{t.prefixes.join(' ')}</Text>
          </Text>
        ))}
        {tunnels.length < view.tunnels.length ? <Line dim>+{view.tunnels.length - tunnels.length} more tunnels</Line> : null}
      </Box>
    </Panel>
  );
}

/** Columns the network's line takes without its prefix. */
function networkLength(net: TopologyView['networks'][number]): number {
  return (
    Math.max(4, net.name.length) +
    1 +
    net.nodes.reduce((sum, n, i) => sum + (i > 0 ? 1 : 0) + (n.down ? 1 : 0) + n.name.length + n.roles.join(',').length + 2, 0)
  );
}
