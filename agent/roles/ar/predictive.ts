import type { MrInfo } from '../../../shared/control/agent-config.js';
import type { PrepareResult } from '../../../shared/control/messages.js';
import { HACK_CODE, HI_CODE, type MhMessage } from '../../../shared/protocol/index.js';
import { hnp, hnpsOf, mnId, mnIdOf } from '../../../shared/protocol/dmm-options.js';
import { visitorById, type ArCore, type Visitor } from './core.js';
import { armContextTimers, deliver } from './delivery.js';

/**
 * Predictive handover (RFC 5949), previous MR side: told by a link-layer
 * trigger that the node will move to `to`, it hands the node's context to
 * the new MR (HI, code 0) before the node leaves; when the node's link goes
 * down it forwards to the new MR at once instead of holding.
 */
export async function prepareHandover(ar: ArCore, mnNode: string, to: string): Promise<PrepareResult> {
  const { ctx, mr } = ar;
  const v = [...ar.visitors.values()].find((x) => x.mn === mnNode);
  const next = ctx.domain.mrByNode(to);
  if (!v) throw new Error(`${mnNode} has no access link to ${mr.me.node}`);
  if (!next) throw new Error(`${to} is not an MR`);
  if (v.state !== 'attached') throw new Error(`${mnNode} is not attached here`);
  if (next.node === mr.me.node) return { prepared: false, reason: 'already here' };
  const r = await ctx.signalling.request(
    {
      type: 'HI',
      sequence: 0,
      flags: { S: false, U: false, P: true, F: true },
      code: HI_CODE.FBU_FROM_PCOA,
      options: [mnId(v.mnId), ...[...v.prefixes.keys()].map(hnp)],
    },
    next.address,
  );
  if (r.message.type !== 'HAck' || r.message.code >= 128) throw new Error(`${to} refused to prepare for ${mnNode}`);
  v.preparedTo = next;
  ctx.events.emit('handover.prepared', { mn: v.mn, to: next.node, prefixes: [...v.prefixes.keys()] });
  return { prepared: true, to: next.node, prefixes: [...v.prefixes.keys()] };
}

/** New MR side of a predictive handover: make the node's routes and advertisement ready before it arrives. */
export async function expect(ar: ArCore, m: MhMessage, from: string): Promise<MhMessage> {
  const { ctx, mr } = ar;
  const id = mnIdOf(m);
  const previous = ctx.domain.mrByAddress(from);
  const v = id ? visitorById(ar, id) : undefined;
  const reply = (code: number): MhMessage => ({
    type: 'HAck',
    sequence: m.sequence,
    flags: { U: false, P: true, F: true },
    code,
    options: [...(id ? [mnId(id)] : []), ...(v ? [...v.prefixes.keys()].map(hnp) : [])],
  });
  if (!v || !previous) return reply(HACK_CODE.NOT_ACCEPTED);
  if (v.state === 'attached') return reply(HACK_CODE.ACCEPTED);
  const gen = ++v.generation;
  v.state = 'expected';
  for (const p of hnpsOf(m)) {
    const anchor = ctx.domain.anchorOf(p);
    if (anchor) v.prefixes.set(p, anchor);
  }
  const willAddPrefix = ctx.config.mobility.newPrefixOnHandover && ![...v.prefixes.values()].some((a) => a.node === mr.me.node);
  await deliver(ar, v, willAddPrefix);
  ctx.events.emit('handover.expected', { mn: v.mn, from: previous.node, prefixes: [...v.prefixes.keys()] });
  // A node that never comes: forget it after the handover context lifetime.
  ctx.timers.set(`expect:${v.iface}`, ctx.config.mobility.handoverContextLifetime * 1000, () => {
    if (v.generation !== gen || v.state !== 'expected') return;
    v.state = 'away';
    const gone = [...v.prefixes.keys()];
    v.prefixes.clear();
    void mr.datapath.change((c) => {
      for (const p of gone) {
        mr.datapath.stage(c, p, 'attached', undefined, `${v.mn} never arrived`);
        mr.datapath.routes.reverseRule(c, p, undefined, undefined);
      }
    });
    void ar.radvd.set(v.iface, []);
  });
  return reply(HACK_CODE.ACCEPTED);
}

/** Forwards a node's prefixes to its new MR right away (the previous MR of a prepared handover, when the node leaves). */
export async function handOff(ar: ArCore, v: Visitor, next: MrInfo): Promise<void> {
  const { ctx, mr } = ar;
  const dp = mr.datapath;
  const prefixes = [...v.prefixes.keys()];
  const lifetimeMs = ctx.config.mobility.handoverContextLifetime * 1000;
  v.preparedTo = undefined;
  v.state = 'away';
  v.prefixes.clear();
  void ar.radvd.set(v.iface, []);
  await dp.change((c) => {
    for (const p of prefixes) {
      if (ctx.domain.anchorOf(p)?.node === mr.me.node) dp.stage(c, p, 'anchored', { peer: next }, `served by ${next.node}`);
      else dp.stage(c, p, 'context', { peer: next, expires: Date.now() + lifetimeMs }, `handover context for ${next.node}`);
      dp.stage(c, p, 'attached', undefined, `${v.mn} moved to ${next.node}`);
      dp.routes.reverseRule(c, p, undefined, undefined);
    }
    dp.routes.neighbour(c, v.iface, v.linkLocal, undefined);
  });
  armContextTimers(ar, prefixes, next, lifetimeMs);
  ctx.events.emit('context.created', {
    mnId: v.mnId,
    mn: v.mn,
    to: next.node,
    prefixes,
    lifetimeS: ctx.config.mobility.handoverContextLifetime,
    predictive: true,
  });
  mr.refreshObserver();
}
