import type { MrInfo } from '../../../shared/control/agent-config.js';
import { monoMs } from '../../../shared/clock.js';
import type { AttachmentRecord } from '../../../shared/control/role-state.js';
import { HANDOFF_INDICATOR } from '../../../shared/protocol/index.js';
import { PURPOSE, hnpsOf, previousMrOf, proxyPbu } from '../../../shared/protocol/dmm-options.js';
import { transferContext } from './context-transfer.js';
import { errText, type ArCore, type Visitor } from './core.js';
import { deliver } from './delivery.js';
import { handOff } from './predictive.js';
import { allocate, announce, locationManager, tell, updateOtherLms } from './registration.js';

/** How many completed attachments `state` keeps. */
const RECENT_KEPT = 50;
/**
 * A registration that failed (its LM or HAA did not answer any attempt) is
 * tried again after this long, doubling up to RETRY_MAX_MS, for as long as the
 * node stays (RFC 5213 5.3.5: a MAG retransmits with backoff; a node that never
 * registers would otherwise stay unreachable).
 */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 16_000;

/**
 * A mobile node arrived on an access link (draft-tu 4.1 initial attachment,
 * 4.4 handover): learn its prefixes and previous MR from its realm LM, run
 * the context transfer with the previous MR, update the anchors and LMs,
 * get a new prefix anchored here (dynamic mobility, 4.2), advertise.
 */
export async function attach(ar: ArCore, v: Visitor): Promise<void> {
  const { ctx, mr } = ar;
  const gen = ++v.generation;
  const t0 = monoMs();
  const wasHere = v.state === 'detached' && v.prefixes.size > 0;
  // Predictive handover: the previous MR already forwards here and the routes are in; only the node's neighbour entry is missing.
  const prepared = v.state === 'expected';
  v.state = 'attached';
  v.preparedTo = undefined;
  v.attachedAt = t0;
  ctx.timers.clear(`expect:${v.iface}`);
  ctx.events.emit('mn.attached', { mn: v.mn, mnId: v.mnId, iface: v.iface, ...(prepared ? { prepared: true as const } : {}) });
  // The node's neighbour entry goes in while the registration is on its way (the kernel batch is in order).
  const neighbour = mr.datapath.change((c) => mr.datapath.routes.neighbour(c, v.iface, v.linkLocal, v.mac));
  if (prepared || wasHere) await neighbour;
  if (wasHere) {
    // Back before anybody else took over: deliver again, nothing to signal.
    await deliver(ar, v);
    finish(ar, v, t0, undefined, 'returned');
    return;
  }
  const me = mr.me;
  const realm = locationManager(ar, v);
  if (!realm) {
    ctx.events.emit('agent.error', { message: `no LM for the realm of ${v.mnId}` });
    return;
  }
  let known: string[];
  let previous: MrInfo | undefined;
  try {
    const r = await ctx.signalling.request(
      proxyPbu(PURPOSE.LOCATION_UPDATE, v.mnId, [], ctx.config.mobility.bindingLifetime, HANDOFF_INDICATOR.UNKNOWN),
      realm,
    );
    known = hnpsOf(r.message);
    const prev = previousMrOf(r.message);
    previous = prev ? ctx.domain.mrByAddress(prev) : undefined;
  } catch (e) {
    ctx.events.emit('agent.error', { message: `registration of ${v.mnId} at its LM failed: ${errText(e)}` });
    if (gen === v.generation) retryLater(ar, v, gen);
    return;
  }
  if (gen !== v.generation) return;
  for (const p of known) {
    const anchor = ctx.domain.anchorOf(p);
    if (anchor) v.prefixes.set(p, anchor);
  }
  const handover = v.prefixes.size > 0;
  const anchoredHere = () => [...v.prefixes.values()].some((a) => a.node === me.node);
  const willAddPrefix = !handover || (ctx.config.mobility.newPrefixOnHandover && !anchoredHere());
  if (handover) {
    // The routes go in here first, then the context transfer and the anchors' bindings: what the
    // previous MR (or an anchor) tunnels here from the moment it is told must find the node's route.
    // Told before the routes were in, it could tunnel packets that arrived ahead of them and left
    // again by the main table, unencapsulated with a source anchored elsewhere (bench/handover on
    // the bpf driver, whose previous MR switches in one cheap route change). The previous MR learns
    // from the context transfer; unless it is only the LM proxy of the network the node left (it
    // relays the transfer to the MR that served the node there), so what it anchors is told here too.
    const relayed = previous !== undefined && previous.network !== me.network && ctx.domain.proxiedNetwork(previous.address) !== undefined;
    const toldByTransfer = relayed ? undefined : previous?.node;
    await deliver(ar, v, willAddPrefix);
    const tasks: Promise<unknown>[] = [];
    if (previous && previous.node !== me.node && !prepared) tasks.push(transferContext(ar, v, previous, realm, toldByTransfer));
    // Anchors told of the node's new place tunnel to it too: also after the routes.
    tasks.push(...announce(ar, v, [...v.prefixes.keys()], realm, toldByTransfer));
    await Promise.all(tasks);
  }
  if (gen !== v.generation) return;
  if (willAddPrefix) {
    const p = await allocate(ar, v);
    // Without a prefix a node that had none has no address at all: ask again.
    if (!p && !handover && gen === v.generation) {
      retryLater(ar, v, gen);
      return;
    }
    if (p && gen === v.generation) {
      // Anchored here, or (central anchoring) at the network's anchor, which is told where the node is.
      const anchor = ctx.domain.anchorOf(p) ?? me;
      v.prefixes.set(p, anchor);
      await deliver(ar, v, false);
      const indicator = handover ? HANDOFF_INDICATOR.BETWEEN_MAGS_SAME_INTERFACE : HANDOFF_INDICATOR.NEW_INTERFACE;
      await Promise.all([
        tell(ar, realm, proxyPbu(PURPOSE.LOCATION_UPDATE, v.mnId, [p], ctx.config.mobility.bindingLifetime, indicator)),
        ...updateOtherLms(ar, v, [p], realm),
        ...(anchor.node === me.node ? [] : [tell(ar, anchor.address, proxyPbu(PURPOSE.ANCHOR_BINDING, v.mnId, [p], ctx.config.mobility.bindingLifetime))]),
      ]);
    }
  }
  if (gen === v.generation) finish(ar, v, t0, previous, handover ? 'handover' : 'initial');
}

/** Runs the attachment again later (backoff), unless the node left or another attachment overtook this one. */
function retryLater(ar: ArCore, v: Visitor, gen: number): void {
  const n = v.retries ?? 0;
  v.retries = n + 1;
  const delay = Math.min(RETRY_FIRST_MS * 2 ** n, RETRY_MAX_MS);
  ar.ctx.events.log('info', `registration of ${v.mnId} on ${v.iface}: attempt ${n + 2} in ${delay} ms`);
  ar.ctx.timers.set(`retry:${v.iface}`, delay, () => {
    if (v.generation === gen && v.state === 'attached') void attach(ar, v);
  });
}

function finish(ar: ArCore, v: Visitor, t0: number, previous: MrInfo | undefined, kind: AttachmentRecord['mode']): void {
  v.retries = 0;
  const record: AttachmentRecord = {
    mn: v.mn,
    mnId: v.mnId,
    mode: kind,
    from: previous?.node ?? null,
    to: ar.mr.me.node,
    prefixes: [...v.prefixes.keys()],
    ms: monoMs() - t0,
  };
  ar.recent.push(record);
  if (ar.recent.length > RECENT_KEPT) ar.recent.shift();
  ar.ctx.events.emit(kind === 'handover' ? 'handover.completed' : 'attachment.completed', record);
  ar.mr.refreshObserver();
  scheduleRefresh(ar, v);
}

/** Re-registers the node's prefixes before their bindings expire, while it stays here. */
function scheduleRefresh(ar: ArCore, v: Visitor): void {
  const { ctx } = ar;
  const every = (ctx.config.mobility.bindingLifetime * 1000) / 2;
  ctx.timers.set(`refresh:${v.iface}`, every, () => {
    if (v.state !== 'attached') return;
    const realm = locationManager(ar, v);
    if (realm) {
      const prefixes = [...v.prefixes.keys()];
      void tell(ar, realm, proxyPbu(PURPOSE.LOCATION_UPDATE, v.mnId, prefixes, ctx.config.mobility.bindingLifetime, HANDOFF_INDICATOR.NOT_CHANGED));
      void Promise.all(updateOtherLms(ar, v, prefixes, realm));
    }
    scheduleRefresh(ar, v);
  });
}

/** The node left the access link: stop delivering; hold its prefixes until its new MR is known. */
export async function detach(ar: ArCore, v: Visitor): Promise<void> {
  const { ctx, mr } = ar;
  if (v.state !== 'attached') return;
  v.generation++;
  v.state = 'detached';
  ctx.events.emit('mn.detached', { mn: v.mn, mnId: v.mnId, iface: v.iface });
  ctx.timers.clear(`refresh:${v.iface}`);
  ctx.timers.clear(`retry:${v.iface}`);
  const dp = mr.datapath;
  if (v.preparedTo) {
    await handOff(ar, v, v.preparedTo);
    return;
  }
  void ar.radvd.set(v.iface, []);
  await dp.change((c) => {
    for (const p of v.prefixes.keys()) {
      dp.stage(c, p, 'hold', true, `${v.mn} between cells`);
      dp.stage(c, p, 'attached', undefined, `${v.mn} left ${v.iface}`);
      dp.routes.reverseRule(c, p, undefined, undefined);
    }
    dp.routes.neighbour(c, v.iface, v.linkLocal, undefined);
  });
  mr.refreshObserver();
  const gen = v.generation;
  ctx.timers.set(`hold:${v.iface}`, ctx.config.mobility.bindingLifetime * 1000, () => {
    if (v.generation !== gen) return;
    const gone = [...v.prefixes.keys()];
    v.prefixes.clear();
    v.state = 'away';
    void dp.change((c) => {
      for (const p of gone) dp.stage(c, p, 'hold', undefined, 'hold expired');
    });
  });
}
