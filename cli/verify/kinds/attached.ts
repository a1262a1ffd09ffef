import type { LabVerifier } from '../verifier.js';

/** A mobile node's radio to an access router is up and the access router sees it attached. */
export const attachedVerifier: LabVerifier = {
  on: 'lab',
  name: (e) => `${e.attached?.mn ?? '?'} attached to ${e.attached?.ar ?? '?'}`,
  async check(e, { session }) {
    if (!e.attached) return [];
    const { mn, ar } = e.attached;
    const radios = await session.attachedTo(mn);
    const visitor = (await session.allStates()).visitors().find((v) => v.ar === ar && v.mn === mn);
    return [
      {
        what: `${mn} radio to ${ar}`,
        expected: 'up',
        measured: radios.includes(ar) ? 'up' : `down (up: ${radios.join(', ') || 'none'})`,
        ok: radios.includes(ar),
      },
      { what: `${ar} sees ${mn}`, expected: 'attached', measured: visitor?.state ?? 'unknown', ok: visitor?.state === 'attached' },
    ];
  },
};
