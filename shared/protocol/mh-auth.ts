/**
 * Message authentication in the shape of RFC 4285's Mobility Message Authentication option
 * (type 9: Subtype, Mobility SPI, Authentication Data), with HMAC-SHA256 in place of HMAC-SHA1-96.
 *
 * Covered octets, in this order:
 *   IPv6 source address (16) ‖ IPv6 destination address (16) ‖
 *   the MH from its first octet (Payload Proto) through the SPI field of the authentication option,
 *   with the MH Checksum field set to zero.
 * Authentication Data = HMAC-SHA256(key, covered octets), all 32 octets.
 * The option is the last one in the MH and ends it (the encoder places it at 8n+1), so the
 * authenticated part is everything but the checksum and the 32 authenticator octets; the Header
 * Len octet, which counts the authenticator, is covered.
 */
import { type KeyObject, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { addressBytes, decodeOptions } from './mh-options.js';
import { type MobilityOption, AUTH_DATA_LENGTH, AUTH_SUBTYPE_PEER, OPTIONS_OFFSET, PAYLOAD_PROTO_NONE } from './mh-types.js';

/** The key and SPI to sign with: encodeMessage(msg, { src, dst, auth }). */
export interface AuthKey {
  /** Mobility SPI (>= 256) that names the key. */
  spi: number;
  /** Per-lab secret key. */
  key: Uint8Array;
}

/** What verifyMessage needs besides the bytes. */
export interface VerifyContext {
  /** IPv6 source address of the datagram that carried the MH. */
  src: string;
  /** IPv6 destination address of the datagram that carried the MH. */
  dst: string;
  /** The key of an SPI, or undefined for an SPI this node does not know. */
  keyForSpi: (spi: number) => Uint8Array | undefined;
}

/** Why a message did not verify. */
export type VerifyFailure = 'malformed' | 'bad-address' | 'missing-auth' | 'auth-not-last' | 'bad-subtype' | 'unknown-spi' | 'bad-length' | 'bad-mac';

/** Result of verifyMessage; it never throws. */
export type VerifyResult = { ok: true; spi: number } | { ok: false; reason: VerifyFailure; detail: string };

/** Size of the authentication option with a full HMAC-SHA256: Type, Length, Subtype, SPI, data. */
export const AUTH_OPTION_SIZE = 2 + 1 + 4 + AUTH_DATA_LENGTH;

/** The covered octets of an MH whose authentication option starts at `authOffset`. */
export function authCoverage(mh: Uint8Array, authOffset: number, src: string, dst: string): Uint8Array {
  const head = mh.slice(0, authOffset + 7);
  head[4] = 0;
  head[5] = 0;
  const out = new Uint8Array(32 + head.length);
  out.set(addressBytes(src), 0);
  out.set(addressBytes(dst), 16);
  out.set(head, 32);
  return out;
}

/** HMAC-SHA256 of the covered octets. */
export function computeAuthenticator(key: Uint8Array, covered: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', keyObject(key)).update(covered).digest());
}

/** The key as a KeyObject, made once per key (a raw key is imported again on every HMAC). */
function keyObject(key: Uint8Array): KeyObject {
  let k = keyObjects.get(key);
  if (!k) {
    k = createSecretKey(key);
    keyObjects.set(key, k);
  }
  return k;
}

const keyObjects = new WeakMap<Uint8Array, KeyObject>();

/** Fills in the authenticator of an encoded MH whose last option is a 32-octet authentication option. */
export function signInPlace(mh: Uint8Array, key: Uint8Array, src: string, dst: string): void {
  const authOffset = mh.length - AUTH_OPTION_SIZE;
  mh.set(computeAuthenticator(key, authCoverage(mh, authOffset, src, dst)), mh.length - AUTH_DATA_LENGTH);
}

/** Checks the authentication option of an encoded MH against the key its SPI names. */
export function verifyMessage(bytes: Uint8Array, ctx: VerifyContext): VerifyResult {
  const options = optionsOf(bytes);
  if (typeof options === 'string') return failure('malformed', options);
  const auths = options.filter((o) => o.kind === 'auth');
  const last = options[options.length - 1];
  if (auths.length === 0) return failure('missing-auth', 'no authentication option');
  if (auths.length > 1 || last?.kind !== 'auth')
    return failure('auth-not-last', 'the authentication option must be the only one and the last octets of the MH');
  if (last.subtype !== AUTH_SUBTYPE_PEER) return failure('bad-subtype', `subtype ${last.subtype}, expected ${AUTH_SUBTYPE_PEER}`);
  const key = ctx.keyForSpi(last.spi);
  if (key === undefined) return failure('unknown-spi', `no key for SPI ${last.spi}`);
  if (last.authenticator.length !== AUTH_DATA_LENGTH) {
    return failure('bad-length', `authenticator of ${last.authenticator.length} octets, expected ${AUTH_DATA_LENGTH}`);
  }
  let covered: Uint8Array;
  try {
    covered = authCoverage(bytes, bytes.length - AUTH_OPTION_SIZE, ctx.src, ctx.dst);
  } catch (e) {
    return failure('bad-address', (e as Error).message);
  }
  const expected = computeAuthenticator(key, covered);
  if (!timingSafeEqual(expected, last.authenticator)) return failure('bad-mac', `authenticator does not match SPI ${last.spi}`);
  return { ok: true, spi: last.spi };
}

/** The options of an MH, or why its header does not hold together. */
function optionsOf(bytes: Uint8Array): MobilityOption[] | string {
  if (bytes.length < 8) return `${bytes.length} octets, shorter than an MH`;
  if (bytes[0] !== PAYLOAD_PROTO_NONE) return `payload proto ${bytes[0]}`;
  const total = ((bytes[1] as number) + 1) * 8;
  if (total !== bytes.length) return `header length says ${total} octets, got ${bytes.length}`;
  const start = OPTIONS_OFFSET[bytes[2] as number];
  if (start === undefined || start > total) return `MH type ${bytes[2]} is not one dmmlab speaks`;
  const r = decodeOptions(bytes, start, total);
  return r.ok ? r.options : r.error.detail;
}

function failure(reason: VerifyFailure, detail: string): VerifyResult {
  return { ok: false, reason, detail };
}
