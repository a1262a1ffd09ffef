import type { FakeLab } from './agent-fakes.js';

/**
 * Mobile IPv6 nodes in the fake lab (test/support/agent-fakes.ts): their home
 * address, the care-of address a visited link's advertisement gives them, and
 * moves seen from both ends of the radio.
 */

/** The care-of prefix advertised on `ar`'s cell (from the plan). */
export function careOfPrefix(l: FakeLab, ar: string): string {
  const i = l.plan.nodes.find((n) => n.name === ar)!.interfaces.find((x) => x.kind === 'access' && x.careOf);
  if (!i?.careOf) throw new Error(`${ar} advertises no care-of prefix`);
  return i.careOf;
}

/** A care-of address on `ar`'s cell (host part `host`). */
export function careOfOn(l: FakeLab, ar: string, host = '99'): string {
  return careOfPrefix(l, ar).replace('::/64', `::${host}`);
}

/** What `ip -j -6 address show` says in mobile node `mn`: its home address on its radio to `homeAr`. */
function holdsHome(l: FakeLab, mn: string, homeAr: string, hoa: string): void {
  l.node(mn).kernel.reads.set('-6 address show', [{ ifname: homeAr, addr_info: [{ family: 'inet6', local: hoa, prefixlen: 64, scope: 'global' }] }]);
}

/** The visited link's advertisement gave `mn` the address `coa` on its radio to `ar`. */
export function givesCareOf(l: FakeLab, mn: string, ar: string, coa: string): void {
  l.node(mn).kernel.reads.set(`-6 address show dev ${ar}`, [{ addr_info: [{ family: 'inet6', local: coa, scope: 'global' }] }]);
}

/** `mn` starts at home on `homeAr`'s link, with its home address. */
export async function atHome(l: FakeLab, mn: string, homeAr: string): Promise<{ home: string; hoa: string }> {
  l.attach(mn, homeAr);
  const { prefixes } = await l.event(homeAr, 'attachment.completed');
  const home = prefixes[0]!;
  const hoa = home.replace('::/64', '::7');
  holdsHome(l, mn, homeAr, hoa);
  l.node(mn).carrier(homeAr, true);
  await l.event(mn, 'radio.up');
  return { home, hoa };
}

/** Moves `mn` from one cell to another: both ends see the radio change. */
export function move(l: FakeLab, mn: string, from: string, to: string): void {
  l.detach(mn, from);
  l.node(mn).carrier(from, false);
  l.attach(mn, to);
  l.node(mn).carrier(to, true);
}
