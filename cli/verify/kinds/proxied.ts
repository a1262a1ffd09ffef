import type { LabVerifier } from '../verifier.js';
import { mnIdOf } from './anchored-prefix.js';

/** The LM proxy tracks a mobile node at an MR (hierarchical LM entry). */
export const proxiedVerifier: LabVerifier = {
  on: 'lab',
  name: (e) => `LM proxy ${e.proxied?.proxy ?? '?'} tracks ${e.proxied?.mn ?? '?'} at ${e.proxied?.at ?? '?'}`,
  async check(e, { session }) {
    if (!e.proxied) return [];
    const { mn, proxy, at } = e.proxied;
    const id = mnIdOf(session, mn);
    const entry = (await session.allStates()).proxyEntries().find((x) => x.proxy === proxy && x.mnId === id && !x.departed);
    const where = entry ? entry.serving : 'no entry';
    return [{ what: `LM proxy ${proxy} entry of ${mn}`, expected: `at ${at}`, measured: `at ${where}`, ok: where === at }];
  },
};
