import { formatComparison, parseComparison, satisfies } from '../comparison.js';
import type { CaptureVerifier } from '../verifier.js';

/** How many messages of a type crossed (from, to, in a handover's own exchange), from the capture. */
export const signallingVerifier: CaptureVerifier = {
  on: 'capture',
  name: (e) => `signalling ${e.signalling?.message ?? 'messages'}${e.signalling?.handover !== undefined ? ` in handover ${e.signalling.handover}` : ''}`,
  check(e, { analysis }) {
    const s = e.signalling;
    if (!s) return [];
    const count = analysis.signalling.messages.filter(
      (m) =>
        (s.message === undefined || m.name === s.message) &&
        (s.from === undefined || m.from === s.from) &&
        (s.to === undefined || m.to === s.to) &&
        // A handover's messages are its own exchange: releases and refreshes sent in its window are not counted.
        (s.handover === undefined || (m.handover === s.handover && m.part === undefined)),
    ).length;
    const parsed = parseComparison(s.count ?? '>= 1');
    const scope = [s.from ? `from ${s.from}` : '', s.to ? `to ${s.to}` : '', s.handover !== undefined ? `during handover ${s.handover}` : '']
      .filter(Boolean)
      .join(' ');
    return [
      {
        what: `${s.message ?? 'signalling'} messages${scope ? ` ${scope}` : ''}`,
        expected: formatComparison(parsed),
        measured: String(count),
        ok: satisfies(count, parsed),
      },
    ];
  },
};
