import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

export interface PanelProps {
  title: string;
  /** Dim text at the right of the title line. */
  note?: string;
  width: number;
  height: number;
  children?: ReactNode;
}

/** A bordered box whose title sits in the top border; content beyond its height is cut, never wrapped. */
export function Panel({ title, note, width, height, children }: PanelProps) {
  const head = `─ ${title} `;
  const tail = note ? ` ${note} ─` : '';
  const fill = Math.max(0, width - 2 - head.length - tail.length);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end">
        {`┌${head}${'─'.repeat(fill)}`}
        <Text dimColor>{tail}</Text>
        {'┐'}
      </Text>
      <Box flexDirection="column" borderStyle="single" borderTop={false} width={width} height={height - 1} paddingX={1} overflow="hidden">
        {children}
      </Box>
    </Box>
  );
}

/** One line of panel text, cut at the panel's edge. */
export function Line({ children, color, dim, bold }: { children?: ReactNode; color?: string; dim?: boolean; bold?: boolean }) {
  return (
    <Text wrap="truncate-end" {...(color ? { color } : {})} {...(dim ? { dimColor: true } : {})} {...(bold ? { bold: true } : {})}>
      {children}
    </Text>
  );
}
