/**
 * Encoding and decoding of whole Mobility Header messages (RFC 6275 §6.1.1 layout): the 6-octet
 * header, each message's fixed fields, the options, the RFC 6275 checksum and, on request, the
 * authentication option (mh-auth.ts). decodeMessage never throws.
 */
import { type AuthKey, signInPlace } from './mh-auth.js';
import { addressBytes, decodeOptions, encodeOptionsRegion, readUint } from './mh-options.js';
import {
  type BrFlags,
  type DecodeError,
  type DecodeResult,
  type MhMessage,
  type MobilityOption,
  AUTH_DATA_LENGTH,
  AUTH_MIN_SPI,
  AUTH_SUBTYPE_PEER,
  BA_FLAG_BITS,
  BR_FLAG_BITS,
  BR_TYPE,
  BU_FLAG_BITS,
  HACK_FLAG_BITS,
  HI_FLAG_BITS,
  IPPROTO_MH,
  LRA_FLAG_BITS,
  MH_TYPE,
  MH_TYPE_OF,
  OPTIONS_OFFSET,
  PAYLOAD_PROTO_NONE,
} from './mh-types.js';

/** Where the message goes and whether to sign it. */
export interface EncodeContext {
  /** IPv6 source address; with dst, the checksum is computed (else left 0). */
  src?: string;
  /** IPv6 destination address. */
  dst?: string;
  /** Sign with this SPI and key: appends the authentication option (needs src and dst). */
  auth?: AuthKey;
}

/** Largest MH: Header Len is one octet counting 8-octet units beyond the first 8. */
export const MAX_MH_LENGTH = 256 * 8;

/** The wire octets of a message. Throws RangeError/TypeError on values that do not fit. */
export function encodeMessage(msg: MhMessage, ctx: EncodeContext = {}): Uint8Array {
  const head = [PAYLOAD_PROTO_NONE, 0, MH_TYPE_OF[msg.type], 0, 0, 0, ...fixedFields(msg)];
  const options = ctx.auth === undefined ? msg.options : [...msg.options, signingOption(msg, ctx)];
  const bytes = Uint8Array.from([...head, ...encodeOptionsRegion(options, head.length)]);
  if (bytes.length > MAX_MH_LENGTH) throw new RangeError(`${msg.type} is ${bytes.length} octets, more than ${MAX_MH_LENGTH}`);
  bytes[1] = bytes.length / 8 - 1;
  if (ctx.auth !== undefined) signInPlace(bytes, ctx.auth.key, ctx.src as string, ctx.dst as string);
  if (ctx.src !== undefined && ctx.dst !== undefined) setChecksum(bytes, mhChecksum(bytes, ctx.src, ctx.dst));
  return bytes;
}

/** The message in `bytes` (exactly one MH, as a UDP/5436 payload carries it), or why not. */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  if (bytes.length < 8) return fail('truncated', `${bytes.length} octets, an MH has at least 8`);
  if (bytes[0] !== PAYLOAD_PROTO_NONE) return fail('bad-payload-proto', `payload proto ${bytes[0]}, expected ${PAYLOAD_PROTO_NONE}`);
  const total = ((bytes[1] as number) + 1) * 8;
  if (bytes.length < total) return fail('truncated', `header length says ${total} octets, got ${bytes.length}`);
  if (bytes.length > total) return fail('bad-length', `header length says ${total} octets, got ${bytes.length}`);
  const type = bytes[2] as number;
  const start = OPTIONS_OFFSET[type];
  if (start === undefined) return fail('unknown-type', `MH type ${type}`);
  if (start > total) return fail('bad-length', `MH type ${type} needs ${start} octets before its options, header length says ${total}`);
  const opts = decodeOptions(bytes, start, total);
  if (!opts.ok) return { ok: false, error: opts.error };
  const message = fixedFieldsOf(type, bytes, opts.options);
  if ('reason' in message) return { ok: false, error: message };
  return { ok: true, message, checksum: u16(bytes, 4) };
}

/** RFC 6275 §6.1.1 checksum: one's complement sum over the RFC 2460 pseudo-header (next header 135) and the MH with its checksum zeroed. */
export function mhChecksum(mh: Uint8Array, src: string, dst: string): number {
  // Pseudo-header (RFC 2460 8.1): addresses, upper-layer length (32 bits), three zero octets, next header.
  let sum = sum16(addressBytes(src), 0);
  sum = sum16(addressBytes(dst), sum);
  sum += (mh.length >>> 16) + (mh.length & 0xffff) + IPPROTO_MH;
  // The MH with its Checksum field (octets 4 and 5) taken as zero.
  for (let i = 0; i < mh.length; i += 2) {
    if (i === 4) continue;
    sum += ((mh[i] as number) << 8) | (mh[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Whether the Checksum field of an encoded MH is right for these addresses. */
export function checksumValid(mh: Uint8Array, src: string, dst: string): boolean {
  return mh.length >= 6 && u16(mh, 4) === mhChecksum(mh, src, dst);
}

/** The message without Pad1/PadN options, as the encoder's automatic layout expects it. */
export function withoutPadding<M extends MhMessage>(msg: M): M {
  return { ...msg, options: msg.options.filter((o) => o.kind !== 'pad1' && o.kind !== 'padN') };
}

function signingOption(msg: MhMessage, ctx: EncodeContext): MobilityOption {
  const auth = ctx.auth as AuthKey;
  if (ctx.src === undefined || ctx.dst === undefined) throw new TypeError('signing needs the src and dst addresses the authenticator covers');
  if (msg.options.some((o) => o.kind === 'auth')) throw new TypeError(`${msg.type} already carries an authentication option`);
  if (!Number.isInteger(auth.spi) || auth.spi < AUTH_MIN_SPI || auth.spi > 0xffffffff) throw new RangeError(`SPI ${auth.spi} is not ${AUTH_MIN_SPI}..2^32-1`);
  return { kind: 'auth', subtype: AUTH_SUBTYPE_PEER, spi: auth.spi, authenticator: new Uint8Array(AUTH_DATA_LENGTH) };
}

/** The octets between the Checksum and the options. */
function fixedFields(msg: MhMessage): number[] {
  const seq = u16Bytes(msg.sequence, 'sequence number');
  switch (msg.type) {
    case 'PBU':
      return [...seq, ...u16Bytes(flagBits(msg.flags, BU_FLAG_BITS), 'flags'), ...u16Bytes(units4(msg.lifetime), 'lifetime')];
    case 'PBA':
      return [u8(msg.status, 'status'), flagBits(msg.flags, BA_FLAG_BITS), ...seq, ...u16Bytes(units4(msg.lifetime), 'lifetime')];
    case 'HI':
      return [...seq, flagBits(msg.flags, HI_FLAG_BITS), u8(msg.code, 'code')];
    case 'HAck':
      return [...seq, flagBits(msg.flags, HACK_FLAG_BITS), u8(msg.code, 'code')];
    case 'BRI':
      return [BR_TYPE.INDICATION, u8(msg.trigger, 'revocation trigger'), ...seq, ...u16Bytes(flagBits(msg.flags, BR_FLAG_BITS), 'flags')];
    case 'BRA':
      return [BR_TYPE.ACKNOWLEDGEMENT, u8(msg.status, 'status'), ...seq, ...u16Bytes(flagBits(msg.flags, BR_FLAG_BITS), 'flags')];
    case 'LRI':
      return [...seq, 0, 0, ...u16Bytes(msg.lifetime, 'lifetime')];
    case 'LRA':
      return [...seq, flagBits(msg.flags, LRA_FLAG_BITS), u8(msg.status, 'status'), ...u16Bytes(msg.lifetime, 'lifetime')];
    case 'EXP':
      return [u8(msg.subtype, 'subtype'), u8(msg.status, 'status'), ...seq, ...u16Bytes(units4(msg.lifetime), 'lifetime')];
  }
}

/** The message of MH type `type` from its fixed fields, or a decode error. */
function fixedFieldsOf(type: number, b: Uint8Array, options: MobilityOption[]): MhMessage | DecodeError {
  switch (type) {
    case MH_TYPE.BU:
      return { type: 'PBU', sequence: u16(b, 6), flags: flagsOf(u16(b, 8), BU_FLAG_BITS), lifetime: u16(b, 10) * 4, options };
    case MH_TYPE.BA:
      return { type: 'PBA', status: b[6] as number, flags: flagsOf(b[7] as number, BA_FLAG_BITS), sequence: u16(b, 8), lifetime: u16(b, 10) * 4, options };
    case MH_TYPE.HI:
      return { type: 'HI', sequence: u16(b, 6), flags: flagsOf(b[8] as number, HI_FLAG_BITS), code: b[9] as number, options };
    case MH_TYPE.HACK:
      return { type: 'HAck', sequence: u16(b, 6), flags: flagsOf(b[8] as number, HACK_FLAG_BITS), code: b[9] as number, options };
    case MH_TYPE.BINDING_REVOCATION:
      return revocationOf(b, options);
    case MH_TYPE.LRI:
      return { type: 'LRI', sequence: u16(b, 6), lifetime: u16(b, 10), options };
    case MH_TYPE.LRA:
      return { type: 'LRA', sequence: u16(b, 6), flags: flagsOf(b[8] as number, LRA_FLAG_BITS), status: b[9] as number, lifetime: u16(b, 10), options };
    case MH_TYPE.EXPERIMENTAL:
      return { type: 'EXP', subtype: b[6] as number, status: b[7] as number, sequence: u16(b, 8), lifetime: u16(b, 10) * 4, options };
    default:
      return { reason: 'unknown-type', detail: `MH type ${type}` };
  }
}

function revocationOf(b: Uint8Array, options: MobilityOption[]): MhMessage | DecodeError {
  const flags: BrFlags = flagsOf(u16(b, 10), BR_FLAG_BITS);
  if (b[6] === BR_TYPE.INDICATION) return { type: 'BRI', trigger: b[7] as number, sequence: u16(b, 8), flags, options };
  if (b[6] === BR_TYPE.ACKNOWLEDGEMENT) return { type: 'BRA', status: b[7] as number, sequence: u16(b, 8), flags, options };
  return { reason: 'unknown-type', detail: `Binding Revocation B.R. Type ${b[6]}` };
}

/** Seconds to the 4-second units of BU/BA lifetimes (RFC 6275 §6.1.7), rounded up so a lifetime is never cut short. */
function units4(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`lifetime ${seconds} s is not a non-negative number`);
  return Math.ceil(seconds / 4);
}

function flagBits<K extends string>(flags: Record<K, boolean>, bits: Readonly<Record<K, number>>): number {
  let v = 0;
  for (const k of Object.keys(bits) as K[]) if (flags[k]) v |= bits[k];
  return v;
}

function flagsOf<K extends string>(v: number, bits: Readonly<Record<K, number>>): Record<K, boolean> {
  const out = {} as Record<K, boolean>;
  for (const k of Object.keys(bits) as K[]) out[k] = (v & bits[k]) !== 0;
  return out;
}

function u8(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${what} ${v} is not 0..255`);
  return v;
}

function u16Bytes(v: number, what: string): number[] {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} ${v} is not 0..65535`);
  return [v >> 8, v & 0xff];
}

function u16(b: Uint8Array, at: number): number {
  return Number(readUint(b, at, 2));
}

function setChecksum(b: Uint8Array, v: number): void {
  b[4] = v >> 8;
  b[5] = v & 0xff;
}

function sum16(bytes: readonly number[], start: number): number {
  let sum = start;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function fail(reason: DecodeError['reason'], detail: string): DecodeResult {
  return { ok: false, error: { reason, detail } };
}
