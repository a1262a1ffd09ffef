import { monoMs } from '../../../shared/clock.js';
import { linkLocalFromMac } from '../../../shared/ipv6.js';
import type { MrInfo } from '../../../shared/control/agent-config.js';
import { homeRegistration, mapRegistration } from '../../../shared/protocol/dmm-options.js';
import type { AgentContext } from '../../context.js';
import { encapVia } from '../../kernel/bpf-files.js';
import { ANCHOR_DEVICE } from '../../kernel/tunnel-driver.js';
import { HAIRPIN, hairpinLines, hmipTeardownLines, hmipTunnelLines, regionalAddress, type HmipPlace } from './hmip-lines.js';

/** Policy-rule preference of the decapsulation rule (seg6 driver): before the local table, which moves after it. */
const DECAP_RULE_PREF = 50;
const LOCAL_RULE_PREF = 100;
const DECAP_TABLE = 90;
/** Metric of the default route into the tunnel: ahead of the router advertisement's (1024). */
const TUNNEL_DEFAULT_METRIC = 10;
/** The ip6tnl device towards the home agent. */
const TUNNEL_DEVICE = 'mip6';
/** How long a visited link may take to give the node a care-of address. */
const CARE_OF_WAIT_MS = 5000;

/** What `ip -j -6 address show` gives for one link. */
type LinkAddresses = { ifname?: string; addr_info?: { family: string; local: string; scope?: string; tentative?: boolean }[] };

interface HomeAddress {
  address: string;
  prefix: string;
}

interface Binding {
  iface: string;
  ar: string;
  careOf: string;
  homeAgent: MrInfo;
  /** HMIPv6: the MAP of the visited network and the node's place under it (its regional care-of address). */
  hmip?: HmipPlace;
}

/**
 * The mobile node's side of Mobile IPv6 (RFC 6275; Chan framework figure 1):
 * on a visited link it takes the care-of address the link advertises, keeps
 * its home address (on lo), becomes the tunnel's far end (it decapsulates
 * what its home agent sends to the care-of address, and reverse-tunnels
 * everything it sends from its home address), and registers the care-of
 * address with its home agent in its own Binding Update. Back on its home
 * link it drops the tunnel and deregisters (lifetime 0). The datapath is the
 * kernel's: an ip6tnl device, or seg6 encap.red / End.DX6 (the same bytes on
 * the wire), as the lab's tunnel driver says. In a visited network with a
 * MAP (HMIPv6, hmip-lines.ts) it also takes a regional care-of address,
 * binds the home address to it at the home agent and the on-link care-of
 * address to it at the MAP; moves under the same MAP only update the MAP.
 */
export class MobileIpv6Client {
  private homes: HomeAddress[] = [];
  private bound: Binding | undefined;
  private lastAr: string | undefined;
  private setUp = false;
  private listeningOn: string | undefined;
  /** Radio changes so far; the latest is the one that counts. */
  private generation = 0;
  /** Radio changes are handled one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private readonly addressWaiters = new Set<() => void>();
  /** Address changes seen so far: one that comes while the addresses are being read is not missed. */
  private addressChanges = 0;

  constructor(
    private readonly ctx: AgentContext,
    private readonly id: string,
    private readonly homeAddresses: () => Promise<{ address: string; iface: string }[]>,
  ) {}

  /** Address events wake whoever waits for a care-of address. */
  addressChanged(): void {
    this.addressChanges++;
    for (const w of [...this.addressWaiters]) w();
  }

  state(): { careOf?: string; homeAgent?: string; homeAddresses: string[]; regionalCareOf?: string; map?: string } {
    const b = this.bound;
    return {
      homeAddresses: this.homes.map((h) => h.address),
      ...(b ? { careOf: b.careOf, homeAgent: b.homeAgent.node } : {}),
      ...(b?.hmip ? { regionalCareOf: b.hmip.regional, map: b.hmip.map.node } : {}),
    };
  }

  /**
   * A radio came up. Radio changes are handled one at a time, in order; one
   * that a newer change overtook while it waited (for its turn or for a
   * care-of address) gives up, so fast moves never leave the tunnel or the
   * binding on a cell the node already left.
   */
  radioUp(iface: string, ar: string): Promise<void> {
    const t0 = monoMs();
    const from = this.lastAr;
    this.lastAr = ar;
    const gen = ++this.generation;
    // A change still waiting for its care-of address looks again at once, and gives up.
    this.addressChanged();
    this.queue = this.queue
      .then(() => (gen === this.generation ? this.attach(iface, ar, from, t0, gen) : undefined))
      .catch((e: unknown) => this.ctx.events.log('error', `Mobile IPv6 on ${iface}: ${e instanceof Error ? e.message : String(e)}`));
    return this.queue;
  }

  private async attach(iface: string, ar: string, from: string | undefined, t0: number, gen: number): Promise<void> {
    const arInfo = this.ctx.domain.mrByNode(ar);
    if (arInfo?.network === this.ctx.config.network) {
      await this.home(ar, from, t0, gen);
      return;
    }
    if (this.homes.length === 0) await this.learnHomes();
    const ha = this.homeAgentFor(ar);
    if (!ha) {
      this.ctx.events.log('warn', `Mobile IPv6: no home address or home agent to register with on ${iface}`);
      return;
    }
    const careOf = await this.careOfAddress(iface, gen);
    if (gen !== this.generation) return;
    if (!careOf) {
      this.ctx.events.log('warn', `Mobile IPv6: no care-of address on ${iface} after ${CARE_OF_WAIT_MS} ms`);
      return;
    }
    const arLinkLocal = this.arLinkLocal(iface);
    const was = this.bound;
    const lifetime = this.ctx.config.mobility.bindingLifetime;
    const move = { from, to: ar, t0 };
    const mapInfo = arInfo ? this.ctx.domain.mapOf(arInfo.network) : undefined;
    const map = mapInfo ? this.ctx.domain.mrByNode(mapInfo.node) : undefined;
    if (mapInfo && map) {
      // HMIPv6: under the same MAP the regional care-of address stays, and only the MAP hears of the move.
      const same = was?.hmip?.map.node === map.node && was.homeAgent.node === ha.node ? was.hmip : undefined;
      const place: HmipPlace = {
        driver: this.ctx.config.tunnelDriver,
        workDir: this.ctx.config.workDir,
        iface,
        arLinkLocal,
        careOf,
        regional: same?.regional ?? regionalAddress(mapInfo.regional, careOf),
        homeAddresses: this.homes.map((h) => h.address),
        homeAgent: ha,
        map,
      };
      if (was && !same) await this.leave(was, careOf);
      await this.kernel(hmipTunnelLines(place, same));
      this.setUp = false;
      this.bound = { iface, ar, careOf, homeAgent: ha, hmip: place };
      await this.register('map', place.regional, careOf, map, lifetime, move, Boolean(same));
      if (!same) await this.register('home', place.regional, place.regional, ha, lifetime, move, true);
      return;
    }
    if (was?.hmip) await this.leave(was, careOf);
    await this.kernel(this.tunnelLines(iface, arLinkLocal, careOf, ha));
    this.bound = { iface, ar, careOf, homeAgent: ha };
    await this.register('home', careOf, careOf, ha, lifetime, move, true);
  }

  /** Leaves a MAP's domain for another place away: its tunnels go, and the MAP's binding (lifetime 0, from `from`). */
  private async leave(was: Binding, from: string): Promise<void> {
    if (!was.hmip) return;
    await this.kernel(hmipTeardownLines(was.hmip));
    this.bound = undefined;
    await this.register('map', was.hmip.regional, from, was.hmip.map, 0, undefined, false);
  }

  /**
   * The home agent to register with from `ar`'s cell: the one anchoring the home prefix, or with
   * migrating home agents the nearest one (where anycast to the home agents leads from that cell).
   */
  private homeAgentFor(ar: string): MrInfo | undefined {
    const nearest = this.ctx.domain.migratingHomeAgents ? this.ctx.domain.mrByNode(ar)?.homeAgent : undefined;
    if (nearest) return this.ctx.domain.mrByNode(nearest);
    return this.homes[0] ? this.ctx.domain.anchorOf(this.homes[0].prefix) : undefined;
  }

  /** Back on the home link: the tunnel goes, then the binding (a deregistration from the home address). */
  private async home(ar: string, from: string | undefined, t0: number, gen: number): Promise<void> {
    const was = this.bound;
    await this.learnHomes();
    if (!was) return;
    this.bound = undefined;
    await this.kernel(was.hmip ? hmipTeardownLines(was.hmip) : this.teardownLines(was));
    this.setUp = false;
    const home = this.homes[0];
    if (!home) return;
    if (!(await this.homeAddressBack(gen))) {
      if (gen !== this.generation) return;
      this.ctx.events.log('warn', `Mobile IPv6: no home address back on the home link after ${CARE_OF_WAIT_MS} ms`);
    }
    const move = { from, to: ar, t0 };
    if (was.hmip) await this.register('map', was.hmip.regional, home.address, was.hmip.map, 0, undefined, false);
    await this.register('home', home.address, home.address, was.homeAgent, 0, move, true);
  }

  /**
   * Sends a registration from `source`: at the home agent (the home prefixes bound to `careOf`), or
   * at a MAP (the regional care-of address bound to `careOf`, the on-link one). The last one of a
   * move (`completes`) reports the handover complete when accepted.
   */
  private async register(
    kind: 'home' | 'map',
    careOf: string,
    source: string,
    to: MrInfo,
    lifetime: number,
    move: { from: string | undefined; to: string; t0: number } | undefined,
    completes: boolean,
  ): Promise<void> {
    const prefixes = [...new Set(this.homes.map((h) => h.prefix))];
    try {
      if (this.listeningOn !== source) {
        await this.ctx.signalling.listen(source);
        this.listeningOn = source;
      }
      // At a MAP `careOf` is the regional care-of address, bound to the sender's (the on-link one).
      const message = kind === 'home' ? homeRegistration(this.id, prefixes, careOf, lifetime) : mapRegistration(this.id, careOf, source, lifetime);
      const r = await this.ctx.signalling.request(message, to.address);
      const status = r.message.type === 'PBA' ? r.message.status : null;
      const ms = move ? monoMs() - move.t0 : 0;
      if (kind === 'map') this.ctx.events.emit('map.registered', { map: to.node, regional: careOf, onLink: source, lifetime, status, ms });
      else this.ctx.events.emit('home.registered', { homeAgent: to.node, careOf, prefixes, lifetime, status, ms });
      if (move && completes && status !== null && status < 128)
        this.ctx.events.emit('handover.completed', {
          mn: this.ctx.config.node,
          mnId: this.id,
          mode: 'handover',
          from: move.from ?? null,
          to: move.to,
          prefixes,
          ms,
        });
    } catch (e) {
      this.ctx.events.log('warn', `Mobile IPv6 binding update to ${to.node}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The node's home addresses, as its home link gave them (kept while it is away). */
  private async learnHomes(): Promise<void> {
    const found = (await this.homeAddresses()).filter((a) => a.iface !== 'lo');
    if (found.length === 0) return;
    const seen = new Set<string>();
    this.homes = found.flatMap((a) =>
      seen.has(a.address) ? [] : (seen.add(a.address), [{ address: a.address, prefix: this.ctx.domain.prefixOf(a.address) }]),
    );
  }

  /** The global, non-home address the visited link's router advertisement gave `iface`. */
  private careOfAddress(iface: string, gen: number): Promise<string | undefined> {
    return this.addressAppears(async () => {
      const l = await this.ctx.kernel.read<LinkAddresses>(['-6', 'address', 'show', 'dev', iface]);
      return l[0]?.addr_info?.find((x) => x.family === 'inet6' && x.scope === 'global' && !x.tentative && !this.ctx.domain.isHomeAddress(x.local))?.local;
    }, gen);
  }

  /**
   * A home address back on a radio (the home link's advertisement gives it
   * again after the radio was down), no longer tentative: the deregistration
   * is sent from it. A socket bound before it is there fails, and the home
   * agent never hears that the node is home (the likely cause of a
   * deregistration missing in one VM run).
   */
  private homeAddressBack(gen: number): Promise<string | undefined> {
    return this.addressAppears(async () => {
      const links = await this.ctx.kernel.read<LinkAddresses>(['-6', 'address', 'show']);
      for (const l of links) {
        if (l.ifname === 'lo') continue;
        const a = l.addr_info?.find((x) => x.family === 'inet6' && !x.tentative && this.homes.some((h) => h.address === x.local));
        if (a) return a.local;
      }
      return undefined;
    }, gen);
  }

  /** Looks with `find` until it finds an address, at each address change and at least every 200 ms, for CARE_OF_WAIT_MS. */
  private async addressAppears(find: () => Promise<string | undefined>, gen: number): Promise<string | undefined> {
    const deadline = monoMs() + CARE_OF_WAIT_MS;
    for (;;) {
      if (gen !== this.generation) return undefined;
      const changes = this.addressChanges;
      const found = await find();
      if (found) return found;
      const left = deadline - monoMs();
      if (left <= 0) return undefined;
      // An address change while reading: look again at once rather than wait for the next.
      if (this.addressChanges !== changes) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.addressWaiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, 200));
        this.addressWaiters.add(done);
      });
    }
  }

  private arLinkLocal(iface: string): string {
    const r = this.ctx.config.radios.find((x) => x.iface === iface);
    return r ? linkLocalFromMac(r.arMac) : 'fe80::1';
  }

  /**
   * The node as the tunnel's far end: its home addresses on lo, the home
   * agent reached through the visited router, a default route into the
   * tunnel whose source is the home address (reverse tunnelling: a home
   * address never leaves the visited link unencapsulated), and decapsulation
   * of what arrives for the care-of address.
   */
  private tunnelLines(iface: string, arLinkLocal: string, careOf: string, ha: MrInfo): string[] {
    const hoa = this.homes[0]!.address;
    const lines = this.homes.map((h) => `address replace ${h.address}/128 dev lo`);
    // Another home agent than the last one (migrating home agents): the way to the old one goes.
    const old = this.bound?.homeAgent;
    if (old && old.node !== ha.node)
      lines.push(`route del ${old.address}/128`, ...(this.ctx.config.tunnelDriver !== 'ip6tnl' ? [`route del ${old.tunnelEndpoint}/128`] : []));
    lines.push(`route replace ${ha.address}/128 via ${arLinkLocal} dev ${iface}`);
    if (this.ctx.config.tunnelDriver === 'ip6tnl') {
      if (this.setUp) lines.push(`link del ${TUNNEL_DEVICE}`);
      lines.push(
        `link add ${TUNNEL_DEVICE} type ip6tnl mode ip6ip6 local ${careOf} remote ${ha.address} encaplimit none hoplimit 64`,
        `link set ${TUNNEL_DEVICE} mtu 1460 up`,
        `route replace default dev ${TUNNEL_DEVICE} src ${hoa} metric ${TUNNEL_DEFAULT_METRIC}`,
      );
    } else if (this.ctx.config.tunnelDriver === 'bpf') {
      // The radios decapsulate on the way in (mn-role.ts); the default route's program encapsulates.
      if (!this.setUp) lines.push(...ANCHOR_DEVICE);
      lines.push(
        `route replace ${ha.tunnelEndpoint}/128 via ${arLinkLocal} dev ${iface}`,
        `route replace default ${encapVia(this.ctx.config.workDir, careOf, ha.tunnelEndpoint, 'dmm0')} src ${hoa} metric ${TUNNEL_DEFAULT_METRIC}`,
      );
    } else {
      if (!this.setUp) {
        lines.push(
          ...hairpinLines(),
          // End.DX6 on the care-of address must be looked up before the address's local route.
          `rule add pref ${LOCAL_RULE_PREF} lookup local`,
          'rule del pref 0 lookup local',
        );
      } else if (this.bound) {
        lines.push(`rule del pref ${DECAP_RULE_PREF}`, `route del ${this.bound.careOf}/128 table ${DECAP_TABLE}`);
      }
      lines.push(
        `sr tunsrc set ${careOf}`,
        `route replace ${careOf}/128 encap seg6local action End.DX6 nh6 ${HAIRPIN} dev dmm0 table ${DECAP_TABLE}`,
        `rule add pref ${DECAP_RULE_PREF} to ${careOf}/128 ipproto 41 lookup ${DECAP_TABLE}`,
        `route replace ${ha.tunnelEndpoint}/128 via ${arLinkLocal} dev ${iface}`,
        `route replace default encap seg6 mode encap.red segs ${ha.tunnelEndpoint} dev dmm0 src ${hoa} metric ${TUNNEL_DEFAULT_METRIC}`,
      );
    }
    this.setUp = true;
    return lines;
  }

  /** Everything `tunnelLines` made, so that the node at home is exactly as deployed. */
  private teardownLines(b: Binding): string[] {
    const lines = [`route del ${b.homeAgent.address}/128`];
    if (this.ctx.config.tunnelDriver === 'ip6tnl') lines.push(`link del ${TUNNEL_DEVICE}`);
    // The veth pair takes the tunnel's default route with it.
    else if (this.ctx.config.tunnelDriver === 'bpf') lines.push(`route del ${b.homeAgent.tunnelEndpoint}/128`, 'link del dmm0');
    else
      lines.push(
        `route del ${b.homeAgent.tunnelEndpoint}/128`,
        // The veth pair takes its routes (the tunnel's default, the decapsulation) with it.
        'link del dmm0',
        `rule del pref ${DECAP_RULE_PREF}`,
        'rule add pref 0 lookup local',
        `rule del pref ${LOCAL_RULE_PREF}`,
      );
    lines.push(...this.homes.map((h) => `address del ${h.address}/128 dev lo`));
    this.setUp = false;
    return lines;
  }

  private async kernel(lines: string[]): Promise<void> {
    await this.ctx.kernel.change(lines, /No such|Cannot find|does not exist/);
  }
}
