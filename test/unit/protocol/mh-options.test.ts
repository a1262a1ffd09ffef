import { describe, expect, it } from 'vitest';
import {
  type MobilityOption,
  decodeOptions,
  encodeOption,
  encodeOptionsRegion,
  padLength,
  padding,
  timestampFromMillis,
  timestampToMillis,
} from '../../../shared/protocol/index.js';
import { hex } from './mh-samples.js';

describe('option TLVs (layouts from the RFC figures)', () => {
  it.each<[string, MobilityOption, string]>([
    ['Pad1 (RFC 6275 §6.2.2)', { kind: 'pad1' }, '00'],
    ['PadN of 4 (RFC 6275 §6.2.3)', { kind: 'padN', length: 4 }, '01 02 00 00'],
    ['Alternate CoA (RFC 6275 §6.2.5)', { kind: 'altCoa', address: '2001:db8:2::1' }, '03 10 20010db8000200000000000000000001'],
    ['MN-ID NAI (RFC 4283 §3)', { kind: 'mnId', id: 'mn@x' }, '08 05 01 6d6e4078'],
    ['HNP (RFC 5213 §8.3)', { kind: 'hnp', prefix: '2001:db8:1:8000::/64' }, '16 12 00 40 20010db8000180000000000000000000'],
    ['Handoff Indicator (RFC 5213 §8.4)', { kind: 'handoff', value: 3 }, '17 02 00 03'],
    ['Access Technology Type (RFC 5213 §8.5)', { kind: 'att', value: 4 }, '18 02 00 04'],
    ['MN Link-layer ID (RFC 5213 §8.6)', { kind: 'mnLinkLayerId', id: hex('02005e005301') }, '19 08 0000 02005e005301'],
    ['Link-local Address (RFC 5213 §8.7)', { kind: 'linkLocal', address: 'fe80::1' }, '1a 10 fe800000000000000000000000000001'],
    ['Timestamp (RFC 5213 §8.8)', { kind: 'timestamp', value: 0x0000_6553_f100_8000n }, '1b 08 00006553f1008000'],
    ['Vendor-Specific (RFC 5094 §3)', { kind: 'vendor', vendorId: 32473, subtype: 2, data: hex('abcd') }, '13 07 00007ed9 02 abcd'],
    ['Experimental (RFC 5096 §4)', { kind: 'experimental', data: hex('0102') }, '12 02 0102'],
    ['Authentication (RFC 4285 §5)', { kind: 'auth', subtype: 1, spi: 256, authenticator: hex('aabb') }, '09 07 01 00000100 aabb'],
    ['unknown type', { kind: 'unknown', type: 0xc8, data: hex('010203') }, 'c8 03 010203'],
  ])('%s', (_name, opt, wire) => {
    const bytes = hex(wire);
    expect(Uint8Array.from(encodeOption(opt))).toEqual(bytes);
    const r = decodeOptions(bytes, 0, bytes.length);
    expect(r.ok && r.options).toEqual([opt]);
  });

  it('keeps host bits of a Home Network Prefix so that it re-encodes byte for byte', () => {
    const bytes = hex('16 12 00 40 20010db8000180000000000000000001');
    const r = decodeOptions(bytes, 0, bytes.length);
    expect(r.ok && r.options).toEqual([{ kind: 'hnp', prefix: '2001:db8:1:8000::1/64' }]);
  });
});

describe('padding', () => {
  it.each([
    [12, 8, 4, 0],
    [12, 8, 2, 6],
    [13, 8, 2, 5],
    [18, 8, 6, 4],
    [3, 4, 2, 3],
    [7, 1, 0, 0],
  ])('at offset %d, alignment %dn+%d needs %d octets', (offset, x, y, n) => {
    expect(padLength(offset, { x, y })).toBe(n);
  });

  it.each([
    [0, ''],
    [1, '00'],
    [2, '01 00'],
    [7, '01 05 00 00 00 00 00'],
  ])('%d octets of padding are %s', (n, wire) => {
    expect(Uint8Array.from(padding(n))).toEqual(hex(wire));
  });

  it('pads before a Timestamp to 8n+2 and after the last option to an 8-octet boundary', () => {
    const region = encodeOptionsRegion([{ kind: 'timestamp', value: 1n }], 12);
    expect(Uint8Array.from(region)).toEqual(hex('01 04 00 00 00 00  1b 08 0000000000000001  01 02 00 00'));
  });
});

describe('RFC 5213 timestamps (48.16 fixed point)', () => {
  it.each([
    [0, 0n],
    [1000, 1n << 16n],
    [1_700_000_000_500, (1_700_000_000n << 16n) | 0x8000n],
    [1_700_000_000_250, (1_700_000_000n << 16n) | 0x4000n],
  ])('%d ms is %s', (ms, value) => {
    expect(timestampFromMillis(ms)).toBe(value);
    expect(timestampToMillis(value)).toBe(ms);
  });

  it('carries a fraction that rounds up to a whole second', () => {
    expect(timestampFromMillis(1999.9999)).toBe(2n << 16n);
  });
});
