import { describe, expect, it } from 'vitest';
import { decodePacket, formatAddressBytes, LinkType, type DecodedPacket } from '../../../cli/capture/packet-decode.js';
import { formatAddress, parseAddress } from '../../../shared/ipv6.js';

// Packet builders: plain byte arrays, every header written by hand.
const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const addr = (text: string): number[] => {
  const v = parseAddress(text);
  return Array.from({ length: 16 }, (_, i) => Number((v >> BigInt(8 * (15 - i))) & 0xffn));
};
const ascii = (s: string): number[] => [...Buffer.from(s)];

interface Ip6 {
  src: string;
  dst: string;
  nh: number;
  hopLimit?: number;
  flowLabel?: number;
  trafficClass?: number;
}
const ipv6 = (h: Ip6, payload: number[], declared = payload.length): number[] => [
  ...be32((6 << 28) | ((h.trafficClass ?? 0) << 20) | (h.flowLabel ?? 0)),
  ...be16(declared),
  h.nh,
  h.hopLimit ?? 64,
  ...addr(h.src),
  ...addr(h.dst),
  ...payload,
];
const udp = (sp: number, dp: number, payload: number[]): number[] => [...be16(sp), ...be16(dp), ...be16(8 + payload.length), 0, 0, ...payload];
const tcp = (sp: number, dp: number, seq: number, ack: number, flags: number, payload: number[], options: number[] = []): number[] => [
  ...be16(sp),
  ...be16(dp),
  ...be32(seq),
  ...be32(ack),
  ((20 + options.length) / 4) << 4,
  flags,
  ...be16(65535),
  0,
  0,
  0,
  0,
  ...options,
  ...payload,
];
const echo = (type: number, id: number, seq: number, data: number[]): number[] => [type, 0, 0, 0, ...be16(id), ...be16(seq), ...data];
/** An options header (hop-by-hop or destination) holding `options` and PadN to a multiple of 8. */
const optionsHeader = (nh: number, options: [number, number[]][]): number[] => {
  const body = options.flatMap(([t, v]) => [t, v.length, ...v]);
  const pad = (8 - ((2 + body.length) % 8)) % 8;
  if (pad === 1) body.push(0);
  else if (pad > 1) body.push(1, pad - 2, ...new Array<number>(pad - 2).fill(0));
  return [nh, (2 + body.length) / 8 - 1, ...body];
};
const srh = (nh: number, segments: string[], segmentsLeft: number): number[] => [
  nh,
  segments.length * 2,
  4,
  segmentsLeft,
  segments.length - 1,
  0,
  ...be16(7),
  ...segments.flatMap(addr),
];
const fragment = (nh: number, offset: number, more: boolean, id: number): number[] => [nh, 0, ...be16(offset | (more ? 1 : 0)), ...be32(id)];
const eth = (type: number, payload: number[], vlans: number[] = []): number[] => [
  ...[2, 0, 0, 0, 0, 1],
  ...[2, 0, 0, 0, 0, 2],
  ...vlans.flatMap((v) => [...be16(0x8100), ...be16(v)]),
  ...be16(type),
  ...payload,
];
const sll = (proto: number, payload: number[], packetType: number): number[] => [
  ...be16(packetType),
  ...be16(1),
  ...be16(6),
  2,
  0,
  0,
  0,
  0,
  1,
  0,
  0,
  ...be16(proto),
  ...payload,
];
const sll2 = (proto: number, payload: number[], ifIndex: number, packetType: number): number[] => [
  ...be16(proto),
  0,
  0,
  ...be32(ifIndex),
  ...be16(1),
  packetType,
  6,
  2,
  0,
  0,
  0,
  0,
  1,
  0,
  0,
  ...payload,
];

const MN = '2001:db8:8000:100::10';
const CN = '2001:db8:2::1';
const MR = '2001:db8:1:1::11';
const HAA = '2001:db8:1:1::1';
const data = ascii('seq=42');
const echoPkt = ipv6({ src: MN, dst: CN, nh: 58 }, echo(128, 0x1234, 7, data));
const tunnelled = (inner: number[]) => ipv6({ src: MR, dst: HAA, nh: 41, hopLimit: 63 }, inner);

interface Case {
  name: string;
  linkType: number;
  bytes: number[];
  originalLength?: number;
  expect: Partial<DecodedPacket> & Record<string, unknown>;
  /** [src, dst, protocol] of each layer, outermost first. */
  layers?: [string, string, number][];
  payload?: number[];
  malformed?: RegExp;
}

const cases: Case[] = [
  {
    name: 'Ethernet / IPv6 / UDP',
    linkType: LinkType.ETHERNET,
    bytes: eth(0x86dd, ipv6({ src: MN, dst: CN, nh: 17, flowLabel: 0xabcde, trafficClass: 0xb8, hopLimit: 7 }, udp(40000, 5001, data))),
    expect: { link: { linkType: 1, protocol: 0x86dd }, transport: { kind: 'udp', srcPort: 40000, dstPort: 5001, length: 14 } },
    layers: [[MN, CN, 17]],
    payload: data,
  },
  {
    name: 'Ethernet padding after a short IPv6 packet is not payload',
    linkType: LinkType.ETHERNET,
    bytes: [...eth(0x86dd, ipv6({ src: MN, dst: CN, nh: 58 }, echo(128, 1, 2, [9]))), 0, 0, 0, 0],
    expect: { transport: { kind: 'icmpv6', type: 128, code: 0, id: 1, seq: 2 } },
    layers: [[MN, CN, 58]],
    payload: [9],
  },
  {
    name: 'Ethernet with two 802.1Q tags',
    linkType: LinkType.ETHERNET,
    bytes: eth(0x86dd, echoPkt, [100, 0x2000 | 200]),
    expect: { link: { linkType: 1, protocol: 0x86dd, vlanIds: [100, 200] }, transport: { kind: 'icmpv6', type: 128, code: 0, id: 0x1234, seq: 7 } },
    layers: [[MN, CN, 58]],
    payload: data,
  },
  {
    name: 'SLL2 / IPv6 / ICMPv6 echo reply',
    linkType: LinkType.LINUX_SLL2,
    bytes: sll2(0x86dd, ipv6({ src: CN, dst: MN, nh: 58 }, echo(129, 0x1234, 8, data)), 5, 4),
    expect: { link: { linkType: 276, protocol: 0x86dd, ifIndex: 5, packetType: 4 }, transport: { kind: 'icmpv6', type: 129, code: 0, id: 0x1234, seq: 8 } },
    layers: [[CN, MN, 58]],
    payload: data,
  },
  {
    name: 'SLL / IPv6 / ICMPv6 neighbour solicitation',
    linkType: LinkType.LINUX_SLL,
    bytes: sll(0x86dd, ipv6({ src: '::', dst: 'ff02::1:ff00:2', nh: 58, hopLimit: 255 }, [135, 0, 0, 0, 0, 0, 0, 0, ...addr('2001:db8::2')]), 2),
    expect: { link: { linkType: 113, protocol: 0x86dd, packetType: 2 }, transport: { kind: 'icmpv6', type: 135, code: 0 } },
    layers: [['::', 'ff02::1:ff00:2', 58]],
  },
  {
    name: 'raw IPv6 (101) / TCP with options',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: MN, dst: CN, nh: 6 }, tcp(43210, 80, 0xfffffff0, 17, 0x18, data, [1, 1, 1, 0])),
    expect: {
      transport: {
        kind: 'tcp',
        srcPort: 43210,
        dstPort: 80,
        seq: 0xfffffff0,
        ack: 17,
        flags: 0x18,
        window: 65535,
        headerLength: 24,
        payloadLength: data.length,
      },
    },
    layers: [[MN, CN, 6]],
    payload: data,
  },
  {
    name: 'IPv6-in-IPv6 without encapsulation limit',
    linkType: LinkType.IPV6,
    bytes: tunnelled(echoPkt),
    expect: { transport: { kind: 'icmpv6', type: 128, code: 0, id: 0x1234, seq: 7 } },
    layers: [
      [MR, HAA, 41],
      [MN, CN, 58],
    ],
    payload: data,
  },
  {
    name: 'IPv6-in-IPv6 with a destination-options tunnel encapsulation limit (ip6tnl)',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: MR, dst: HAA, nh: 60 }, [...optionsHeader(41, [[4, [4]]]), ...ipv6({ src: MN, dst: CN, nh: 17 }, udp(5000, 5001, data))]),
    expect: { transport: { kind: 'udp', srcPort: 5000, dstPort: 5001, length: 14 } },
    layers: [
      [MR, HAA, 41],
      [MN, CN, 17],
    ],
    payload: data,
  },
  {
    name: 'double encapsulation',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: '2001:db8:ffff::1', dst: '2001:db8:ffff::2', nh: 41 }, tunnelled(ipv6({ src: MN, dst: CN, nh: 17 }, udp(1, 2, data)))),
    expect: { transport: { kind: 'udp', srcPort: 1, dstPort: 2, length: 14 } },
    layers: [
      ['2001:db8:ffff::1', '2001:db8:ffff::2', 41],
      [MR, HAA, 41],
      [MN, CN, 17],
    ],
    payload: data,
  },
  {
    name: 'segment routing header (seg6 encap) around IPv6',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: MR, dst: '2001:db8:1:1::2', nh: 43 }, [
      ...srh(41, ['2001:db8:1:1::3', '2001:db8:1:1::2'], 1),
      ...ipv6({ src: MN, dst: CN, nh: 17 }, udp(7, 9, data)),
    ]),
    expect: { transport: { kind: 'udp', srcPort: 7, dstPort: 9, length: 14 } },
    layers: [
      [MR, '2001:db8:1:1::2', 41],
      [MN, CN, 17],
    ],
    payload: data,
  },
  {
    name: 'hop-by-hop, first fragment and Mobility Header binding update',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: MN, dst: HAA, nh: 0 }, [
      ...optionsHeader(44, [[5, [0, 0]]]),
      ...fragment(135, 0, true, 99),
      59,
      1,
      5,
      0,
      0,
      0,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
    ]),
    expect: { transport: { kind: 'mobility', mhType: 5, payloadProto: 59 } },
    layers: [[MN, HAA, 135]],
    payload: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  },
  {
    name: 'later fragment stops at the fragment header',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: MN, dst: CN, nh: 44 }, [...fragment(17, 1448, false, 99), 1, 2, 3]),
    expect: { transport: undefined },
    layers: [[MN, CN, 17]],
    payload: [1, 2, 3],
  },
  {
    name: 'IPv4 frame is left undecoded, not malformed',
    linkType: LinkType.ETHERNET,
    bytes: eth(0x0800, [0x45, 0, 0, 20]),
    expect: { link: { linkType: 1, protocol: 0x0800 }, malformed: undefined },
    layers: [],
    payload: [0x45, 0, 0, 20],
  },
  {
    name: 'truncated Ethernet header',
    linkType: LinkType.ETHERNET,
    bytes: [1, 2, 3],
    expect: {},
    layers: [],
    malformed: /Ethernet header needs 14 bytes, 3 captured/,
  },
  {
    name: 'IPv6 header cut short',
    linkType: LinkType.LINUX_SLL2,
    bytes: sll2(0x86dd, echoPkt.slice(0, 30), 1, 0),
    expect: {},
    layers: [],
    malformed: /IPv6 header needs 40 bytes, 30 available/,
  },
  {
    name: 'snap length cut inside the inner header',
    linkType: LinkType.RAW,
    bytes: tunnelled(echoPkt).slice(0, 60),
    originalLength: tunnelled(echoPkt).length,
    expect: { truncated: true },
    layers: [[MR, HAA, 41]],
    malformed: /IPv6 header needs 40 bytes, 20 available/,
  },
  {
    name: 'payload length larger than the packet',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: MN, dst: CN, nh: 17 }, udp(1, 2, []), 100),
    expect: { transport: { kind: 'udp', srcPort: 1, dstPort: 2, length: 8 } },
    layers: [[MN, CN, 17]],
    malformed: /payload length 100 exceeds the 8 bytes available/,
  },
  {
    name: 'extension header longer than the packet',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: MN, dst: CN, nh: 60 }, [17, 4, 1, 2, 0, 0, 0, 0]),
    expect: { transport: undefined },
    layers: [[MN, CN, 60]],
    malformed: /extension header 60 of 40 bytes cut short \(8 available\)/,
  },
  {
    name: 'UDP header cut short',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: MN, dst: CN, nh: 17 }, [0, 1, 0]),
    expect: { transport: undefined },
    layers: [[MN, CN, 17]],
    malformed: /UDP header needs 8 bytes, 3 available/,
  },
  {
    name: 'TCP with a data offset below 20',
    linkType: LinkType.RAW,
    bytes: ipv6(
      { src: MN, dst: CN, nh: 6 },
      tcp(1, 2, 3, 4, 2, []).map((b, i) => (i === 12 ? 0x40 : b)),
    ),
    expect: {},
    layers: [[MN, CN, 6]],
    malformed: /TCP data offset 16 is below 20/,
  },
  {
    name: 'inner header that is not IPv6',
    linkType: LinkType.RAW,
    bytes: ipv6({ src: MR, dst: HAA, nh: 41 }, [0x45, ...new Array<number>(39).fill(0)]),
    expect: {},
    layers: [[MR, HAA, 41]],
    malformed: /IP version 4 where IPv6 was expected/,
  },
  {
    name: 'unknown link type',
    linkType: 147,
    bytes: [1, 2, 3],
    expect: {},
    layers: [],
    payload: [1, 2, 3],
    malformed: /unsupported link type 147/,
  },
  {
    name: 'empty raw packet',
    linkType: LinkType.RAW,
    bytes: [],
    expect: {},
    layers: [],
    malformed: /empty raw IP packet/,
  },
];

describe('decodePacket', () => {
  it.each(cases)('$name', (c) => {
    const bytes = Uint8Array.from(c.bytes);
    const d = decodePacket(c.linkType, bytes, c.originalLength);
    expect(d).toMatchObject(c.expect);
    if (c.layers) expect(d.layers.map((l) => [l.src, l.dst, l.protocol])).toEqual(c.layers);
    if (c.payload) expect([...d.payload]).toEqual(c.payload);
    if (c.malformed) expect(d.malformed).toMatch(c.malformed);
    else expect(d.malformed).toBeUndefined();
  });

  it('never throws on random bytes of any supported link type', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const base = i % 2 === 0 ? tunnelled(echoPkt) : eth(0x86dd, ipv6({ src: MN, dst: CN, nh: 60 }, optionsHeader(43, [[4, [1]]])));
      const bytes = Uint8Array.from(base.slice(0, rand() % (base.length + 1)), (b) => (rand() < 20 ? rand() : b));
      for (const lt of [1, 101, 113, 229, 276]) expect(() => decodePacket(lt, bytes)).not.toThrow();
    }
  });

  it('reports header fields of each layer', () => {
    const d = decodePacket(
      LinkType.RAW,
      Uint8Array.from(
        ipv6({ src: MR, dst: HAA, nh: 60, hopLimit: 63, flowLabel: 0x12345, trafficClass: 0x2e }, [...optionsHeader(41, [[4, [3]]]), ...echoPkt]),
      ),
    );
    expect(d.layers[0]).toEqual({
      src: MR,
      dst: HAA,
      nextHeader: 60,
      protocol: 41,
      hopLimit: 63,
      flowLabel: 0x12345,
      trafficClass: 0x2e,
      payloadLength: 8 + echoPkt.length,
      extHeaders: [{ kind: 'destination-options', type: 60, length: 8, options: [{ type: 4, length: 1 }], tunnelEncapsulationLimit: 3 }],
    });
    expect(d.layers[1]?.extHeaders).toEqual([]);
  });

  it('decodes the SRH segment list, fragment and home address option fields', () => {
    const s = decodePacket(LinkType.RAW, Uint8Array.from(ipv6({ src: MR, dst: HAA, nh: 43 }, [...srh(59, ['2001:db8::3', '2001:db8::2'], 1)])));
    expect(s.layers[0]?.extHeaders[0]).toEqual({
      kind: 'routing',
      type: 43,
      length: 40,
      routingType: 4,
      segmentsLeft: 1,
      addresses: ['2001:db8::3', '2001:db8::2'],
      lastEntry: 1,
      flags: 0,
      tag: 7,
    });
    const h = decodePacket(
      LinkType.RAW,
      Uint8Array.from(ipv6({ src: CN, dst: HAA, nh: 60 }, [...optionsHeader(44, [[201, addr(MN)]]), ...fragment(59, 8, true, 0xdeadbeef)])),
    );
    expect(h.layers[0]?.extHeaders).toMatchObject([
      { kind: 'destination-options', homeAddress: MN, options: [{ type: 201, length: 16 }] },
      { kind: 'fragment', offset: 8, moreFragments: true, identification: 0xdeadbeef },
    ]);
  });
});

describe('formatAddressBytes', () => {
  const table = [
    '::',
    '::1',
    '1::',
    '2001:db8::1',
    '2001:db8:0:1:1:1:1:1',
    '2001:0:0:1::1',
    '2001:db8:0:0:1::1',
    'fe80::1:0:0:1',
    '1:0:1:0:1:0:1:0',
    'ff02::1:ff00:2',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    '0:1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7::',
  ];
  it.each(table)('%s', (text) => {
    expect(formatAddressBytes(Uint8Array.from([0xaa, ...addr(text)]), 1)).toBe(formatAddress(parseAddress(text)));
  });
  it('agrees with shared/ipv6 formatAddress on random addresses with zero runs', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xffff;
    for (let i = 0; i < 2000; i++) {
      const groups = Array.from({ length: 8 }, () => (rand() % 3 === 0 ? rand() : 0));
      const bytes = Uint8Array.from(groups.flatMap(be16));
      const value = groups.reduce((a, g) => (a << 16n) | BigInt(g), 0n);
      expect(formatAddressBytes(bytes)).toBe(formatAddress(value));
    }
  });
});
