import { BA_STATUS, type MhMessage } from '../../../shared/protocol/index.js';
import { PURPOSE, hnp, hnpsOf, mnIdOf, pbaFlags, proxyPbu, purposeOption } from '../../../shared/protocol/dmm-options.js';
import { linkLocalFromMac } from '../../../shared/ipv6.js';
import { attach } from './attach.js';
import { visitorById, type ArCore, type Visitor } from './core.js';
import { dropPrefix } from './delivery.js';
import { lmProxyFor, tell } from './registration.js';

/**
 * A signalling socket on an access link's link-local address: client-based
 * mobile nodes send their binding updates there, and network-based ones
 * their releases. Opened when the router starts (openLinkSocketEarly);
 * where that fails, once the link has a carrier and the kernel shows the
 * address. Retries while the address is not usable yet.
 */
export async function openLinkSocket(ar: ArCore, iface: string, opened: Set<string>): Promise<void> {
  if (opened.has(iface)) return;
  for (let i = 0; i < 50; i++) {
    const l = await ar.ctx.kernel.read<{ addr_info?: { local: string; scope?: string }[] }>(['-6', 'address', 'show', 'dev', iface]);
    const ll = l[0]?.addr_info?.find((a) => a.scope === 'link')?.local;
    if (ll) {
      try {
        await ar.ctx.signalling.listen(`${ll}%${iface}`);
        opened.add(iface);
        return;
      } catch {
        // address not usable yet
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  ar.ctx.events.log('warn', `no signalling socket on ${iface}`);
}

/**
 * The socket opened when the router starts, on the address the access
 * link's MAC gives, before the link has a carrier (the plan lets access
 * routers bind addresses they do not hold yet, net.ipv6.ip_nonlocal_bind):
 * a node's first binding update after a move then finds it open rather
 * than racing the router's own reaction to the carrier.
 */
export async function openLinkSocketEarly(ar: ArCore, iface: string, mac: string, opened: Set<string>): Promise<void> {
  try {
    await ar.ctx.signalling.listen(`${linkLocalFromMac(mac)}%${iface}`);
    opened.add(iface);
  } catch {
    // no non-local bind here: opened at the carrier (openLinkSocket)
  }
}

/** Client-based mode: the node's own BU (attach), or its release of a prefix (lifetime 0). */
export async function onClientUpdate(ar: ArCore, m: MhMessage, scope: string | undefined): Promise<MhMessage> {
  if (m.type !== 'PBU') throw new Error('not a BU');
  const id = mnIdOf(m);
  const v = id ? visitorById(ar, id) : undefined;
  const reply = (status: number, prefixes: string[] = []): MhMessage => ({
    type: 'PBA',
    sequence: m.sequence,
    status,
    flags: pbaFlags(false),
    lifetime: m.lifetime,
    options: [purposeOption(PURPOSE.CLIENT_UPDATE), ...prefixes.map(hnp)],
  });
  if (!v || (scope && v.iface !== scope)) return reply(BA_STATUS.ADMINISTRATIVELY_PROHIBITED);
  if (m.lifetime === 0) {
    const gone = hnpsOf(m);
    for (const p of gone) await release(ar, v, p);
    return reply(BA_STATUS.ACCEPTED, gone);
  }
  if (v.state !== 'attached') void attach(ar, v);
  return reply(BA_STATUS.ACCEPTED, [...v.prefixes.keys()]);
}

/** The node gave up a prefix (its sessions on it are over): remove its state everywhere (draft-tu 4.2). */
async function release(ar: ArCore, v: Visitor, prefix: string): Promise<void> {
  const { ctx, mr } = ar;
  const anchor = v.prefixes.get(prefix);
  if (!anchor) return;
  await dropPrefix(ar, prefix, 'released by the node');
  const lm = ctx.domain.lmFor(prefix);
  const proxy = lmProxyFor(ar, v);
  // Behind an LM proxy: this network's LM for its own prefixes, the proxy for the rest (it tells their LMs).
  const targets = proxy ? [lm === ctx.domain.lmOf(ctx.config.network) ? lm : undefined, proxy] : [lm, ctx.domain.realmLm(v.mnId)];
  for (const target of new Set(targets)) if (target) void tell(ar, target, proxyPbu(PURPOSE.LOCATION_UPDATE, v.mnId, [prefix], 0));
  if (anchor.node === mr.me.node) await mr.releaseAnchored(prefix, v.mnId, 'released by its node');
  else await tell(ar, anchor.address, proxyPbu(PURPOSE.ANCHOR_BINDING, v.mnId, [prefix], 0));
}
