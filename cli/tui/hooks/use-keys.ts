import { useInput, type Key } from 'ink';
import { useCallback, useRef } from 'react';

/**
 * One keyboard listener for the whole TUI, subscribed once. It calls the
 * latest `route`, which reads the UI state from a ref updated as keys arrive,
 * so a key typed before the screen caught up with the previous one still
 * goes where the user meant (the picker that key opened, not the main view).
 */
export function useKeys(route: (input: string, key: Key) => void): void {
  const latest = useRef(route);
  latest.current = route;
  useInput(useCallback((input: string, key: Key) => latest.current(input, key), []));
}
