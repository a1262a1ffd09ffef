/**
 * Mobility options: one TLV each (RFC 6275 §6.2.1), alignment padding with Pad1/PadN so every
 * option meets its xn+y rule, and the RFC 5213 48.16 timestamp. Pure; throws only on bad input
 * to the encoder, never while decoding.
 */
import { formatAddress, parseAddress } from '../ipv6.js';
import { type AuthOption, type DecodeError, type MobilityOption, type OptionKind, MN_ID_SUBTYPE_NAI, OPTION_TYPE } from './mh-types.js';

/** Alignment requirement xn+y: the Option Type octet sits at an offset ≡ y (mod x) from the MH start (RFC 6275 §6.2). */
export interface Alignment {
  /** Modulus (1, 2, 4 or 8). */
  x: number;
  /** Remainder. */
  y: number;
}

/** Alignment applied to each option kind when the encoder lays out options; docs/protocol.md cites each. */
export const OPTION_ALIGNMENT: Readonly<Record<OptionKind, Alignment>> = {
  pad1: { x: 1, y: 0 },
  padN: { x: 1, y: 0 },
  altCoa: { x: 8, y: 6 }, // RFC 6275 §6.2.5
  mnId: { x: 1, y: 0 }, // RFC 4283 §3: none
  hnp: { x: 8, y: 4 }, // RFC 5213 §8.3
  handoff: { x: 1, y: 0 }, // RFC 5213 §8.4: none
  att: { x: 1, y: 0 }, // RFC 5213 §8.5: none
  mnLinkLayerId: { x: 2, y: 0 }, // RFC 5213 §8.6 defers to RFC 6275 natural alignment: 16-bit Reserved on 2n
  linkLocal: { x: 8, y: 6 }, // RFC 5213 §8.7
  timestamp: { x: 8, y: 2 }, // RFC 5213 §8.8
  vendor: { x: 4, y: 2 }, // RFC 5094 §3
  experimental: { x: 1, y: 0 }, // RFC 5096 §4: none stated
  auth: { x: 8, y: 1 }, // RFC 4285 §5 draws it at 4n+1; 8n+1 also makes a 39-octet option end the MH
  unknown: { x: 1, y: 0 },
};

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Octets of padding that bring `offset` to alignment `a`. */
export function padLength(offset: number, a: Alignment): number {
  return (((a.y - offset) % a.x) + a.x) % a.x;
}

/** Padding of exactly `n` octets: nothing, one Pad1, or one PadN (RFC 6275 §6.2.2-6.2.3). */
export function padding(n: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [OPTION_TYPE.PAD1];
  return [OPTION_TYPE.PADN, n - 2, ...new Array<number>(n - 2).fill(0)];
}

/** The RFC 5213 §8.8 timestamp (48-bit seconds since 1970, 16-bit 1/65536 fraction) of a Unix time in ms. */
export function timestampFromMillis(ms: number): bigint {
  let seconds = Math.floor(ms / 1000);
  let fraction = Math.round(((ms - seconds * 1000) * 65536) / 1000);
  if (fraction === 65536) {
    seconds += 1;
    fraction = 0;
  }
  return (BigInt(seconds) << 16n) | BigInt(fraction);
}

/** Unix time in ms of an RFC 5213 timestamp. */
export function timestampToMillis(value: bigint): number {
  return Number(value >> 16n) * 1000 + (Number(value & 0xffffn) * 1000) / 65536;
}

/** Type, Length and data of one option. Throws RangeError on values that do not fit the wire format. */
export function encodeOption(opt: MobilityOption): number[] {
  switch (opt.kind) {
    case 'pad1':
      return [OPTION_TYPE.PAD1];
    case 'padN':
      if (!Number.isInteger(opt.length) || opt.length < 2 || opt.length > 257) throw new RangeError(`PadN length ${opt.length} is not 2..257`);
      return padding(opt.length);
    case 'altCoa':
      return tlv(OPTION_TYPE.ALT_COA, addressBytes(opt.address));
    case 'mnId':
      return tlv(OPTION_TYPE.MN_ID, [MN_ID_SUBTYPE_NAI, ...utf8.encode(opt.id)]);
    case 'hnp': {
      const { addr, len } = splitPrefix(opt.prefix);
      return tlv(OPTION_TYPE.HNP, [0, len, ...bigintBytes(addr)]);
    }
    case 'handoff':
      return tlv(OPTION_TYPE.HANDOFF, [0, byte(opt.value, 'Handoff Indicator')]);
    case 'att':
      return tlv(OPTION_TYPE.ATT, [0, byte(opt.value, 'Access Technology Type')]);
    case 'mnLinkLayerId':
      return tlv(OPTION_TYPE.MN_LL_ID, [0, 0, ...opt.id]);
    case 'linkLocal':
      return tlv(OPTION_TYPE.LINK_LOCAL, addressBytes(opt.address));
    case 'timestamp':
      if (opt.value < 0n || opt.value >= 1n << 64n) throw new RangeError(`timestamp ${opt.value} does not fit 64 bits`);
      return tlv(OPTION_TYPE.TIMESTAMP, uintBytes(opt.value, 8));
    case 'vendor':
      return tlv(OPTION_TYPE.VENDOR, [...uintBytes(BigInt(u32(opt.vendorId, 'vendor id')), 4), byte(opt.subtype, 'vendor subtype'), ...opt.data]);
    case 'experimental':
      return tlv(OPTION_TYPE.EXPERIMENTAL, [...opt.data]);
    case 'auth':
      return tlv(OPTION_TYPE.AUTH, [byte(opt.subtype, 'auth subtype'), ...uintBytes(BigInt(u32(opt.spi, 'SPI')), 4), ...opt.authenticator]);
    case 'unknown':
      if (opt.type === OPTION_TYPE.PAD1) throw new RangeError('an unknown option cannot have type 0 (Pad1)');
      return tlv(byte(opt.type, 'option type'), [...opt.data]);
  }
}

/**
 * The options region of an MH that starts at offset `start`: each option preceded by the padding
 * it needs to meet OPTION_ALIGNMENT, Pad1/PadN already in the list written as given, and final
 * padding so that the MH ends on an 8-octet boundary (RFC 6275 §6.1.1, §6.2). A decoded message
 * keeps its padding, so an RFC-conformant MH re-encodes byte for byte; options added to it are
 * still aligned.
 */
export function encodeOptionsRegion(options: readonly MobilityOption[], start: number): number[] {
  const out: number[] = [];
  for (const o of options) {
    out.push(...padding(padLength(start + out.length, OPTION_ALIGNMENT[o.kind])));
    out.push(...encodeOption(o));
  }
  out.push(...padding(padLength(start + out.length, { x: 8, y: 0 })));
  return out;
}

/** Decodes the options in bytes[start, end); never throws. */
export function decodeOptions(bytes: Uint8Array, start: number, end: number): { ok: true; options: MobilityOption[] } | { ok: false; error: DecodeError } {
  const options: MobilityOption[] = [];
  let at = start;
  while (at < end) {
    const type = bytes[at] as number;
    if (type === OPTION_TYPE.PAD1) {
      options.push({ kind: 'pad1' });
      at += 1;
      continue;
    }
    if (at + 2 > end) return fail(`option type ${type} at offset ${at} has no Length octet`);
    const len = bytes[at + 1] as number;
    if (at + 2 + len > end) return fail(`option type ${type} at offset ${at} claims ${len} octets, only ${end - at - 2} left`);
    const data = bytes.slice(at + 2, at + 2 + len);
    const opt = decodeOption(type, data);
    if (typeof opt === 'string') return fail(`option type ${type} at offset ${at}: ${opt}`);
    options.push(opt);
    at += 2 + len;
  }
  return { ok: true, options };
}

/** One option from its Type and data, or a string saying why its length is wrong. */
function decodeOption(type: number, d: Uint8Array): MobilityOption | string {
  const need = (n: number, exact = true): string | undefined =>
    (exact ? d.length !== n : d.length < n) ? `length ${d.length}, expected ${exact ? '' : 'at least '}${n}` : undefined;
  switch (type) {
    case OPTION_TYPE.PADN:
      return { kind: 'padN', length: d.length + 2 };
    case OPTION_TYPE.ALT_COA:
      return need(16) ?? { kind: 'altCoa', address: formatAddress(readUint(d, 0, 16)) };
    case OPTION_TYPE.MN_ID: {
      if (d[0] !== MN_ID_SUBTYPE_NAI) return { kind: 'unknown', type, data: d };
      const id = utf8Decode(d.subarray(1));
      return id === undefined ? { kind: 'unknown', type, data: d } : { kind: 'mnId', id };
    }
    case OPTION_TYPE.HNP: {
      const bad = need(18);
      if (bad) return bad;
      const len = d[1] as number;
      if (len > 128) return `prefix length ${len} > 128`;
      return { kind: 'hnp', prefix: `${formatAddress(readUint(d, 2, 16))}/${len}` };
    }
    case OPTION_TYPE.HANDOFF:
      return need(2) ?? { kind: 'handoff', value: d[1] as number };
    case OPTION_TYPE.ATT:
      return need(2) ?? { kind: 'att', value: d[1] as number };
    case OPTION_TYPE.MN_LL_ID:
      return need(2, false) ?? { kind: 'mnLinkLayerId', id: d.slice(2) };
    case OPTION_TYPE.LINK_LOCAL:
      return need(16) ?? { kind: 'linkLocal', address: formatAddress(readUint(d, 0, 16)) };
    case OPTION_TYPE.TIMESTAMP:
      return need(8) ?? { kind: 'timestamp', value: readUint(d, 0, 8) };
    case OPTION_TYPE.VENDOR:
      return need(5, false) ?? { kind: 'vendor', vendorId: Number(readUint(d, 0, 4)), subtype: d[4] as number, data: d.slice(5) };
    case OPTION_TYPE.EXPERIMENTAL:
      return { kind: 'experimental', data: d };
    case OPTION_TYPE.AUTH:
      return need(5, false) ?? authOption(d);
    default:
      return { kind: 'unknown', type, data: d };
  }
}

function authOption(d: Uint8Array): AuthOption {
  return { kind: 'auth', subtype: d[0] as number, spi: Number(readUint(d, 1, 4)), authenticator: d.slice(5) };
}

function fail(detail: string): { ok: false; error: DecodeError } {
  return { ok: false, error: { reason: 'bad-option', detail } };
}

function utf8Decode(b: Uint8Array): string | undefined {
  try {
    return utf8Strict.decode(b);
  } catch {
    return undefined;
  }
}

function tlv(type: number, data: readonly number[]): number[] {
  if (data.length > 255) throw new RangeError(`option type ${type} carries ${data.length} octets, more than 255`);
  return [type, data.length, ...data];
}

function byte(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${what} ${v} is not 0..255`);
  return v;
}

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} ${v} is not 0..2^32-1`);
  return v;
}

/** Big-endian unsigned integer of `n` octets at `at`. */
export function readUint(b: Uint8Array, at: number, n: number): bigint {
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[at + i] ?? 0);
  return v;
}

/** Big-endian octets of `v`, `n` wide. */
export function uintBytes(v: bigint, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The 16 octets of an IPv6 address given as text (shared: never modify them).
 * Every message sent and received computes its checksum and authenticator
 * over both addresses, and a lab has few: they are kept, not parsed again.
 */
export function addressBytes(text: string): readonly number[] {
  const known = addressOctets.get(text);
  if (known) return known;
  const octets = bigintBytes(address(text));
  if (addressOctets.size >= ADDRESS_CACHE_MAX) addressOctets.clear();
  addressOctets.set(text, octets);
  return octets;
}

const ADDRESS_CACHE_MAX = 4096;
const addressOctets = new Map<string, number[]>();

/** parseAddress, failing with a RangeError like every other encoder check. */
function address(text: string): bigint {
  try {
    return parseAddress(text);
  } catch (e) {
    throw new RangeError((e as Error).message, { cause: e });
  }
}

function bigintBytes(v: bigint): number[] {
  return uintBytes(v, 16);
}

/** "addr/len" without masking host bits, so that what was decoded re-encodes byte for byte. */
function splitPrefix(text: string): { addr: bigint; len: number } {
  const [a, l, extra] = text.split('/');
  if (a === undefined || l === undefined || extra !== undefined || !/^\d{1,3}$/.test(l) || Number(l) > 128) {
    throw new RangeError(`not an IPv6 prefix: ${text}`);
  }
  return { addr: address(a), len: Number(l) };
}
