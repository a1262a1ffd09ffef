import { describe, expect, it } from 'vitest';
import { handoverLoad, handoverMessages, predictCounts, predictLoad } from '../../../cli/model/signalling-load.js';

describe('the signalling-load model', () => {
  it('a flat handover with one prefix: 3 exchanges with the home LM and the context transfer, no other anchor', () => {
    const m = handoverMessages('flat', 1);
    expect(m.filter((x) => x.to === 'lm' || x.from === 'lm').reduce((s, x) => s + x.count, 0)).toBe(6);
    expect(m.some((x) => x.to === 'anchor')).toBe(false);
    expect(m.find((x) => x.name === 'HI')).toMatchObject({ from: 'newMr', to: 'previousMr', count: 1 });
    // Each older prefix's anchor (all but the previous MR) hears of the move by PBU.
    expect(handoverMessages('flat', 3).find((x) => x.to === 'anchor')?.count).toBe(2);
  });

  it('central anchoring: two exchanges with the anchor, one when the node leaves the anchor’s own cell', () => {
    expect(handoverLoad('central', 1).anchor.messages).toBe(4);
    expect(handoverLoad('central', 1, 0, 1).anchor.messages).toBe(2);
    expect(predictCounts('central', [{ prefixes: 1, fromAnchor: true }, { prefixes: 2 }]).anchor.messages).toBe(6);
  });

  it('scales linearly with nodes and handover rate, and spreads over networks and MRs', () => {
    const base = { placement: 'flat' as const, mns: 1000, handoverRate: 0.1, networks: 10, mrsPerNetwork: 5, prefixes: 2 };
    const p = predictLoad(base);
    expect(p.handoversPerSecond).toBe(100);
    expect(p.perLm.messages).toBeCloseTo((6 * 0.1 * 1000) / 10);
    // Per MR: (10 + 4a) per handover of its network, a = h − 1 = 1.
    expect(p.perMr.messages).toBeCloseTo(((10 + 4) * 0.1 * 1000) / (10 * 5));
    const twice = predictLoad({ ...base, mns: 2000 });
    expect(twice.perLm.messages).toBeCloseTo(2 * p.perLm.messages);
    expect(twice.total.bytes).toBeCloseTo(2 * p.total.bytes);
    // The domain total counts each message once: half the sum over ends.
    const per = handoverLoad('flat', 2);
    const ends = Object.values(per).reduce((s, l) => s + l.messages, 0);
    expect(p.total.messages).toBeCloseTo((ends / 2) * 100);
  });

  it('a central anchor carries its whole network’s anchoring; flat DMM spreads it over the MRs', () => {
    const base = { mns: 100_000, handoverRate: 1 / 60, networks: 100, mrsPerNetwork: 6, prefixes: 2 };
    const flat = predictLoad({ placement: 'flat', ...base });
    const central = predictLoad({ placement: 'central', ...base });
    expect(central.perAnchor.messages).toBeGreaterThan(3 * flat.perAnchor.messages);
    expect(central.perLm.messages).toBeCloseTo(flat.perLm.messages);
  });
});
