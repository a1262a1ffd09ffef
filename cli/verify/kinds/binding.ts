import type { LabVerifier } from '../verifier.js';
import { prefixAnchoredAt } from './anchored-prefix.js';

/** The LM binding of a mobile node's prefix anchored at an MR points at the MR it names. */
export const bindingVerifier: LabVerifier = {
  on: 'lab',
  name: (e) => `binding of ${e.binding?.mn ?? '?'}'s ${e.binding?.anchor ?? '?'} prefix at ${e.binding?.at ?? '?'}`,
  async check(e, { session }) {
    if (!e.binding) return [];
    const { mn, anchor, at } = e.binding;
    const states = await session.allStates();
    const prefix = prefixAnchoredAt(session, states, mn, anchor);
    if (!prefix) return [{ what: `${mn}'s prefix anchored at ${anchor}`, expected: 'exists', measured: 'none', ok: false }];
    const lm = session.plan.networks.find((n) => n.name === session.node(anchor).network)?.lm;
    const binding = states.bindings().find((b) => b.lm === lm && b.prefix === prefix);
    const where = binding ? binding.mr : 'no binding';
    return [{ what: `LM ${lm ?? '?'} binding of ${prefix}`, expected: `at ${at}`, measured: `at ${where}`, ok: where === at }];
  },
};
