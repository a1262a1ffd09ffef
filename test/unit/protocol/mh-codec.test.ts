import { describe, expect, it } from 'vitest';
import {
  type MhMessage,
  BA_FLAG_BITS,
  BU_FLAG_BITS,
  OPTIONS_OFFSET,
  checksumValid,
  decodeMessage,
  encodeMessage,
  makeFlags,
  mhChecksum,
  withoutPadding,
} from '../../../shared/protocol/index.js';
import { DST, SAMPLES, SRC, hex, optionOffsets } from './mh-samples.js';

/** Alignment (x, y) of each option type, written down from the RFCs (not imported from the codec). */
const RFC_ALIGNMENT: Record<number, [number, number]> = {
  3: [8, 6], // Alternate CoA, RFC 6275 §6.2.5
  9: [8, 1], // auth: RFC 4285 4n+1, placed at 8n+1 so it ends the MH
  19: [4, 2], // Vendor-Specific, RFC 5094 §3
  22: [8, 4], // HNP, RFC 5213 §8.3
  25: [2, 0], // MN Link-layer ID, RFC 5213 §8.6 (natural alignment)
  26: [8, 6], // Link-local Address, RFC 5213 §8.7
  27: [8, 2], // Timestamp, RFC 5213 §8.8
};

function decoded(bytes: Uint8Array): MhMessage {
  const r = decodeMessage(bytes);
  if (!r.ok) throw new Error(`${r.error.reason}: ${r.error.detail}`);
  return r.message;
}

describe('MH codec round trip', () => {
  it.each(SAMPLES)('%s: decode(encode(m)) equals m, encode(decode(bytes)) equals bytes', (_name, msg) => {
    const bytes = encodeMessage(msg, { src: SRC, dst: DST });
    expect(withoutPadding(decoded(bytes))).toEqual(msg);
    expect(encodeMessage(decoded(bytes), { src: SRC, dst: DST })).toEqual(bytes);
    expect(checksumValid(bytes, SRC, DST)).toBe(true);
  });

  it.each(SAMPLES)('%s: header fields and option alignment follow RFC 6275 §6.1.1 and §6.2', (_name, msg) => {
    const bytes = encodeMessage(msg);
    expect(bytes.length % 8).toBe(0);
    expect(bytes[0]).toBe(59);
    expect(bytes[1]).toBe(bytes.length / 8 - 1);
    expect([bytes[4], bytes[5]]).toEqual([0, 0]); // no addresses: checksum left 0
    for (const opt of optionOffsets(bytes, OPTIONS_OFFSET[bytes[2] as number] as number)) {
      const rule = RFC_ALIGNMENT[opt.type];
      if (rule) expect(opt.offset % rule[0], `option ${opt.type} at ${opt.offset}`).toBe(rule[1]);
    }
  });
});

describe('hand-written vectors (RFC layouts, not produced by the encoder)', () => {
  // PBU (RFC 5213 §8.1): seq 7, A|H|P, lifetime 150 units; HNP at offset 12 (8n+4), then MN-ID.
  const pbu = hex(`
    3b 05 05 00  00 00 00 07  c2 00 00 96
    16 12 00 40  20 01 0d b8  00 01 80 00  00 00 00 00  00 00 00 00
    08 0e 01 6d  6e 31 40 6e  65 74 31 2e  66 69 67 31`);
  const pbuMessage: MhMessage = {
    type: 'PBU',
    sequence: 7,
    flags: makeFlags(BU_FLAG_BITS, { A: true, H: true, P: true }),
    lifetime: 600,
    options: [
      { kind: 'hnp', prefix: '2001:db8:1:8000::/64' },
      { kind: 'mnId', id: 'mn1@net1.fig1' },
    ],
  };
  // PBA (RFC 5213 §8.2): status 0, P, seq 7; PadN(6) puts the Timestamp at 18 (8n+2), PadN(4) ends at 32.
  const pba = hex(`
    3b 03 06 00  00 00 00 20  00 07 00 96
    01 04 00 00  00 00
    1b 08 00 00  65 53 f1 00  80 00
    01 02 00 00`);
  const pbaMessage: MhMessage = {
    type: 'PBA',
    status: 0,
    flags: makeFlags(BA_FLAG_BITS, { P: true }),
    sequence: 7,
    lifetime: 600,
    options: [{ kind: 'timestamp', value: (1_700_000_000n << 16n) | 0x8000n }],
  };

  it.each([
    ['PBU with HNP and MN-ID', pbu, pbuMessage],
    ['PBA with Timestamp and PadN', pba, pbaMessage],
  ] as const)('%s decodes to the message and the encoder reproduces it', (_name, bytes, msg) => {
    expect(withoutPadding(decoded(bytes))).toEqual(msg);
    expect(encodeMessage(msg)).toEqual(bytes);
    expect(encodeMessage(decoded(bytes))).toEqual(bytes);
  });

  it('computes the RFC 6275 checksum (value from an independent RFC 1071 computation)', () => {
    expect(mhChecksum(pbu, '2001:db8::1', '2001:db8::2')).toBe(0xc0cb);
    const withSum = encodeMessage(pbuMessage, { src: '2001:db8::1', dst: '2001:db8::2' });
    expect([withSum[4], withSum[5]]).toEqual([0xc0, 0xcb]);
    expect(checksumValid(withSum, '2001:db8::1', '2001:db8::2')).toBe(true);
    expect(checksumValid(withSum, '2001:db8::1', '2001:db8::3')).toBe(false);
  });
});

describe('lifetimes', () => {
  it.each([
    [0, 0],
    [1, 4],
    [4, 4],
    [5, 8],
    [600, 600],
    [262140, 262140],
  ])('BU lifetime %d s goes on the wire as %d s (4 s units, rounded up)', (seconds, wire) => {
    const bytes = encodeMessage({ type: 'PBU', sequence: 1, flags: makeFlags(BU_FLAG_BITS), lifetime: seconds, options: [] });
    expect(((bytes[10] as number) << 8) | (bytes[11] as number)).toBe(wire / 4);
    expect(decoded(bytes)).toMatchObject({ lifetime: wire });
  });

  it('LRI lifetime is in seconds (RFC 6705 §10.1)', () => {
    const bytes = encodeMessage({ type: 'LRI', sequence: 1, lifetime: 300, options: [] });
    expect(((bytes[10] as number) << 8) | (bytes[11] as number)).toBe(300);
  });
});

describe('encoder refuses values that do not fit', () => {
  const bu = (over: Partial<Extract<MhMessage, { type: 'PBU' }>>): MhMessage => ({
    type: 'PBU',
    sequence: 1,
    flags: makeFlags(BU_FLAG_BITS),
    lifetime: 4,
    options: [],
    ...over,
  });
  it.each([
    ['sequence above 16 bits', bu({ sequence: 65536 })],
    ['negative sequence', bu({ sequence: -1 })],
    ['lifetime above 65535 units', bu({ lifetime: 262141 })],
    ['negative lifetime', bu({ lifetime: -4 })],
    ['prefix length 129', bu({ options: [{ kind: 'hnp', prefix: '2001:db8::/129' }] })],
    ['not an address', bu({ options: [{ kind: 'altCoa', address: 'nope' }] })],
    ['MN-ID longer than an option', bu({ options: [{ kind: 'mnId', id: 'x'.repeat(255) }] })],
    ['message longer than 2048 octets', bu({ options: Array.from({ length: 9 }, () => ({ kind: 'experimental' as const, data: new Uint8Array(250) })) })],
  ])('%s', (_name, msg) => {
    expect(() => encodeMessage(msg)).toThrow(RangeError);
  });
});

describe('decoder reports what is wrong', () => {
  const ok = encodeMessage({ type: 'PBU', sequence: 1, flags: makeFlags(BU_FLAG_BITS), lifetime: 4, options: [] });
  const patched = (edits: Record<number, number>, base = ok): Uint8Array => {
    const b = base.slice();
    for (const [at, v] of Object.entries(edits)) b[Number(at)] = v;
    return b;
  };
  it.each([
    ['empty', new Uint8Array(0), 'truncated'],
    ['shorter than 8 octets', ok.slice(0, 7), 'truncated'],
    ['shorter than Header Len says', ok.slice(0, 8), 'truncated'],
    ['longer than Header Len says', Uint8Array.from([...ok, 0, 0, 0, 0, 0, 0, 0, 0]), 'bad-length'],
    ['payload proto not 59', patched({ 0: 6 }), 'bad-payload-proto'],
    ['unknown MH type', patched({ 2: 99 }), 'unknown-type'],
    ['BU too short for its fields', hex('3b 00 05 00 00 00 00 01'), 'bad-length'],
    ['B.R. Type 3', hex('3b 01 10 00 00 00 03 00 00 01 80 00 01 02 00 00'), 'unknown-type'],
    ['option runs past the end', patched({ 12: 22, 13: 18 }), 'bad-option'],
    ['HNP with length 2', patched({ 12: 22, 13: 2 }), 'bad-option'],
    ['Timestamp with length 2', patched({ 12: 27, 13: 2 }), 'bad-option'],
    ['HNP prefix length 129', hex('3b 03 05 00 00 00 00 01 00 00 00 01 16 12 00 81 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 00'), 'bad-option'],
  ])('%s → %s', (_name, bytes, reason) => {
    const r = decodeMessage(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });

  it('keeps an MN-ID that is not UTF-8 as an unknown option, byte for byte', () => {
    const bytes = hex('3b 01 05 00 00 00 00 01 00 00 00 01 08 02 01 ff');
    const msg = decoded(bytes);
    expect(msg.options).toEqual([{ kind: 'unknown', type: 8, data: Uint8Array.from([1, 0xff]) }]);
    expect(encodeMessage(msg)).toEqual(bytes);
  });
});
