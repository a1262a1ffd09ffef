import { Text } from 'ink';

export interface HeaderProps {
  lab: string;
  nodes: number;
  agents: number;
  down: string[];
  labGone: boolean;
  selected: string | undefined;
}

/** Lab name, agents up or down, the selected mobile node; a red banner once the lab is gone. */
export function Header({ lab, nodes, agents, down, labGone, selected }: HeaderProps) {
  return (
    <Text wrap="truncate-end">
      <Text bold color="cyan">
        dmmlab tui
      </Text>
      {' · lab '}
      <Text bold>{lab}</Text>
      {` · ${nodes} nodes · `}
      {labGone ? (
        <Text color="red" bold>
          LAB DESTROYED — nothing left to drive; q quits
        </Text>
      ) : down.length ? (
        <Text color="red" bold>
          {agents - down.length}/{agents} agents up, down: {down.join(' ')}
        </Text>
      ) : (
        <Text color="green">{agents} agents up</Text>
      )}
      {selected ? ` · selected ${selected}` : ''}
    </Text>
  );
}
