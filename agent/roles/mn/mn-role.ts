import { linkLocalFromMac } from '../../../shared/ipv6.js';
import type { MhMessage } from '../../../shared/protocol/index.js';
import type { RoleOperations } from '../../../shared/control/messages.js';
import type { MnState } from '../../../shared/control/role-state.js';
import type { AgentContext, Role } from '../../context.js';
import { PURPOSE, hnp, mnId, pbuFlags, purposeOption } from '../../../shared/protocol/dmm-options.js';
import { MobileIpv6Client } from './mobile-ipv6.js';
import { applyTc, decapTcLines } from '../../kernel/bpf-files.js';

interface AddrInfo {
  ifname: string;
  addr_info?: {
    family: string;
    local: string;
    prefixlen: number;
    scope?: string;
    deprecated?: boolean;
    preferred_life_time?: number;
    valid_life_time?: number;
  }[];
}

/** Address events are looked at this long after the first of a burst. */
const ADDRESS_SETTLE_MS = 100;

/** How long a deprecated home address may go without sockets before the node gives it up. */
const IDLE_RELEASE_MS = 2000;

/**
 * The mobile node's own agent (optional: a node without it still works,
 * network-based). It reports its radios attaching and detaching; in
 * client-based mode it signals for itself (a BU to the access router on
 * attach). As the session-identifier function of the Chan framework it keeps
 * several home addresses and gives up an old one (deprecated, no socket left
 * using it) so that its mobility state and tunnels are removed (draft-tu 4.2).
 */
export class MnRole implements Role<'mn'> {
  readonly operations: RoleOperations = { release: (req) => this.release(req.prefix) };
  readonly name = 'mn';
  private readonly radios = new Map<string, { ar: string; arLinkLocal: string; up: boolean; listening: boolean }>();
  /** Home prefixes given up: being released (addresses not yet removed) or released. */
  private readonly released = new Map<string, 'releasing' | 'released'>();
  private poll: NodeJS.Timeout | undefined;
  private readonly id: string;
  private readonly myLinkLocal: string;
  /** Mobile IPv6 mode: the node binds its care-of address with its home agent itself. */
  private readonly mobileIpv6: MobileIpv6Client | undefined;

  constructor(private readonly ctx: AgentContext) {
    const me = ctx.domain.mnByNode(ctx.config.node);
    this.id = me?.id ?? ctx.config.node;
    this.mobileIpv6 = ctx.config.mobility.mnMode === 'mipv6' ? new MobileIpv6Client(ctx, this.id, () => this.homeAddresses()) : undefined;
    this.myLinkLocal = me ? linkLocalFromMac(me.mac) : '::';
    for (const r of ctx.config.radios) this.radios.set(r.iface, { ar: r.ar, arLinkLocal: linkLocalFromMac(r.arMac), up: false, listening: false });
  }

  async start(): Promise<void> {
    // Mobile IPv6 on the bpf driver: what arrives tunnelled on a radio (one header, or two under a MAP)
    // is decapsulated on the way in; in place from the start, so the deployed node already has it.
    if (this.mobileIpv6 && this.ctx.config.tunnelDriver === 'bpf')
      await applyTc(
        this.ctx.exec,
        decapTcLines(
          this.ctx.config.workDir,
          this.ctx.config.radios.map((r) => r.iface),
          'ingress',
          undefined,
          2,
        ),
      );
    this.ctx.onCarrier((iface, carrier) => void this.onRadio(iface, carrier));
    // Address changes (router advertisements, deprecation, removal) say when to look for idle addresses;
    // in between nothing is spawned, so an idle mobile node costs nothing. Nothing to look at before the
    // first: a node starts with one home prefix at most, and a second one comes with an event.
    this.ctx.onAddressChange(() => this.addressesChanged());
  }

  private addressCheck: NodeJS.Timeout | undefined;

  async stop(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    if (this.addressCheck) clearTimeout(this.addressCheck);
  }

  /**
   * Polls for idle deprecated addresses only while the node holds two or more
   * home addresses. A burst of address events (a radio going down takes all
   * its addresses) is looked at once, a moment later: never on the path of
   * the handover that caused it.
   */
  private addressesChanged(): void {
    // A Mobile IPv6 node keeps its home address wherever it is: nothing to give up.
    if (this.mobileIpv6) {
      this.mobileIpv6.addressChanged();
      return;
    }
    if (this.addressCheck) return;
    this.addressCheck = setTimeout(() => {
      this.addressCheck = undefined;
      this.lookAtAddresses();
    }, ADDRESS_SETTLE_MS);
  }

  private lookAtAddresses(): void {
    void this.homeAddresses().then((addrs) => {
      // A prefix given up earlier that has an address again was granted anew (the HAA may hand out the
      // same prefix on a later attachment): it is held again, and may be given up again.
      for (const a of addrs) {
        const prefix = this.ctx.domain.prefixOf(a.address);
        if (this.released.get(prefix) === 'released') this.released.delete(prefix);
      }
      const needed = addrs.length >= 2 && addrs.some((a) => a.deprecated);
      if (needed && !this.poll) {
        this.poll = setInterval(() => void this.checkIdle(), 2000);
        this.poll.unref?.();
      } else if (!needed && this.poll) {
        clearInterval(this.poll);
        this.poll = undefined;
      }
    });
  }

  private async onRadio(iface: string, up: boolean): Promise<void> {
    const r = this.radios.get(iface);
    if (!r) return;
    r.up = up;
    this.ctx.events.emit(up ? 'radio.up' : 'radio.down', { iface, ar: r.ar });
    if (!up) return;
    if (this.mobileIpv6) {
      await this.mobileIpv6.radioUp(iface, r.ar);
      return;
    }
    // Network-based mode: the node signals only to give up a prefix (release opens the socket then). Opening
    // it here put a namespace socket call on the agent host's thread at the moment its router signals.
    if (this.ctx.config.mobility.mnMode === 'client') {
      await this.ensureSocket(iface);
      const prefixes = (await this.homeAddresses()).map((a) => this.ctx.domain.prefixOf(a.address));
      await this.toAr(iface, {
        type: 'PBU',
        sequence: 0,
        flags: pbuFlags(false),
        lifetime: this.ctx.config.mobility.bindingLifetime,
        options: [purposeOption(PURPOSE.CLIENT_UPDATE), mnId(this.id), ...[...new Set(prefixes)].map(hnp)],
      });
    }
  }

  /** A socket on the radio's link-local address, for signalling with the access router. */
  private async ensureSocket(iface: string): Promise<void> {
    const r = this.radios.get(iface);
    if (!r || r.listening) return;
    for (let i = 0; i < 20; i++) {
      try {
        await this.ctx.signalling.listen(`${this.myLinkLocal}%${iface}`);
        r.listening = true;
        return;
      } catch {
        await new Promise((res) => setTimeout(res, 10));
      }
    }
    this.ctx.events.log('warn', `could not open a signalling socket on ${iface}`);
  }

  private async toAr(iface: string, m: MhMessage): Promise<void> {
    const r = this.radios.get(iface);
    if (!r) return;
    try {
      await this.ctx.signalling.request(m, `${r.arLinkLocal}%${iface}`);
    } catch (e) {
      this.ctx.events.log('warn', `BU to ${r.ar}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Global addresses from the domain's home-prefix pools, with their state. */
  async homeAddresses(): Promise<{ address: string; iface: string; deprecated: boolean; validS?: number }[]> {
    const out: { address: string; iface: string; deprecated: boolean; validS?: number }[] = [];
    for (const l of await this.ctx.kernel.read<AddrInfo>(['-6', 'address', 'show'])) {
      for (const a of l.addr_info ?? []) {
        if (a.family !== 'inet6' || a.scope !== 'global' || !this.ctx.domain.isHomeAddress(a.local)) continue;
        out.push({
          address: a.local,
          iface: l.ifname,
          deprecated: Boolean(a.deprecated) || a.preferred_life_time === 0,
          ...(a.valid_life_time !== undefined ? { validS: a.valid_life_time } : {}),
        });
      }
    }
    return out;
  }

  /** Gives up a home prefix: tells the access router, then removes the addresses. */
  async release(prefix: string): Promise<{ prefix: string; via?: string }> {
    const active = [...this.radios].find(([, r]) => r.up);
    this.released.set(prefix, 'releasing');
    this.ctx.events.emit('prefix.releasing', { prefix, via: active?.[1].ar ?? null });
    if (active) {
      await this.ensureSocket(active[0]);
      await this.toAr(active[0], {
        type: 'PBU',
        sequence: 0,
        flags: pbuFlags(false),
        lifetime: 0,
        options: [purposeOption(PURPOSE.CLIENT_UPDATE), mnId(this.id), hnp(prefix)],
      });
    }
    const lines = (await this.homeAddresses())
      .filter((a) => this.ctx.domain.prefixOf(a.address) === prefix)
      .map((a) => `address del ${a.address}/64 dev ${a.iface}`);
    await this.ctx.kernel.change(lines, /Cannot assign|No such/);
    if (this.released.has(prefix)) this.released.set(prefix, 'released');
    this.ctx.events.emit('prefix.released', { prefix });
    return { prefix, ...(active ? { via: active[1].ar } : {}) };
  }

  private checking = false;

  /**
   * A deprecated home address is given up once no socket is bound to it and no
   * packet has crossed it for a short grace (a correspondent's session to it
   * counts even though the node holds no socket for it, e.g. echo replies).
   */
  private async checkIdle(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const addrs = await this.homeAddresses();
      if (addrs.length < 2) return;
      // A socket in TIME-WAIT is a session that has ended.
      const r = await this.ctx.exec.run(['ss', '-Hantuw', 'exclude', 'time-wait']);
      const inUse = new Set<string>();
      for (const m of String(r.stdout).matchAll(/\[([0-9a-f:]+)\]/gi)) inUse.add(m[1] as string);
      for (const a of addrs) {
        const prefix = this.ctx.domain.prefixOf(a.address);
        if (!a.deprecated || inUse.has(a.address) || this.released.has(prefix)) continue;
        if (await this.sawTraffic(a.address, IDLE_RELEASE_MS)) continue;
        void this.release(prefix);
      }
    } finally {
      this.checking = false;
    }
  }

  /** Whether a packet to or from `address` crosses any interface within `ms`. */
  private async sawTraffic(address: string, ms: number): Promise<boolean> {
    const r = await this.ctx.exec.run(['tcpdump', '-c', '1', '-q', '-n', '-i', 'any', 'host', address], { timeoutMs: ms });
    return !r.timedOut && r.exitCode === 0;
  }

  state(): MnState {
    return {
      mnId: this.id,
      radios: [...this.radios].map(([iface, r]) => ({ iface, ar: r.ar, up: r.up })),
      released: [...this.released.keys()],
      ...(this.mobileIpv6 ? { mobileIpv6: this.mobileIpv6.state() } : {}),
    };
  }
}
