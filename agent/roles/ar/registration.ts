import type { MrInfo } from '../../../shared/control/agent-config.js';
import { HANDOFF_INDICATOR, type MhMessage } from '../../../shared/protocol/index.js';
import { PURPOSE, hnpsOf, proxyPbu } from '../../../shared/protocol/dmm-options.js';
import { errText, group, type ArCore, type Visitor } from './core.js';

/** A request whose failure is logged, not fatal. */
export async function tell(ar: ArCore, to: string, m: MhMessage): Promise<void> {
  try {
    const r = await ar.ctx.signalling.request(m, to);
    if (r.message.type === 'PBA' && r.message.status >= 128) ar.ctx.events.log('warn', `PBA status ${r.message.status} from ${to}`);
  } catch (e) {
    ar.ctx.events.log('warn', `${m.type} to ${to}: ${errText(e)}`);
  }
}

/** The LM proxy of this network, for a node visiting it (none for the network's own nodes). */
export function lmProxyFor(ar: ArCore, v: Visitor): string | undefined {
  const here = ar.ctx.config.network;
  return ar.ctx.domain.realmOf(v.mnId) === here ? undefined : ar.ctx.domain.lmProxyOf(here)?.address;
}

/**
 * Where location updates for a node go: its realm LM; for a node visiting a
 * network with an LM proxy, that proxy (hierarchical LM entries, Chan
 * figures 4 and 9), which keeps moves inside the network from the home LM.
 */
export function locationManager(ar: ArCore, v: Visitor): string | undefined {
  return lmProxyFor(ar, v) ?? ar.ctx.domain.realmLm(v.mnId);
}

/**
 * Location updates to the LMs (other than the realm LM) authoritative for
 * some of the prefixes. Behind an LM proxy only this network's own LM: the
 * proxy registers the foreign prefixes itself.
 */
export function updateOtherLms(ar: ArCore, v: Visitor, prefixes: string[], realm: string): Promise<unknown>[] {
  const { ctx } = ar;
  const byLm = group(prefixes, (p) => ctx.domain.lmFor(p) ?? '');
  const proxied = lmProxyFor(ar, v) !== undefined;
  const ownLm = ctx.domain.lmOf(ctx.config.network);
  const out: Promise<unknown>[] = [];
  for (const [lm, ps] of byLm) {
    if (!lm || lm === realm || (proxied && lm !== ownLm)) continue;
    out.push(tell(ar, lm, proxyPbu(PURPOSE.LOCATION_UPDATE, v.mnId, ps, ctx.config.mobility.bindingLifetime, HANDOFF_INDICATOR.BETWEEN_MAGS_SAME_INTERFACE)));
  }
  return out;
}

/**
 * Tells where the node is now for these prefixes: their anchors (anchor
 * binding; not `skipAnchor`, which learns it from the context transfer),
 * their LMs, and this MR itself for the prefixes it anchors.
 */
export function announce(ar: ArCore, v: Visitor, prefixes: string[], realm: string, skipAnchor: string | undefined): Promise<unknown>[] {
  const { ctx, mr } = ar;
  const me = mr.me;
  const tasks: Promise<unknown>[] = [];
  const anchorOf = (p: string) => v.prefixes.get(p) as MrInfo;
  const byAnchor = group(
    prefixes.filter((p) => v.prefixes.has(p) && anchorOf(p).node !== me.node && anchorOf(p).node !== skipAnchor),
    (p) => anchorOf(p).node,
  );
  for (const [, ps] of byAnchor)
    tasks.push(tell(ar, anchorOf(ps[0] as string).address, proxyPbu(PURPOSE.ANCHOR_BINDING, v.mnId, ps, ctx.config.mobility.bindingLifetime)));
  tasks.push(...updateOtherLms(ar, v, prefixes, realm));
  const home = prefixes.filter((p) => v.prefixes.get(p)?.node === me.node);
  if (home.length > 0) {
    tasks.push(
      mr.datapath.change((c) => {
        for (const p of home) mr.datapath.stage(c, p, 'anchored', undefined, 'its node is back at its anchor');
      }),
    );
  }
  return tasks;
}

/** A new home prefix anchored here, from this network's HAA (its lease then kept by the MR). */
export async function allocate(ar: ArCore, v: Visitor): Promise<string | undefined> {
  const { ctx, mr } = ar;
  const haa = ctx.domain.haaOf(ctx.config.network);
  if (!haa) {
    ctx.events.emit('agent.error', { message: `network ${ctx.config.network} has no HAA` });
    return undefined;
  }
  try {
    const r = await ctx.signalling.request(proxyPbu(PURPOSE.HAA_ALLOCATION, v.mnId, ['::/0'], ctx.config.mobility.leaseLifetime), haa);
    if (r.message.type !== 'PBA' || r.message.status >= 128) {
      ctx.events.emit('agent.error', { message: `HAA refused a prefix for ${v.mnId} (status ${r.message.type === 'PBA' ? r.message.status : '?'})` });
      return undefined;
    }
    const p = hnpsOf(r.message)[0];
    if (p) {
      ctx.events.emit('prefix.allocated', {
        mn: v.mn,
        mnId: v.mnId,
        prefix: p,
        anchor: ctx.domain.anchorOf(p)?.node ?? mr.me.node,
        lifetime: r.message.lifetime,
      });
      mr.trackLease(p, v.mnId, r.message.lifetime);
    }
    return p;
  } catch (e) {
    ctx.events.emit('agent.error', { message: `prefix request for ${v.mnId}: ${errText(e)}` });
    return undefined;
  }
}
