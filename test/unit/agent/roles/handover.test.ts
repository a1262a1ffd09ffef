import { afterEach, describe, expect, it } from 'vitest';
import { FakeLab } from '../../../support/agent-fakes.js';

let lab: FakeLab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

/** fig1 with mn1 attached at mr11; resolves with its home prefix. */
async function attached(opts: Parameters<typeof FakeLab.start>[1] = {}): Promise<{ lab: FakeLab; home: string }> {
  const l = await FakeLab.start('topologies/fig1.yaml', opts);
  l.attach('mn1', 'mr11');
  const { prefixes } = await l.event('mr11', 'attachment.completed');
  return { lab: l, home: prefixes[0]! };
}

describe('handover with an active session (draft-tu 4.4, figure 5)', () => {
  it('learns the previous MR from the realm LM, transfers the context (HI/HAck), binds the anchor to the new MR and moves the LM binding', async () => {
    const r = await attached();
    lab = r.lab;
    lab.handover('mn1', 'mr11', 'mr2');
    const done = await lab.event('mr2', 'handover.completed');
    expect(done).toMatchObject({ mn: 'mn1', mode: 'handover', from: 'mr11', to: 'mr2' });
    // The old prefix stays, a new one anchored at mr2 is added (dynamic mobility, 4.2).
    expect(done.prefixes[0]).toBe(r.home);
    expect(done.prefixes[1]).toMatch(/^2001:db8:2:8/);
    expect(lab.bus.between('HI', 'mr2', 'mr11')).toHaveLength(1);
    expect(lab.bus.between('HAck', 'mr11', 'mr2')).toHaveLength(1);
    // The previous MR anchors the prefix: it tunnels it to mr2 (learned from the context transfer, no separate anchor binding).
    expect(lab.bus.between('PBU', 'mr2', 'mr11')).toHaveLength(0);
    const mr11 = lab.state('mr11', 'mr').prefixes.find((p) => p.prefix === r.home);
    expect(mr11).toMatchObject({ servedBy: 'mr2', route: 'tunnel to mr2' });
    expect(lab.node('mr11').kernel.matching(/encap seg6 mode encap.red segs \S+ dev dmm0/).length).toBeGreaterThan(0);
    // The new MR routes the old prefix on its access link and sends its uplink back to the anchor (reverse tunnel).
    expect(lab.state('mr2', 'mr').reverse).toEqual([expect.objectContaining({ prefix: r.home, iface: 'mn1', anchor: 'mr11' })]);
    expect(lab.state('lm1', 'lm').bindings.find((b) => b.prefix === r.home)?.mr).toBe('mr2');
    // The node's advertisement: the old prefix deprecated (sessions keep it), the new one preferred.
    const adv = lab.state('mr2', 'ar').advertised.mn1!;
    expect(adv.find((a) => a.prefix === r.home)?.preferred).toBe(0);
    expect(adv.find((a) => a.prefix !== r.home)?.preferred).toBe(3600);
  });

  it("puts the node's routes in before it sends the HI: what the previous MR forwards at once finds them", async () => {
    const r = await attached();
    lab = r.lab;
    // Where in the signalling each of mr2's kernel batches went in: the bus log's length at the time.
    const kernel = lab.node('mr2').kernel;
    const log = lab.bus.log;
    const batches: { at: number; lines: readonly string[] }[] = [];
    const change = kernel.change.bind(kernel);
    kernel.change = (lines) => {
      batches.push({ at: log.length, lines: [...lines] });
      return change(lines);
    };
    lab.handover('mn1', 'mr11', 'mr2');
    await lab.event('mr2', 'handover.completed');
    const hi = log.findIndex((m) => m.msg === 'HI' && m.fromNode === 'mr2');
    const onLink = batches.find((b) => b.lines.some((l) => l.startsWith(`route replace ${r.home} table 100 via `)));
    expect(hi).toBeGreaterThanOrEqual(0);
    expect(onLink, "mr2 routes the node's prefix on its access link").toBeDefined();
    expect(onLink!.at).toBeLessThanOrEqual(hi);
  });

  it('turns a foreign prefix at the previous MR into a handover context that ends after its lifetime', async () => {
    lab = await FakeLab.start('topologies/fig1.yaml', { mobility: { handoverContextLifetime: 0.05 } });
    lab.attach('mn1', 'mr11');
    await lab.event('mr11', 'attachment.completed');
    lab.handover('mn1', 'mr11', 'mr2');
    const first = await lab.event('mr2', 'handover.completed');
    const mr2prefix = first.prefixes.find((p) => p.startsWith('2001:db8:2:'))!;
    lab.handover('mn1', 'mr2', 'mr12');
    await lab.event('mr12', 'handover.completed');
    // mr2 anchors its own prefix (served by mr12 now) and forwards mr11's for a while.
    const created = await lab.event('mr2', 'context.created');
    expect(created.to).toBe('mr12');
    const ctx = lab.state('mr2', 'mr').prefixes.find((p) => p.contextTo);
    expect(ctx?.contextTo).toBe('mr12');
    expect(lab.state('mr2', 'mr').prefixes.find((p) => p.prefix === mr2prefix)?.servedBy).toBe('mr12');
    await lab.event('mr2', 'context.deleted', () => true, 2000);
    expect(lab.state('mr2', 'mr').prefixes.find((p) => p.contextTo)).toBeUndefined();
  });

  it('returning to the MR it left before anybody took over delivers again without signalling', async () => {
    const r = await attached();
    lab = r.lab;
    const sent = lab.bus.log.length;
    lab.detach('mn1', 'mr11');
    await lab.event('mr11', 'mn.detached');
    lab.attach('mn1', 'mr11');
    const back = await lab.event('mr11', 'attachment.completed', (e) => e.mode === 'returned');
    expect(back.prefixes).toEqual([r.home]);
    expect(lab.bus.log.length).toBe(sent);
  });
});

describe('predictive handover (RFC 5949)', () => {
  it('prepares the new MR before the radio moves (HI code 0), forwards to it on detach, and the node arrives to routes that are ready', async () => {
    const r = await attached();
    lab = r.lab;
    const ar = lab.node('mr11').roles.find((x) => x.name === 'ar')!;
    const prepared = await ar.operations!['handover.prepare']!({ id: 1, op: 'handover.prepare', mn: 'mn1', to: 'mr2' });
    expect(prepared).toEqual({ prepared: true, to: 'mr2', prefixes: [r.home] });
    await lab.event('mr2', 'handover.expected');
    expect(lab.state('mr2', 'ar').visitors.find((v) => v.mn === 'mn1')?.state).toBe('expected');
    expect(lab.state('mr2', 'mr').prefixes.find((p) => p.prefix === r.home)?.attached).toBe('mn1');
    lab.detach('mn1', 'mr11');
    const ctx = await lab.event('mr11', 'context.created', (e) => e.predictive === true);
    expect(ctx.to).toBe('mr2');
    lab.attach('mn1', 'mr2');
    const attachedEv = await lab.event('mr2', 'mn.attached');
    expect(attachedEv.prepared).toBe(true);
    await lab.event('mr2', 'handover.completed');
    // No second context transfer: the prepared MR skips it.
    expect(lab.bus.between('HI', 'mr2', 'mr11')).toHaveLength(0);
  });

  it('refuses to prepare a node that is not attached there, or an MR that is not one', async () => {
    const r = await attached();
    lab = r.lab;
    const ar = lab.node('mr12').roles.find((x) => x.name === 'ar')!;
    await expect(ar.operations!['handover.prepare']!({ id: 1, op: 'handover.prepare', mn: 'mn1', to: 'mr2' })).rejects.toThrow(/mn1 is not attached here/);
    const here = lab.node('mr11').roles.find((x) => x.name === 'ar')!;
    await expect(here.operations!['handover.prepare']!({ id: 2, op: 'handover.prepare', mn: 'mn1', to: 'lm1' })).rejects.toThrow(/lm1 is not an MR/);
    expect(await here.operations!['handover.prepare']!({ id: 3, op: 'handover.prepare', mn: 'mn1', to: 'mr11' })).toEqual({
      prepared: false,
      reason: 'already here',
    });
  });
});
