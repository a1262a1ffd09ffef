import { Text } from 'ink';
import { filterItems } from '../picker-items.js';
import type { PickerModal } from '../ui-state.js';
import { Line, Panel } from './panel.js';

export interface PickerProps {
  picker: PickerModal;
  width: number;
  height: number;
}

/** A list to choose from (access router, node, flow kind, flow): type to filter, ↑/↓, Enter, Esc. */
export function Picker({ picker, width, height }: PickerProps) {
  const shown = filterItems(picker.items, picker.filter);
  const index = Math.min(picker.index, Math.max(0, shown.length - 1));
  const room = Math.max(1, height - 4);
  const first = Math.max(0, Math.min(index - room + 1, shown.length - room));
  return (
    <Panel title={picker.title} note="type to filter · ↑/↓ · Enter · Esc" width={width} height={height}>
      <Text wrap="truncate-end">
        <Text dimColor>filter: </Text>
        {picker.filter}
        <Text inverse> </Text>
      </Text>
      {shown.length === 0 ? <Line color="yellow">nothing matches “{picker.filter}”</Line> : null}
      {shown.slice(first, first + room).map((item, i) => {
        const here = first + i === index;
        return (
          <Text key={item.value} wrap="truncate-end" {...(here ? { color: 'cyan', bold: true } : {})}>
            {here ? '❯ ' : '  '}
            {item.label}
            {item.hint ? <Text dimColor> {item.hint}</Text> : null}
          </Text>
        );
      })}
    </Panel>
  );
}
