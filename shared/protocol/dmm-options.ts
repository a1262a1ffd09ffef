import { DMMLAB_VENDOR_ID, EXP_SUBTYPE, type MhMessage, type MobilityOption } from './index.js';
import { formatAddress } from '../ipv6.js';
import { addressBytes } from './mh-options.js';

/**
 * dmmlab's vendor-specific mobility options (RFC 5094, vendor id 32473, the
 * documentation PEN of RFC 5612). They say what a standard message is for
 * where one node plays several roles, and carry what no standard option does.
 */
export const VENDOR_SUBTYPE = {
  /** 1 octet: what a PBU/PBA is for (see PURPOSE). */
  PURPOSE: 1,
  /** 16 octets: the mobile node's previous serving MR (PBA from its realm LM). */
  PREVIOUS_MR: 2,
} as const;

/** What a PBU is for. */
export const PURPOSE = {
  /** MR → HAA: allocate, renew (lifetime > 0) or release (lifetime 0) a home network prefix. */
  HAA_ALLOCATION: 1,
  /** MR → LM: register (or with lifetime 0 remove) the routing location of a mobile node's prefixes. */
  LOCATION_UPDATE: 2,
  /** serving MR → anchoring MR: the prefix's mobile node is served here now (PMIPv6's MAG → LMA binding). */
  ANCHOR_BINDING: 3,
  /** MN → its access router (client-based mode): attach, or release a prefix (lifetime 0). */
  CLIENT_UPDATE: 4,
  /**
   * MN → its home agent (Mobile IPv6, RFC 6275 11.7.1): a home registration binding the node's home
   * prefix to the care-of address in the Alternate Care-of Address option (lifetime 0: back home).
   */
  HOME_REGISTRATION: 5,
  /**
   * Migrating home agents (Chan framework figure 6): a home agent → its network's LM (PBU), that LM →
   * the LM replicas of the other networks (PBU), and each LM → its network's home agents (LRI): the
   * binding of a mobile node's home prefixes to the care-of address in the Alternate Care-of Address
   * option, so that every home agent holds it (lifetime 0: the node is home).
   */
  HOME_SYNC: 6,
} as const;
export type Purpose = (typeof PURPOSE)[keyof typeof PURPOSE];

export function purposeOption(p: Purpose): MobilityOption {
  return { kind: 'vendor', vendorId: DMMLAB_VENDOR_ID, subtype: VENDOR_SUBTYPE.PURPOSE, data: Uint8Array.of(p) };
}

export function previousMrOption(address: string): MobilityOption {
  return { kind: 'vendor', vendorId: DMMLAB_VENDOR_ID, subtype: VENDOR_SUBTYPE.PREVIOUS_MR, data: Uint8Array.from(addressBytes(address)) };
}

function vendor(msg: MhMessage, subtype: number): Uint8Array | undefined {
  for (const o of msg.options) if (o.kind === 'vendor' && o.vendorId === DMMLAB_VENDOR_ID && o.subtype === subtype) return o.data;
  return undefined;
}

export function purposeOf(msg: MhMessage): Purpose | undefined {
  const d = vendor(msg, VENDOR_SUBTYPE.PURPOSE);
  return d && d.length === 1 ? (d[0] as Purpose) : undefined;
}

export function previousMrOf(msg: MhMessage): string | undefined {
  const d = vendor(msg, VENDOR_SUBTYPE.PREVIOUS_MR);
  if (!d || d.length !== 16) return undefined;
  return formatAddress(d.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n));
}

export function hnpsOf(msg: MhMessage): string[] {
  return msg.options.flatMap((o) => (o.kind === 'hnp' && !o.prefix.startsWith('::/') ? [o.prefix] : []));
}

export function mnIdOf(msg: MhMessage): string | undefined {
  for (const o of msg.options) if (o.kind === 'mnId') return o.id;
  return undefined;
}

export function altCoaOf(msg: MhMessage): string | undefined {
  for (const o of msg.options) if (o.kind === 'altCoa') return o.address;
  return undefined;
}

export function handoffOf(msg: MhMessage): number | undefined {
  for (const o of msg.options) if (o.kind === 'handoff') return o.value;
  return undefined;
}

export const hnp = (prefix: string): MobilityOption => ({ kind: 'hnp', prefix });
export const mnId = (id: string): MobilityOption => ({ kind: 'mnId', id });
export const altCoa = (address: string): MobilityOption => ({ kind: 'altCoa', address });
export const handoff = (value: number): MobilityOption => ({ kind: 'handoff', value });

/** The PBA an LM (or an LM proxy) answers a location update with. */
export function locationAck(m: MhMessage, id: string | undefined, status: number, options: MobilityOption[] = [], lifetime = 0): MhMessage {
  return {
    type: 'PBA',
    sequence: m.sequence,
    status,
    flags: pbaFlags(),
    lifetime,
    options: [purposeOption(PURPOSE.LOCATION_UPDATE), ...(id ? [mnId(id)] : []), ...options],
  };
}

/** An LM location query (LMQ, Experimental MH) for a prefix. */
export function locationQuery(prefix: string): MhMessage {
  return { type: 'EXP', sequence: 0, subtype: EXP_SUBTYPE.LM_LOCATION_QUERY, status: 0, lifetime: 0, options: [hnp(prefix)] };
}

/** The LM location reply (LMR) to `m`: where the prefix's node is, or status 128 when unknown. */
export function locationReply(m: MhMessage, prefix: string | undefined, found?: { location: string; mnId: string; lifetimeS: number }): MhMessage {
  return {
    type: 'EXP',
    sequence: m.sequence,
    subtype: EXP_SUBTYPE.LM_LOCATION_REPLY,
    status: found ? 0 : 128,
    lifetime: found ? Math.max(0, Math.round(found.lifetimeS)) : 0,
    options: [...(prefix ? [hnp(prefix)] : []), ...(found ? [altCoa(found.location), mnId(found.mnId)] : [])],
  };
}

/** PBA flags: P for proxy registrations (answers to MRs), clear for a mobile node's own update. */
export function pbaFlags(proxy = true) {
  return { K: false, R: false, P: proxy, T: false, B: false, S: false, D: false };
}

/** PBU flags: A set; P for proxy registrations (MR to MR/LM/HAA), clear for a mobile node's own update. */
export function pbuFlags(proxy = true) {
  return { A: true, H: false, L: false, K: false, M: false, R: false, P: proxy, F: false, T: false, B: false, S: false, D: false };
}

/** A proxy binding update for `purpose` naming the node and its prefixes (optionally a Handoff Indicator). */
export function proxyPbu(purpose: Purpose, id: string, prefixes: string[], lifetime: number, handoffValue?: number): MhMessage {
  return {
    type: 'PBU',
    sequence: 0,
    flags: pbuFlags(),
    lifetime,
    options: [purposeOption(purpose), mnId(id), ...prefixes.map(hnp), ...(handoffValue !== undefined ? [handoff(handoffValue)] : [])],
  };
}

/**
 * A Mobile IPv6 home registration (RFC 6275 11.7.1): the node's Binding Update to its home agent, H
 * set and P clear, binding its home prefixes to `careOf` (the Alternate Care-of Address option; the
 * UDP carriage has no Home Address destination option). Lifetime 0 deregisters (the node is home).
 */
/** The LRA answering an LRI (RFC 6705), naming its prefixes, with a purpose option when the LRI had one. */
export function localizedRoutingAck(m: MhMessage & { type: 'LRI' }, status: number, prefixes: string[], purpose?: Purpose): MhMessage {
  return {
    type: 'LRA',
    sequence: m.sequence,
    flags: { U: false },
    status,
    lifetime: m.lifetime,
    options: [...(purpose === undefined ? [] : [purposeOption(purpose)]), ...prefixes.map(hnp)],
  };
}

/** A migrating home agents' synchronisation message (PURPOSE.HOME_SYNC): PBU between LMs and towards one, LRI to a home agent. */
export function homeSync(type: 'PBU' | 'LRI', id: string, prefixes: string[], careOf: string, lifetime: number): MhMessage {
  const options = [purposeOption(PURPOSE.HOME_SYNC), mnId(id), ...prefixes.map(hnp), altCoa(careOf)];
  return type === 'PBU' ? { type, sequence: 0, flags: pbuFlags(), lifetime, options } : { type, sequence: 0, lifetime, options };
}

/**
 * HMIPv6 (RFC 5380 6.1): a MAP registration, the regional care-of address (as a /128 home network
 * prefix) bound to the on-link one (Alternate CoA); M set, H clear (purpose 5, as a home registration).
 */
export function mapRegistration(id: string, regional: string, onLink: string, lifetime: number): MhMessage {
  return {
    type: 'PBU',
    sequence: 0,
    flags: { ...pbuFlags(false), M: true },
    lifetime,
    options: [purposeOption(PURPOSE.HOME_REGISTRATION), mnId(id), hnp(`${regional}/128`), altCoa(onLink)],
  };
}

export function homeRegistration(id: string, prefixes: string[], careOf: string, lifetime: number): MhMessage {
  return {
    type: 'PBU',
    sequence: 0,
    flags: { ...pbuFlags(false), H: true },
    lifetime,
    options: [purposeOption(PURPOSE.HOME_REGISTRATION), mnId(id), ...prefixes.map(hnp), altCoa(careOf)],
  };
}
