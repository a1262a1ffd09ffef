import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../../cli/analyze/analyze-run.js';
import type { Analysis } from '../../../cli/analyze/types.js';
import { parseTopology } from '../../../cli/plan/load.js';
import type { Plan } from '../../../cli/plan/types.js';
import { VERIFIERS } from '../../../cli/verify/registry.js';
import {
  BA_FLAG_BITS,
  BR_FLAG_BITS,
  BU_FLAG_BITS,
  encodeMessage,
  HACK_FLAG_BITS,
  HI_FLAG_BITS,
  makeFlags,
  type MhMessage,
} from '../../../shared/protocol/index.js';
import { handoff, hnp, mnId } from '../../../shared/protocol/dmm-options.js';
import { ip6, SyntheticCaptures, udp } from './synthetic-captures.js';

// fig1: mn1 hands over from mr11 to mr2 at 1000 ms. In the handover's window, besides its own HI, mr2
// refreshes a binding at lm1 (handoff "not changed") and later releases a prefix at lm1 (lifetime 0),
// which revokes it at mr11 (BRI/BRA): those are counted apart, not as the handover's.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const WALL = 1_700_000_000_000;
const MR2 = '2001:db8:2::1';
const MR11 = '2001:db8:1::1';
const LM1 = '2001:db8:1::3';
const id = mnId('mn1@net1.fig1');
let plan: Plan;
let analysis: Analysis;
let dir = '';

function send(cap: SyntheticCaptures, nodes: string[], t: number, src: string, dst: string, msg: MhMessage): void {
  const mh = encodeMessage(msg, { src, dst });
  cap.walk(nodes, t, () => ip6(src, dst, 17, udp(5436, 5436, mh)));
}

beforeAll(async () => {
  plan = parseTopology('fig1.yaml', readFileSync(path.join(root, 'topologies/fig1.yaml'), 'utf8')).plan;
  dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-parts-'));
  const cap = new SyntheticCaptures(plan, WALL);
  const pbu = (seq: number, lifetime: number, extra: MhMessage['options']): MhMessage => ({
    type: 'PBU',
    sequence: seq,
    flags: makeFlags(BU_FLAG_BITS, { A: true, P: true }),
    lifetime,
    options: [id, hnp('2001:db8:1:8000::/64'), ...extra],
  });
  const pba = (seq: number, lifetime: number): MhMessage => ({
    type: 'PBA',
    status: 0,
    sequence: seq,
    flags: makeFlags(BA_FLAG_BITS, { P: true }),
    lifetime,
    options: [id],
  });
  send(cap, ['mr2', 'core', 'mr11'], 1_002, MR2, MR11, {
    type: 'HI',
    sequence: 0,
    flags: makeFlags(HI_FLAG_BITS, { P: true, F: true }),
    code: 0,
    options: [id],
  });
  // The node left a proxied network: LM1 revokes the proxy's entry with a handover trigger (the handover's own).
  send(cap, ['lm1', 'mr12', 'core', 'mr11'], 1_003, LM1, MR11, {
    type: 'BRI',
    trigger: 4,
    sequence: 8,
    flags: makeFlags(BR_FLAG_BITS, { P: true }),
    options: [id],
  });
  send(cap, ['mr11', 'core', 'mr12', 'lm1'], 1_004, MR11, LM1, {
    type: 'BRA',
    status: 0,
    sequence: 8,
    flags: makeFlags(BR_FLAG_BITS, { P: true }),
    options: [id],
  });
  send(cap, ['mr2', 'core', 'mr12', 'lm1'], 1_500, MR2, LM1, pbu(40, 600, [handoff(5)]));
  send(cap, ['lm1', 'mr12', 'core', 'mr2'], 1_501, LM1, MR2, pba(40, 600));
  send(cap, ['mr2', 'core', 'mr12', 'lm1'], 5_000, MR2, LM1, pbu(41, 0, []));
  send(cap, ['lm1', 'mr12', 'core', 'mr2'], 5_001, LM1, MR2, pba(41, 0));
  send(cap, ['lm1', 'mr12', 'core', 'mr11'], 5_002, LM1, MR11, {
    type: 'BRI',
    trigger: 5,
    sequence: 9,
    flags: makeFlags(BR_FLAG_BITS, { P: true }),
    options: [id],
  });
  send(cap, ['mr11', 'core', 'mr12', 'lm1'], 5_003, MR11, LM1, {
    type: 'BRA',
    status: 0,
    sequence: 9,
    flags: makeFlags(BR_FLAG_BITS, { P: true }),
    options: [id],
  });
  analysis = await analyzeRun({
    plan,
    captures: cap.write(dir),
    flows: [],
    handovers: [{ index: 0, mn: 'mn1', from: ['mr11'], to: 'mr2', at: 1_000 }],
    monoToWallMs: WALL,
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a handover's own signalling", () => {
  it('leaves out the releases and refreshes sent in its window, and counts them apart', () => {
    const s = analysis.signalling;
    expect(s.byHandover[0]?.counts).toEqual({ HI: 1, BRI: 1, BRA: 1 });
    expect(s.refreshes).toMatchObject({ count: 2, byName: { PBU: 1, PBA: 1 } });
    expect(s.releases).toMatchObject({ count: 4, byName: { PBU: 1, PBA: 1, BRI: 1, BRA: 1 } });
    expect(s.totals.PBU?.count).toBe(2);
    expect(s.messages.map((m) => [m.name, m.part])).toEqual([
      ['HI', undefined],
      ['BRI', undefined],
      ['BRA', undefined],
      ['PBU', 'refresh'],
      ['PBA', 'refresh'],
      ['PBU', 'release'],
      ['PBA', 'release'],
      ['BRI', 'release'],
      ['BRA', 'release'],
    ]);
  });

  it('is what a signalling expectation of that handover counts', () => {
    const count = (message: 'PBU' | 'HI', handover?: number) =>
      VERIFIERS.signalling.check({ signalling: { message, ...(handover === undefined ? {} : { handover }), count: '>= 0' } }, { analysis, plan })[0]?.measured;
    expect(count('PBU', 0)).toBe('0');
    expect(count('HI', 0)).toBe('1');
    expect(count('PBU')).toBe('2');
  });
});

// Two nodes move 2 ms apart (mn1 mr11 → mr2 at 1000, mn2 mr31 → mr32 at 1002): each handover keeps the
// messages about its own node, whenever they cross, and an answer that names nobody goes with its request.
describe('handovers of several nodes at once', () => {
  let overlapping: Analysis;
  let dir2 = '';
  beforeAll(async () => {
    dir2 = mkdtempSync(path.join(tmpdir(), 'dmmlab-overlap-'));
    const cap = new SyntheticCaptures(plan, WALL);
    const addr = (n: string) => plan.nodes.find((x) => x.name === n)!.loopback!;
    const hi = (options: MhMessage['options']): MhMessage => ({
      type: 'HI',
      sequence: 0,
      flags: makeFlags(HI_FLAG_BITS, { P: true, F: true }),
      code: 0,
      options,
    });
    // mn1's context transfer crosses after mn2 moved; its answer carries no identifier.
    send(cap, ['mr2', 'core', 'mr11'], 1_005, MR2, MR11, hi([id]));
    send(cap, ['mr11', 'core', 'mr2'], 1_006, MR11, MR2, { type: 'HAck', sequence: 0, flags: makeFlags(HACK_FLAG_BITS, { P: true }), code: 0, options: [] });
    // mn2's own, named by its identifier.
    send(cap, ['mr32', 'mr31'], 1_007, addr('mr32'), addr('mr31'), hi([mnId('mn2@net3.fig1')]));
    // A message naming nobody goes to the latest handover of the run.
    send(cap, ['mr2', 'core', 'mr11'], 1_008, MR2, MR11, hi([]));
    overlapping = await analyzeRun({
      plan,
      captures: cap.write(dir2),
      flows: [],
      handovers: [
        { index: 0, mn: 'mn1', from: ['mr11'], to: 'mr2', at: 1_000 },
        { index: 1, mn: 'mn2', from: ['mr31'], to: 'mr32', at: 1_002 },
      ],
      monoToWallMs: WALL,
    });
  });
  afterAll(() => {
    if (dir2) rmSync(dir2, { recursive: true, force: true });
  });

  it('counts each message in the handover of the node it is about', () => {
    const s = overlapping.signalling;
    expect(s.messages.map((m) => [m.name, m.from, m.to, m.handover])).toEqual([
      ['HI', 'mr2', 'mr11', 0],
      ['HAck', 'mr11', 'mr2', 0],
      ['HI', 'mr32', 'mr31', 1],
      ['HI', 'mr2', 'mr11', 1],
    ]);
    expect(s.byHandover.map((h) => h.counts)).toEqual([{ HI: 1, HAck: 1 }, { HI: 2 }]);
  });
});
