import { render } from 'ink-testing-library';
import { vi } from 'vitest';
import { App, type QuitChoice } from '../../../cli/tui/app.js';
import type { TerminalSize } from '../../../cli/tui/hooks/use-terminal-size.js';
import { FakeLab } from './fake-lab.js';

/** Key sequences as a terminal sends them. */
export const KEY = { enter: '\r', escape: '\u001B', tab: '\t', shiftTab: '\u001B[Z', up: '\u001B[A', down: '\u001B[B', backspace: '\u007F', ctrlC: '\u0003' };

/** Renders the whole TUI on a fake lab, polling fast. */
export function renderTui(lab = new FakeLab(), size: TerminalSize = { columns: 100, rows: 30 }) {
  const quits: QuitChoice[] = [];
  const r = render(<App lab={lab} onQuit={(c) => quits.push(c)} size={size} pollMs={10} flushMs={1} />);
  const frame = () => r.lastFrame() ?? '';
  /** Waits until the frame contains every text given. */
  const see = async (...texts: (string | RegExp)[]) =>
    vi.waitFor(
      () => {
        const f = frame();
        for (const t of texts) if (typeof t === 'string' ? !f.includes(t) : !t.test(f)) throw new Error(`frame lacks ${String(t)}:\n${f}`);
      },
      { timeout: 2000, interval: 10 },
    );
  /** Types keys one at a time, letting ink handle each. */
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k);
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  return { ...r, lab, quits, frame, see, press };
}
