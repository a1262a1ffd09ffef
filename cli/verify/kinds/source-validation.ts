import type { CaptureVerifier } from '../verifier.js';

/**
 * No packet left an MR towards the network unencapsulated with a source
 * address another MR anchors (cli/analyze/source-validation.ts): a network
 * that validates source addresses (BCP 38) would have dropped it.
 */
export const sourceValidationVerifier: CaptureVerifier = {
  on: 'capture',
  name: () => 'no packet leaves an MR with a foreign source address',
  check(e, { analysis }) {
    if (!e.sourceValidation) return [];
    const sv = analysis.sourceValidation;
    if (analysis.captures.files === 0)
      return [{ what: 'packets with a foreign source leaving MRs unencapsulated', expected: '0', measured: 'nothing captured', ok: false }];
    const first = sv.examples[0];
    const detail = first ? ` (first: ${first.node} sent ${first.src} → ${first.dst} out of ${first.iface}; ${first.src} is anchored at ${first.anchor})` : '';
    return [
      {
        what: `packets with a foreign source leaving MRs unencapsulated (of ${sv.checked} native home-address packets on MR uplinks)`,
        expected: '0',
        measured: `${sv.violations}${detail}`,
        ok: sv.violations === 0,
      },
    ];
  },
};
