/** What a key does in the main view. */
export type KeyAction =
  | 'nextMn'
  | 'previousMn'
  | 'pickMn'
  | 'handover'
  | 'predictiveHandover'
  | 'attach'
  | 'detach'
  | 'startFlow'
  | 'stopFlow'
  | 'capture'
  | 'export'
  | 'step'
  | 'play'
  | 'logFilter'
  | 'help'
  | 'quit';

export interface KeyBinding {
  /** The input as ink reports it (`tab` and `S-tab` stand for the keys). */
  key: string;
  action: KeyAction;
  /** Short label for the footer (absent: help only). */
  footer?: string;
  help: string;
}

/** Every key of the main view: the footer and the help overlay are drawn from this list. */
export const KEY_BINDINGS: KeyBinding[] = [
  { key: 'tab', action: 'nextMn', footer: 'mn', help: 'select the next mobile node' },
  { key: 'S-tab', action: 'previousMn', help: 'select the previous mobile node' },
  { key: 'm', action: 'nextMn', help: 'select the next mobile node' },
  { key: 's', action: 'pickMn', help: 'select a mobile node from a list' },
  { key: 'h', action: 'handover', footer: 'handover', help: 'hand the node over to another AR' },
  { key: 'H', action: 'predictiveHandover', help: 'hand over predictively: the current MR prepares the new one first (RFC 5949)' },
  { key: 'a', action: 'attach', footer: 'attach', help: 'attach the node to one more AR too' },
  { key: 'd', action: 'detach', footer: 'detach', help: 'detach the node from one AR, or all' },
  { key: 'f', action: 'startFlow', footer: 'flow', help: 'start a flow: kind, sender, receiver' },
  { key: 'x', action: 'stopFlow', footer: 'stop flow', help: 'stop a running flow' },
  { key: 'c', action: 'capture', footer: 'capture', help: 'start / stop capturing every interface' },
  { key: 'e', action: 'export', footer: 'export', help: 'export the capture (pcapng + events)' },
  { key: 'n', action: 'step', help: 'run the next scenario step' },
  { key: 'p', action: 'play', help: 'play / pause the scenario' },
  { key: 'l', action: 'logFilter', help: 'event log: key / signalling / all' },
  { key: '?', action: 'help', footer: 'help', help: 'this help' },
  { key: 'q', action: 'quit', footer: 'quit', help: 'quit: keep the lab or destroy it' },
];

/** The action bound to a key press, if any. */
export function actionFor(input: string, key: { tab?: boolean; shift?: boolean; ctrl?: boolean }): KeyAction | undefined {
  if (key.tab) return key.shift ? 'previousMn' : 'nextMn';
  if (key.ctrl && input === 'c') return 'quit';
  if (key.ctrl) return undefined;
  return KEY_BINDINGS.find((b) => b.key === input)?.action;
}
