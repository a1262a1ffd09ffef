import { Text } from 'ink';
import type { BindingsView } from '../tui-model.js';
import { Panel } from './panel.js';

export interface BindingsPanelProps {
  view: BindingsView;
  /** Rows of this mobile node are marked. */
  selected: string | undefined;
  width: number;
  height: number;
}

/** How many rows each section gets out of `lines` (headers included): shared in turn, nobody starves. */
export function shareLines(sizes: number[], lines: number): number[] {
  const out = sizes.map(() => 0);
  let left = lines - sizes.length;
  for (let progress = true; left > 0 && progress;) {
    progress = false;
    for (let i = 0; i < sizes.length && left > 0; i++) {
      if ((out[i] as number) < (sizes[i] as number)) {
        out[i] = (out[i] as number) + 1;
        left--;
        progress = true;
      }
    }
  }
  return out;
}

/**
 * The LMs' binding caches (home prefix → MR serving its node) and what each
 * MR holds for prefixes that are not on its own access links: cached
 * locations (query, redirect, handover), anchor bindings, handover contexts.
 */
export function BindingsPanel({ view, selected, width, height }: BindingsPanelProps) {
  const [nb, nc] = shareLines([view.bindings.length, view.caches.length], height - 2);
  const mark = (mn: string | undefined) => (mn !== undefined && mn === selected ? '▸' : ' ');
  const more = (shown: number, all: number) => (all > shown ? <Text dimColor> (+{all - shown} more)</Text> : null);
  const bindings = view.bindings.slice(0, nb);
  return (
    <Panel title="Bindings & caches" width={width} height={height}>
      <Text bold wrap="truncate-end">
        LM bindings{view.bindings.length === 0 ? <Text dimColor> none</Text> : null}
        {more(bindings.length, view.bindings.length)}
      </Text>
      {bindings.map((b) => (
        <Text key={`${b.lm}|${b.prefix}`} wrap="truncate-end" bold={b.mn === selected}>
          <Text color="cyan">{mark(b.mn)}</Text>
          {b.lm.padEnd(4)} {b.prefix} → <Text color="green">{b.mr.padEnd(4)}</Text>{' '}
          <Text dimColor>
            {b.mn}
            {b.proxy ? ' (LM proxy)' : ''}
          </Text>
        </Text>
      ))}
      <Text bold wrap="truncate-end">
        MR caches{view.caches.length === 0 ? <Text dimColor> none</Text> : null}
        {more(nc as number, view.caches.length)}
      </Text>
      {view.caches.slice(0, nc).map((c) => (
        <Text key={`${c.mr}|${c.prefix}|${c.what}`} wrap="truncate-end" bold={c.mn === selected}>
          <Text color="cyan">{mark(c.mn)}</Text>
          {c.mr.padEnd(4)} {c.prefix} {c.what}
          {c.to ? (
            <Text>
              →<Text color="green">{c.to}</Text>
            </Text>
          ) : null}
          {c.detail ? <Text dimColor> {c.detail}</Text> : null}
        </Text>
      ))}
    </Panel>
  );
}
