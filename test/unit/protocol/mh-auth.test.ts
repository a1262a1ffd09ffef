import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type MhMessage,
  AUTH_OPTION_SIZE,
  BU_FLAG_BITS,
  checksumValid,
  decodeMessage,
  encodeMessage,
  makeFlags,
  verifyMessage,
  withoutPadding,
} from '../../../shared/protocol/index.js';
import { DST, SRC, TS, hex } from './mh-samples.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
const SPI = 0x1234;
const keys = new Map([
  [SPI, KEY],
  [SPI + 1, OTHER_KEY],
]);
const ctx = { src: SRC, dst: DST, keyForSpi: (spi: number) => keys.get(spi) };

const pbu: MhMessage = {
  type: 'PBU',
  sequence: 42,
  flags: makeFlags(BU_FLAG_BITS, { A: true, H: true, P: true }),
  lifetime: 600,
  options: [
    { kind: 'hnp', prefix: '2001:db8:1:8000::/64' },
    { kind: 'mnId', id: 'mn1@net1.fig1' },
    { kind: 'timestamp', value: TS },
  ],
};
const signed = encodeMessage(pbu, { src: SRC, dst: DST, auth: { spi: SPI, key: KEY } });
const authOffset = signed.length - AUTH_OPTION_SIZE;

function reason(bytes: Uint8Array, over: Partial<typeof ctx> = {}): string {
  const r = verifyMessage(bytes, { ...ctx, ...over });
  return r.ok ? 'ok' : r.reason;
}

describe('signing', () => {
  it('appends one authentication option that ends the MH, at 8n+1', () => {
    expect(authOffset % 8).toBe(1);
    expect(Array.from(signed.slice(authOffset, authOffset + 7))).toEqual([9, 37, 1, 0, 0, 0x12, 0x34]);
    const r = decodeMessage(signed);
    expect(r.ok && r.message.options.at(-1)).toMatchObject({ kind: 'auth', subtype: 1, spi: SPI });
    expect(r.ok && withoutPadding({ ...r.message, options: r.message.options.slice(0, -1) })).toEqual(pbu);
    expect(checksumValid(signed, SRC, DST)).toBe(true);
  });

  it('authenticates src ‖ dst ‖ MH through the SPI with the checksum zeroed, with full HMAC-SHA256', () => {
    const covered = Buffer.concat([
      hex('20010db8000100000000000000000001'),
      hex('20010db8000110000000000000000002'),
      Buffer.from(signed.slice(0, authOffset + 7)).fill(0, 4, 6),
    ]);
    const expected = createHmac('sha256', KEY).update(covered).digest();
    expect(Buffer.from(signed.slice(authOffset + 7))).toEqual(expected);
  });

  it.each([
    ['no src/dst', { auth: { spi: SPI, key: KEY } }, TypeError],
    ['a reserved SPI', { src: SRC, dst: DST, auth: { spi: 255, key: KEY } }, RangeError],
  ])('refuses to sign with %s', (_name, encodeCtx, error) => {
    expect(() => encodeMessage(pbu, encodeCtx)).toThrow(error);
  });

  it('refuses to sign a message that already carries an authentication option', () => {
    const r = decodeMessage(signed);
    if (!r.ok) throw new Error(r.error.detail);
    expect(() => encodeMessage(r.message, { src: SRC, dst: DST, auth: { spi: SPI, key: KEY } })).toThrow(TypeError);
  });
});

describe('verifyMessage', () => {
  it('accepts the signed message, and a decoded-then-re-encoded copy of it', () => {
    expect(verifyMessage(signed, ctx)).toEqual({ ok: true, spi: SPI });
    const r = decodeMessage(signed);
    expect(r.ok && reason(encodeMessage(r.message, { src: SRC, dst: DST }))).toBe('ok');
  });

  it('fails when any single octet of the covered region or of the authenticator is flipped', () => {
    const failures: string[] = [];
    for (let at = 0; at < signed.length; at++) {
      if (at === 4 || at === 5) continue; // the checksum is not covered (RFC 4285 zeroes it)
      const b = signed.slice();
      b[at] = (b[at] as number) ^ 0x01;
      if (reason(b) === 'ok') failures.push(`offset ${at}`);
      b[at] = (b[at] as number) ^ 0xff;
      if (reason(b) === 'ok') failures.push(`offset ${at} (inverted)`);
    }
    expect(failures).toEqual([]);
  });

  it('does not cover the checksum, which checksumValid checks instead', () => {
    const b = signed.slice();
    b[4] = (b[4] as number) ^ 0xff;
    expect(reason(b)).toBe('ok');
    expect(checksumValid(b, SRC, DST)).toBe(false);
  });

  it.each([
    ['wrong key for the SPI', { keyForSpi: (spi: number) => (spi === SPI ? OTHER_KEY : undefined) }, 'bad-mac'],
    ['SPI the receiver does not know', { keyForSpi: () => undefined }, 'unknown-spi'],
    ['wrong source address', { src: '2001:db8:1::99' }, 'bad-mac'],
    ['wrong destination address', { dst: '2001:db8:1::2' }, 'bad-mac'],
    ['src and dst swapped', { src: DST, dst: SRC }, 'bad-mac'],
    ['an unparsable address', { src: 'not-an-address' }, 'bad-address'],
  ])('fails with %s', (_name, over, expected) => {
    expect(reason(signed, over)).toBe(expected);
  });

  it('fails when the SPI field is rewritten to another known SPI', () => {
    const b = signed.slice();
    b[authOffset + 6] = 0x35; // SPI 0x1235, which has OTHER_KEY
    expect(reason(b)).toBe('bad-mac');
  });

  it('fails with a message signed by another key', () => {
    const forged = encodeMessage(pbu, { src: SRC, dst: DST, auth: { spi: SPI, key: OTHER_KEY } });
    expect(reason(forged)).toBe('bad-mac');
  });

  it('fails when the authentication option is not last', () => {
    const r = decodeMessage(signed);
    if (!r.ok) throw new Error(r.error.detail);
    const opts = withoutPadding(r.message).options;
    const moved = { ...r.message, options: [opts.at(-1)!, ...opts.slice(0, -1)] };
    expect(reason(encodeMessage(moved, { src: SRC, dst: DST }))).toBe('auth-not-last');

    // Padding after it is not allowed either: the option must end the MH.
    const padded = Uint8Array.from([...signed, 1, 6, 0, 0, 0, 0, 0, 0]);
    padded[1] = (padded[1] as number) + 1;
    expect(decodeMessage(padded).ok).toBe(true);
    expect(reason(padded)).toBe('auth-not-last');
  });

  it.each([
    ['no authentication option', encodeMessage(pbu, { src: SRC, dst: DST }), 'missing-auth'],
    [
      'two authentication options',
      encodeMessage({
        ...pbu,
        options: [
          { kind: 'auth', subtype: 1, spi: SPI, authenticator: new Uint8Array(32) },
          ...pbu.options,
          { kind: 'auth', subtype: 1, spi: SPI, authenticator: new Uint8Array(32) },
        ],
      }),
      'auth-not-last',
    ],
    [
      'a 16-octet authenticator',
      encodeMessage({ ...pbu, options: [...pbu.options, { kind: 'auth', subtype: 1, spi: SPI, authenticator: new Uint8Array(16) }] }),
      'bad-length',
    ],
    [
      'another subtype',
      encodeMessage({ ...pbu, options: [...pbu.options, { kind: 'auth', subtype: 2, spi: SPI, authenticator: new Uint8Array(32) }] }),
      'bad-subtype',
    ],
    ['a truncated message', signed.slice(0, signed.length - 8), 'malformed'],
  ] as Array<[string, Uint8Array, string]>)('fails with %s', (_name, bytes, expected) => {
    expect(reason(bytes)).toBe(expected);
  });
});
