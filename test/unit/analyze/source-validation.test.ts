import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun, emptyAnalysis } from '../../../cli/analyze/analyze-run.js';
import type { Analysis } from '../../../cli/analyze/types.js';
import { parseTopology } from '../../../cli/plan/load.js';
import type { Plan } from '../../../cli/plan/types.js';
import { VERIFIERS } from '../../../cli/verify/registry.js';
import { encap, ip6, SyntheticCaptures, udp } from './synthetic-captures.js';

// fig1: mn1's home address is anchored at mr11; mn1 has moved to mr2. mn2's is anchored at mr31, where mn2 is.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const WALL = 1_700_000_000_000;
const HOA1 = '2001:db8:1:8000::1001';
const HOA2 = '2001:db8:3:8000::2002';
const MR2 = '2001:db8:2::1';
const TE11 = '2001:db8:1:1::1';
const data = () => udp(40000, 5001, new Uint8Array(32));

let plan: Plan;
const dirs: string[] = [];

async function analyse(build: (cap: SyntheticCaptures) => void): Promise<Analysis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-sav-'));
  dirs.push(dir);
  const cap = new SyntheticCaptures(plan, WALL);
  build(cap);
  return analyzeRun({ plan, captures: cap.write(dir), flows: [], handovers: [], monoToWallMs: WALL });
}

/** What a correct lab puts on the wire: mn1's uplink reverse-tunnelled by mr2, mn2's native from its own anchor, downlink delivered natively on access links. */
function clean(cap: SyntheticCaptures): void {
  const up = ip6(HOA1, HOA2, 17, data());
  cap.cross('mn1', 'mr2', 100, up);
  cap.walk(['mr2', 'core', 'mr11'], 100.1, () => encap(MR2, TE11, up));
  cap.walk(['mr11', 'core', 'mr31', 'mn2'], 100.5, () => up);
  const down = ip6(HOA2, HOA1, 17, data());
  cap.walk(['mn2', 'mr31', 'core'], 101, () => down);
  cap.cross('mr2', 'mn1', 101.5, down);
}

beforeAll(() => {
  plan = parseTopology('fig1.yaml', readFileSync(path.join(root, 'topologies/fig1.yaml'), 'utf8')).plan;
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('source-address validation from the capture', () => {
  it('passes a capture where foreign home addresses leave MRs only encapsulated', async () => {
    const a = await analyse(clean);
    // mr31 sends mn2's address out (its own anchor) and mr11 forwards mn1's decapsulated uplink (its own anchor).
    expect(a.sourceValidation.checked).toBeGreaterThanOrEqual(2);
    expect(a.sourceValidation.violations).toBe(0);
    const [r] = VERIFIERS.sourceValidation.check({ sourceValidation: true }, { analysis: a, plan });
    expect(r?.ok).toBe(true);
    expect(r?.measured).toBe('0');
  });

  it('fails one where the new MR sends the moved node’s uplink out natively', async () => {
    const a = await analyse((cap) => {
      clean(cap);
      // mr2 before its reverse rule: mn1's packet with mr11's prefix straight out to the core, twice.
      for (const t of [99, 99.5]) {
        const up = ip6(HOA1, HOA2, 17, data());
        cap.cross('mn1', 'mr2', t, up);
        cap.cross('mr2', 'core', t + 0.05, up);
      }
    });
    expect(a.sourceValidation.violations).toBe(2);
    expect(a.sourceValidation.examples[0]).toMatchObject({ node: 'mr2', iface: 'core', src: HOA1, dst: HOA2, anchor: 'mr11' });
    const [r] = VERIFIERS.sourceValidation.check({ sourceValidation: true }, { analysis: a, plan });
    expect(r?.ok).toBe(false);
    expect(r?.measured).toMatch(/^2 \(first: mr2 sent 2001:db8:1:8000::1001 → .* anchored at mr11\)$/);
  });

  it('counts apart, as no uplink, a foreign-source packet an MR decapsulated and sent on natively', async () => {
    const a = await analyse((cap) => {
      clean(cap);
      // mr31 tunnels mn2's packet for mn1 to mr12 (a stale cache); mr12 decapsulates and routes it on natively to mr11.
      const down = ip6(HOA2, HOA1, 17, udp(40001, 5001, new Uint8Array(32)));
      cap.walk(['mr31', 'core', 'mr12'], 102, () => encap('2001:db8:3::1', '2001:db8:1:1::2', down));
      cap.cross('mr12', 'mr11', 102.2, down);
    });
    expect(a.sourceValidation.violations).toBe(0);
    expect(a.sourceValidation.forwarded).toBe(1);
    // Kept apart from the violations, with where it left: to look into, not to fail on.
    expect(a.sourceValidation.examples).toEqual([]);
    expect(a.sourceValidation.forwardedExamples).toEqual([expect.objectContaining({ node: 'mr12', iface: 'mr11', src: HOA2, dst: HOA1, anchor: 'mr31' })]);
    const [r] = VERIFIERS.sourceValidation.check({ sourceValidation: true }, { analysis: a, plan });
    expect(r?.ok).toBe(true);
  });

  it('does not count packets arriving at an MR, nor ones on access links', async () => {
    const a = await analyse((cap) => {
      const foreign = ip6(HOA1, HOA2, 17, data());
      cap.frame('mr31', 'core', 10, 'in', foreign);
      cap.frame('mr31', 'mn2', 10.1, 'out', foreign);
    });
    expect(a.sourceValidation).toEqual({ checked: 0, violations: 0, forwarded: 0, examples: [], forwardedExamples: [] });
  });

  it('with migrating home agents, passes a home agent forwarding another home agent’s prefix, not an access router', async () => {
    const saved = plan;
    plan = parseTopology('migrating-has.yaml', readFileSync(path.join(root, 'topologies/migrating-has.yaml'), 'utf8')).plan;
    try {
      const hoa = '2001:db8:1:8000::7'; // mn11's home address: MR1's prefix
      const cn21 = '2001:db8:2::4';
      const te3 = plan.nodes.find((n) => n.name === 'mr3')!.tunnelEndpoint!;
      const a = await analyse((cap) => {
        // mn11 on MR3's cell reverse-tunnels to MR3 (its nearest home agent), which sends the packet on natively.
        const up = ip6(hoa, cn21, 17, data());
        cap.cross('mn11', 'mr3', 10, encap('2001:db8:3:1003::99', te3, up));
        cap.cross('mr3', 'core', 10.1, up);
        // AR31, an access router but no home agent, sending the same kind of packet out natively.
        const stray = ip6(hoa, cn21, 17, udp(40002, 5001, new Uint8Array(32)));
        cap.cross('mn11', 'ar31', 11, stray);
        cap.cross('ar31', 'mr3', 11.1, stray);
      });
      expect(a.sourceValidation.checked).toBe(2);
      expect(a.sourceValidation.violations).toBe(1);
      expect(a.sourceValidation.examples[0]).toMatchObject({ node: 'ar31', src: hoa, anchor: 'mr1' });
    } finally {
      plan = saved;
    }
  });

  it('fails when nothing was captured', () => {
    const empty = emptyAnalysis([]);
    const [r] = VERIFIERS.sourceValidation.check({ sourceValidation: true }, { analysis: empty, plan });
    expect(r).toMatchObject({ ok: false, measured: 'nothing captured' });
  });
});
