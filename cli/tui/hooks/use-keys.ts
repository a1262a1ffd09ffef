import { useInput, type Key } from 'ink';
import { useCallback, useRef } from 'react';

/**
 * One keyboard listener for the whole TUI, subscribed once. It calls the
 * latest `route`, which reads the UI state from a ref updated as keys arrive,
 * so a key typed before the screen caught up with the previous one still
 * goes where the user meant (the picker that key opened, not the main view).
 * Keys that reach the terminal together arrive as one chunk (typed fast over
 * ssh, a busy machine, pasted text); they are routed one by one.
 */
export function useKeys(route: (input: string, key: Key) => void): void {
  const latest = useRef(route);
  latest.current = route;
  useInput(
    useCallback((input: string, key: Key) => {
      for (const [i, k] of splitKeys(input, key)) latest.current(i, k);
    }, []),
  );
}

/**
 * Ink splits its input only at escape sequences: "mn1\rh" comes as one input
 * with no key flag set. This cuts such a chunk into the keys it holds, with the
 * flags Ink gives each of them alone (Enter, Tab, Backspace, Delete, Ctrl+letter).
 */
export function splitKeys(input: string, key: Key): [string, Key][] {
  const chars = [...input];
  if (chars.length <= 1 || key.ctrl || key.meta || input.includes('\u001B')) return [[input, key]];
  const plain: Key = { ...key, return: false, tab: false, backspace: false, delete: false, ctrl: false, shift: false, escape: false };
  return chars.map((c): [string, Key] => {
    if (c === '\r' || c === '\n') return ['', { ...plain, return: true }];
    if (c === '\t') return ['', { ...plain, tab: true }];
    if (c === '\b') return ['', { ...plain, backspace: true }];
    if (c === '\u007F') return ['', { ...plain, delete: true }];
    if (c < ' ') return [String.fromCharCode(c.charCodeAt(0) + 96), { ...plain, ctrl: true }];
    return [c, { ...plain, shift: /[A-Z]/.test(c) }];
  });
}
