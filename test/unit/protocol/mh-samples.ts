/** Sample messages of every kind carrying every option, shared by the protocol unit tests. */
import {
  type MhMessage,
  type MobilityOption,
  BA_FLAG_BITS,
  BR_FLAG_BITS,
  BU_FLAG_BITS,
  DMMLAB_VENDOR_ID,
  EXP_SUBTYPE,
  HACK_FLAG_BITS,
  HI_FLAG_BITS,
  LRA_FLAG_BITS,
  makeFlags,
} from '../../../shared/protocol/index.js';

export const SRC = '2001:db8:1::1';
export const DST = '2001:db8:1:1000::2';
export const TS = (1_700_000_000n << 16n) | 0x8000n;

/** One of every option kind the codec interprets (padding aside), plus an unknown one. */
export const EVERY_OPTION: MobilityOption[] = [
  { kind: 'hnp', prefix: '2001:db8:1:8000::/64' },
  { kind: 'mnId', id: 'mn1@net1.fig1' },
  { kind: 'timestamp', value: TS },
  { kind: 'handoff', value: 1 },
  { kind: 'att', value: 3 },
  { kind: 'mnLinkLayerId', id: new Uint8Array([0x02, 0x00, 0x5e, 0x00, 0x53, 0x01]) },
  { kind: 'linkLocal', address: 'fe80::200:5eff:fe00:5301' },
  { kind: 'altCoa', address: '2001:db8:2::1' },
  { kind: 'vendor', vendorId: DMMLAB_VENDOR_ID, subtype: 7, data: new Uint8Array([1, 2, 3]) },
  { kind: 'experimental', data: new Uint8Array([0xde, 0xad]) },
  { kind: 'unknown', type: 200, data: new Uint8Array([9, 8, 7, 6, 5]) },
  { kind: 'auth', subtype: 1, spi: 4242, authenticator: new Uint8Array(32).fill(0xab) },
];

const ts: MobilityOption = { kind: 'timestamp', value: TS };
const mnId: MobilityOption = { kind: 'mnId', id: 'mn1@net1.fig1' };

/** A table of messages: every kind, with and without options, with every option. */
export const SAMPLES: Array<[string, MhMessage]> = [
  ['PBU with every option', { type: 'PBU', sequence: 7, flags: makeFlags(BU_FLAG_BITS, { A: true, H: true, P: true }), lifetime: 600, options: EVERY_OPTION }],
  [
    'plain BU, all flags, no options',
    {
      type: 'PBU',
      sequence: 65535,
      flags: makeFlags(BU_FLAG_BITS, Object.fromEntries(Object.keys(BU_FLAG_BITS).map((k) => [k, true]))),
      lifetime: 0,
      options: [],
    },
  ],
  [
    'PBA accepted',
    {
      type: 'PBA',
      status: 0,
      sequence: 7,
      flags: makeFlags(BA_FLAG_BITS, { P: true }),
      lifetime: 600,
      options: [{ kind: 'hnp', prefix: '2001:db8:1:8000::/64' }, mnId, ts],
    },
  ],
  [
    'PBA rejected, all flags',
    {
      type: 'PBA',
      status: 157,
      sequence: 1,
      flags: makeFlags(BA_FLAG_BITS, Object.fromEntries(Object.keys(BA_FLAG_BITS).map((k) => [k, true]))),
      lifetime: 262140,
      options: [ts],
    },
  ],
  [
    'HI proxy',
    {
      type: 'HI',
      sequence: 300,
      flags: makeFlags(HI_FLAG_BITS, { P: true, F: true }),
      code: 3,
      options: [mnId, ts, { kind: 'hnp', prefix: '2001:db8:1:8100::/64' }],
    },
  ],
  ['HI no options', { type: 'HI', sequence: 0, flags: makeFlags(HI_FLAG_BITS, { S: true, U: true }), code: 0, options: [] }],
  ['HAck', { type: 'HAck', sequence: 300, flags: makeFlags(HACK_FLAG_BITS, { U: true, P: true, F: true }), code: 5, options: [ts, mnId] }],
  ['BRI', { type: 'BRI', sequence: 12, trigger: 2, flags: makeFlags(BR_FLAG_BITS, { P: true }), options: [mnId, ts] }],
  ['BRA', { type: 'BRA', sequence: 12, status: 130, flags: makeFlags(BR_FLAG_BITS, { P: true, V: true, G: true }), options: [ts] }],
  ['LRI', { type: 'LRI', sequence: 40, lifetime: 0xffff, options: [mnId, { kind: 'hnp', prefix: '2001:db8:1:8000::/64' }, ts] }],
  ['LRA', { type: 'LRA', sequence: 40, flags: makeFlags(LRA_FLAG_BITS, { U: true }), status: 128, lifetime: 17, options: [ts] }],
  ['EXP location query', { type: 'EXP', subtype: EXP_SUBTYPE.LM_LOCATION_QUERY, status: 0, sequence: 9, lifetime: 40, options: [mnId, ts] }],
  ['EXP unknown subtype, every option', { type: 'EXP', subtype: 250, status: 1, sequence: 10, lifetime: 8, options: EVERY_OPTION }],
];

/** Option type and offset of every option in an encoded MH, walked independently of the codec. */
export function optionOffsets(mh: Uint8Array, start: number): Array<{ type: number; offset: number; size: number }> {
  const out: Array<{ type: number; offset: number; size: number }> = [];
  for (let at = start; at < mh.length;) {
    const type = mh[at] as number;
    const size = type === 0 ? 1 : 2 + (mh[at + 1] as number);
    out.push({ type, offset: at, size });
    at += size;
  }
  return out;
}

/** A small deterministic PRNG (mulberry32) so fuzz failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-f]/gi, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}
