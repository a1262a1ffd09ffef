import { useCallback, useReducer, useRef } from 'react';
import { initialUi, type UiState } from '../ui-state.js';

/**
 * The TUI's own state in a ref that changes at once (keys read it between
 * renders) and re-renders on every change.
 */
export function useUi(): { ui: () => UiState; update: (change: Partial<UiState> | ((old: UiState) => Partial<UiState>)) => void } {
  const ref = useRef<UiState>(initialUi);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const update = useCallback((change: Partial<UiState> | ((old: UiState) => Partial<UiState>)) => {
    ref.current = { ...ref.current, ...(typeof change === 'function' ? change(ref.current) : change) };
    rerender();
  }, []);
  const ui = useCallback(() => ref.current, []);
  return { ui, update };
}
