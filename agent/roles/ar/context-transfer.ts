import type { MrInfo } from '../../../shared/control/agent-config.js';
import { HACK_CODE, HI_CODE, type MhMessage } from '../../../shared/protocol/index.js';
import { altCoaOf, hnp, hnpsOf, mnId, mnIdOf } from '../../../shared/protocol/dmm-options.js';
import { errText, visitorById, type ArCore, type Visitor } from './core.js';
import { armContextTimers, deliver } from './delivery.js';
import { expect } from './predictive.js';
import { announce } from './registration.js';

/**
 * Handover with an active session (draft-tu 4.4, figure 5), new MR side:
 * HI/HAck with the previous MR, which forwards what still arrives for the
 * node to us from now on. Prefixes the node's LM did not list (those a
 * visited network's LM proxy kept to itself) come back in the HAck and are
 * delivered and announced here.
 */
export async function transferContext(ar: ArCore, v: Visitor, previous: MrInfo, realm: string, toldByTransfer: string | undefined): Promise<void> {
  const { ctx } = ar;
  try {
    const r = await ctx.signalling.request(
      {
        type: 'HI',
        sequence: 0,
        flags: { S: false, U: false, P: true, F: true },
        code: HI_CODE.FBU_NOT_FROM_PCOA,
        options: [mnId(v.mnId), ...[...v.prefixes.keys()].map(hnp)],
      },
      previous.address,
    );
    const learned: string[] = [];
    for (const p of hnpsOf(r.message)) {
      const anchor = ctx.domain.anchorOf(p);
      if (anchor && !v.prefixes.has(p)) {
        v.prefixes.set(p, anchor);
        learned.push(p);
      }
    }
    if (learned.length > 0) await Promise.all([deliver(ar, v), ...announce(ar, v, learned, realm, toldByTransfer)]);
    ctx.events.emit('context.transferred', { mn: v.mn, from: previous.node, code: r.message.type === 'HAck' ? r.message.code : null });
  } catch (e) {
    ctx.events.emit('agent.error', { message: `context transfer with ${previous.node} for ${v.mn}: ${errText(e)}` });
  }
}

/**
 * Previous MR side of the context transfer: forward to the new MR for a
 * while (the handover context), then forget. An HI sent before the node
 * leaves (predictive, RFC 5949) prepares this MR as the new one instead.
 */
export async function onHandoverInitiate(ar: ArCore, m: MhMessage, from: string): Promise<MhMessage> {
  if (m.type !== 'HI') throw new Error('not an HI');
  if (m.code === HI_CODE.FBU_FROM_PCOA) return expect(ar, m, from);
  const { ctx, mr } = ar;
  const id = mnIdOf(m);
  // Relayed by this network's LM proxy: the new MR is the alternate care-of address.
  const relayedFor = from === ctx.domain.lmProxyOf(mr.me.network)?.address ? altCoaOf(m) : undefined;
  const next = ctx.domain.mrByAddress(relayedFor ?? from);
  const reply = (code: number, prefixes: string[]): MhMessage => ({
    type: 'HAck',
    sequence: m.sequence,
    flags: { U: false, P: true, F: true },
    code,
    options: [...(id ? [mnId(id)] : []), ...prefixes.map(hnp)],
  });
  if (!id || !next) return reply(HACK_CODE.NOT_ACCEPTED, []);
  const v = visitorById(ar, id);
  const prefixes = [...new Set([...(v ? [...v.prefixes.keys()] : []), ...hnpsOf(m)])];
  const lifetimeMs = ctx.config.mobility.handoverContextLifetime * 1000;
  const dp = mr.datapath;
  const wasAttached = v?.state === 'attached';
  if (v) {
    v.generation++;
    v.preparedTo = undefined;
    ctx.timers.clear(`refresh:${v.iface}`);
    ctx.timers.clear(`hold:${v.iface}`);
    v.state = 'away';
    v.prefixes.clear();
  }
  // Forwarding first (one batch): from here on what still arrives for the node goes to its new MR.
  await dp.change((c) => {
    for (const p of prefixes) {
      if (ctx.domain.anchorOf(p)?.node === mr.me.node) dp.stage(c, p, 'anchored', { peer: next }, `served by ${next.node}`);
      else dp.stage(c, p, 'context', { peer: next, expires: Date.now() + lifetimeMs }, `handover context for ${next.node}`);
      dp.stage(c, p, 'hold', undefined, `handed over to ${next.node}`);
      dp.stage(c, p, 'attached', undefined, `handed over to ${next.node}`);
      dp.routes.reverseRule(c, p, undefined, undefined);
    }
    if (v && wasAttached) dp.routes.neighbour(c, v.iface, v.linkLocal, undefined);
  });
  if (v && wasAttached) void ar.radvd.set(v.iface, []);
  armContextTimers(ar, prefixes, next, lifetimeMs);
  ctx.events.emit('context.created', { mnId: id, mn: v?.mn ?? null, to: next.node, prefixes, lifetimeS: ctx.config.mobility.handoverContextLifetime });
  mr.refreshObserver();
  return reply(HACK_CODE.ACCEPTED, prefixes);
}
