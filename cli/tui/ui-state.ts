import { filterItems, type PickItem } from './picker-items.js';
import type { LogFilter } from './tui-model.js';

/** A list to choose from, with what was typed and which item is highlighted. */
export interface PickerModal {
  kind: 'picker';
  /** Distinguishes successive pickers (a fresh one starts with an empty filter). */
  id: number;
  title: string;
  items: PickItem[];
  filter: string;
  /** Highlighted index among the items that match the filter. */
  index: number;
  onPick: (value: string) => void;
}

/** What has the keyboard besides the main view. */
export type Modal = { kind: 'none' } | { kind: 'help' } | { kind: 'quit' } | PickerModal;

/** The TUI's own state (not the lab's): what is selected, open and filtered. */
export interface UiState {
  modal: Modal;
  /** Index of the selected mobile node. */
  selected: number;
  logFilter: LogFilter;
  playing: boolean;
}

export const initialUi: UiState = { modal: { kind: 'none' }, selected: 0, logFilter: 'key', playing: false };

/** The part of ink's Key the TUI reads. */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

/**
 * A key in a picker: typing filters (a pasted or fast-typed string at once),
 * ↑/↓ (ctrl-p/ctrl-n) move, Backspace edits, Enter picks, Esc (ctrl-c) cancels.
 */
export function pickerKey(p: PickerModal, input: string, key: KeyPress): { picker: PickerModal } | { pick: string } | { cancel: true } {
  const shown = filterItems(p.items, p.filter);
  const at = Math.min(p.index, Math.max(0, shown.length - 1));
  if (key.escape || (key.ctrl && input === 'c')) return { cancel: true };
  if (key.return) {
    const chosen = shown[at];
    return chosen ? { pick: chosen.value } : { picker: p };
  }
  if (key.upArrow || (key.ctrl && input === 'p')) return { picker: { ...p, index: Math.max(0, at - 1) } };
  if (key.downArrow || (key.ctrl && input === 'n')) return { picker: { ...p, index: Math.max(0, Math.min(shown.length - 1, at + 1)) } };
  if (key.backspace || key.delete) return { picker: { ...p, filter: p.filter.slice(0, -1), index: 0 } };
  if (key.ctrl || key.meta || key.tab || !input) return { picker: p };
  // Enter typed together with a filter (tmux send-keys, a paste): filter, then pick.
  const text = input.replace(/[\r\n]+$/, '');
  const next = { ...p, filter: p.filter + text, index: 0 };
  if (text !== input) {
    const chosen = filterItems(p.items, next.filter)[0];
    return chosen ? { pick: chosen.value } : { picker: next };
  }
  return { picker: next };
}

/** A key in the quit dialog: keep (k, q, Enter), destroy (d), or back (Esc, n). A lab already gone can only be left. */
export function quitKey(input: string, key: KeyPress, labGone: boolean): 'keep' | 'destroy' | 'cancel' | undefined {
  if (key.escape || input === 'n') return 'cancel';
  if (input === 'k' || input === 'q' || key.return) return 'keep';
  if (input === 'd') return labGone ? 'keep' : 'destroy';
  return undefined;
}
