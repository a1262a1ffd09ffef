import type { MrInfo } from '../../../shared/control/agent-config.js';
import type { AdvertisedPrefix } from '../../../shared/control/role-state.js';
import type { ArCore, Visitor } from './core.js';

/**
 * Routes, reverse rules and router advertisements for a node on its access
 * link (one kernel batch). With `deprecateAll` every prefix is advertised
 * deprecated (a new one anchored here is on its way).
 */
export async function deliver(ar: ArCore, v: Visitor, deprecateAll = false): Promise<void> {
  const { ctx, mr } = ar;
  const me = mr.me;
  const hasLocal = [...v.prefixes.values()].some((a) => a.node === me.node);
  const list: AdvertisedPrefix[] = [];
  const dp = mr.datapath;
  // Where the node is was known elsewhere before it came (back) here: a handover context or cached location
  // left from an earlier visit would send its traffic away once it leaves again, possibly in a loop.
  const stale = [...v.prefixes.keys()].filter((p) => dp.get(p)?.context || dp.get(p)?.cache);
  for (const p of stale) {
    ctx.timers.clear(`context:${p}`);
    ctx.timers.clear(`cache:${p}`);
    const context = dp.get(p)?.context;
    if (context) ctx.events.emit('context.deleted', { prefix: p, reason: `${v.mn} is here`, to: context.peer.node });
    else ctx.events.emit('cache.removed', { prefix: p, reason: `${v.mn} is here` });
  }
  const kernel = dp.change((c) => {
    for (const p of stale) {
      dp.stage(c, p, 'context', undefined, `${v.mn} is here`);
      dp.stage(c, p, 'cache', undefined, `${v.mn} is here`);
    }
    for (const [p, anchor] of v.prefixes) {
      dp.stage(c, p, 'hold', undefined, 'attached');
      dp.stage(c, p, 'attached', { iface: v.iface, nextHop: v.linkLocal }, `${v.mn} attached on ${v.iface}`);
      dp.routes.reverseRule(c, p, v.iface, anchor.node === me.node ? undefined : anchor);
      // draft-tu 4.2: new sessions use the prefix anchored here; the others stay valid for the sessions that use them.
      const preferred = deprecateAll || (hasLocal && anchor.node !== me.node) ? 0 : ctx.config.mobility.leaseLifetime;
      list.push({ prefix: p, preferred, valid: ctx.config.mobility.leaseLifetime });
    }
  });
  // The advertisement follows the signalling burst (the node keeps its addresses meanwhile); the routes are waited for.
  void ar.radvd.set(v.iface, list);
  await kernel;
}

/** Removes a prefix from whichever node holds it here. */
export async function dropPrefix(ar: ArCore, prefix: string, why: string): Promise<void> {
  const dp = ar.mr.datapath;
  for (const v of ar.visitors.values()) {
    if (!v.prefixes.delete(prefix)) continue;
    await dp.change((c) => {
      dp.routes.reverseRule(c, prefix, undefined, undefined);
      dp.stage(c, prefix, 'attached', undefined, why);
      dp.stage(c, prefix, 'hold', undefined, why);
    });
    if (v.state === 'attached') await deliver(ar, v);
    ar.ctx.events.emit('prefix.removed', { mn: v.mn, prefix, reason: why });
  }
  ar.mr.refreshObserver();
}

/** Temporary handover contexts end after their lifetime ("deleted when the handover is over", draft-tu 4.4). */
export function armContextTimers(ar: ArCore, prefixes: string[], next: MrInfo, lifetimeMs: number): void {
  const dp = ar.mr.datapath;
  for (const p of prefixes) {
    if (!dp.get(p)?.context) continue;
    ar.ctx.timers.set(`context:${p}`, lifetimeMs, () => {
      void dp.set(p, 'context', undefined, 'handover over').then(() => {
        ar.ctx.events.emit('context.deleted', { prefix: p, to: next.node });
        ar.mr.refreshObserver();
      });
    });
  }
}
