/**
 * Decodes captured frames down to the innermost transport header: the link layer
 * (Ethernet with 802.1Q/802.1ad tags, Linux cooked SLL and SLL2, raw IP), every IPv6
 * header of an IPv6-in-IPv6 stack (outermost first) with its extension headers
 * (hop-by-hop, routing incl. SRH, fragment, destination options incl. the tunnel
 * encapsulation limit and home address options, AH), then UDP, TCP, ICMPv6 or the
 * Mobility Header.
 *
 * Never throws: a damaged packet yields what could be decoded and a `malformed`
 * reason. Reads bytes straight from the Uint8Array (no DataView per packet).
 */

/** LINKTYPE_* values the decoder understands. */
export const LinkType = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** What the link layer said about the frame. */
export interface LinkInfo {
  /** LINKTYPE_* of the frame. */
  linkType: number;
  /** EtherType of the network layer (0x86dd IPv6, 0x0800 IPv4, ...); for raw IP taken from the version nibble. */
  protocol: number;
  /** SLL/SLL2 packet type: 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us. */
  packetType?: number;
  /** SLL2 interface index (tcpdump -i any). */
  ifIndex?: number;
  /** 802.1Q VLAN ids, outermost first. */
  vlanIds?: number[];
}

/** One IPv6 option of a hop-by-hop or destination options header. */
export interface Ipv6Option {
  /** Option type (4 tunnel encapsulation limit, 201 home address, 194 jumbo payload, ...). */
  type: number;
  /** Length of the option data in bytes. */
  length: number;
}

/** An IPv6 extension header. `type` is its protocol number (0, 43, 44, 51, 60). */
export type ExtHeader =
  | {
      /** Hop-by-hop (0) or destination (60) options. */
      kind: 'hop-by-hop' | 'destination-options';
      /** Protocol number of the header. */
      type: number;
      /** Whole header length in bytes. */
      length: number;
      /** Options other than Pad1/PadN. */
      options: Ipv6Option[];
      /** Value of the tunnel encapsulation limit option (RFC 2473), if present. */
      tunnelEncapsulationLimit?: number;
      /** Address of the home address option (RFC 6275), if present. */
      homeAddress?: string;
    }
  | {
      /** Routing header (43). */
      kind: 'routing';
      /** Protocol number of the header. */
      type: number;
      /** Whole header length in bytes. */
      length: number;
      /** Routing type: 0 (deprecated), 2 (MIPv6 type 2), 3 (RPL), 4 (segment routing header). */
      routingType: number;
      /** Segments left. */
      segmentsLeft: number;
      /** Addresses in header order; for an SRH this is the segment list, Segment List[0] (the final segment) first. */
      addresses: string[];
      /** SRH last entry. */
      lastEntry?: number;
      /** SRH flags. */
      flags?: number;
      /** SRH tag. */
      tag?: number;
    }
  | {
      /** Fragment header (44). */
      kind: 'fragment';
      /** Protocol number of the header. */
      type: number;
      /** Whole header length in bytes (8). */
      length: number;
      /** Fragment offset in bytes. */
      offset: number;
      /** M flag. */
      moreFragments: boolean;
      /** Identification. */
      identification: number;
    }
  | {
      /** Authentication header (51). */
      kind: 'authentication';
      /** Protocol number of the header. */
      type: number;
      /** Whole header length in bytes. */
      length: number;
    };

/** One IPv6 header with its extension headers. */
export interface Ipv6Layer {
  /** Source address, RFC 5952 text. */
  src: string;
  /** Destination address, RFC 5952 text. */
  dst: string;
  /** Next header field of the fixed header. */
  nextHeader: number;
  /** Upper-layer protocol after the extension headers (41 when another IPv6 header follows). */
  protocol: number;
  /** Hop limit. */
  hopLimit: number;
  /** Flow label (20 bits). */
  flowLabel: number;
  /** Traffic class (DSCP and ECN). */
  trafficClass: number;
  /** Payload length field (bytes after the fixed header). */
  payloadLength: number;
  /** Extension headers in order (empty array shared when there are none; do not mutate). */
  extHeaders: readonly ExtHeader[];
}

/** Transport header of the innermost packet. */
export type TransportInfo =
  | {
      /** UDP (17). */
      kind: 'udp';
      /** Source port. */
      srcPort: number;
      /** Destination port. */
      dstPort: number;
      /** UDP length field (header and payload). */
      length: number;
    }
  | {
      /** TCP (6). */
      kind: 'tcp';
      /** Source port. */
      srcPort: number;
      /** Destination port. */
      dstPort: number;
      /** Sequence number. */
      seq: number;
      /** Acknowledgement number. */
      ack: number;
      /** Flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80). */
      flags: number;
      /** Receive window. */
      window: number;
      /** Header length in bytes (data offset × 4). */
      headerLength: number;
      /** Bytes of payload the IP header declares for this segment (may exceed what was captured). */
      payloadLength: number;
    }
  | {
      /** ICMPv6 (58). */
      kind: 'icmpv6';
      /** Type (128 echo request, 129 echo reply, 135/136 neighbour solicitation/advertisement, ...). */
      type: number;
      /** Code. */
      code: number;
      /** Echo identifier (types 128/129). */
      id?: number;
      /** Echo sequence number (types 128/129). */
      seq?: number;
    }
  | {
      /** Mobility Header (135, RFC 6275). */
      kind: 'mobility';
      /** MH type (5 binding update, 6 binding acknowledgement, ...). */
      mhType: number;
      /** Payload proto field (normally 59). */
      payloadProto: number;
    };

/** A decoded frame. */
export interface DecodedPacket {
  /** Link layer. */
  link: LinkInfo;
  /** IPv6 headers, outermost first; empty when the frame is not IPv6. */
  layers: Ipv6Layer[];
  /** Innermost transport header, if one was decoded. */
  transport?: TransportInfo;
  /** Bytes after the innermost header decoded (transport payload; for other protocols, what follows the IP headers). */
  payload: Uint8Array;
  /** The capture holds fewer bytes than the packet had (snap length). */
  truncated?: boolean;
  /** Why decoding stopped early: damaged, cut short or of a kind not understood. */
  malformed?: string;
}

const EMPTY = new Uint8Array(0);
const NO_EXT: readonly ExtHeader[] = Object.freeze([]);
const ETH_IPV6 = 0x86dd;
const MAX_LAYERS = 16;

const u16 = (d: Uint8Array, i: number): number => ((d[i] as number) << 8) | (d[i + 1] as number);
const u32 = (d: Uint8Array, i: number): number =>
  (d[i] as number) * 0x1000000 + (((d[i + 1] as number) << 16) | ((d[i + 2] as number) << 8) | (d[i + 3] as number));

const HEX: string[] = Array.from({ length: 0x10000 }, (_, i) => i.toString(16));

/** RFC 5952 text of the 16 address bytes at `offset` (same output as shared/ipv6.ts formatAddress, without bigints). */
export function formatAddressBytes(d: Uint8Array, offset = 0): string {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const i = offset + g * 2;
    if (d[i] === 0 && d[i + 1] === 0) {
      if (runStart < 0) runStart = g;
      if (g - runStart + 1 > bestLen) {
        bestStart = runStart;
        bestLen = g - runStart + 1;
      }
    } else runStart = -1;
  }
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += g === 0 ? '::' : ':';
      g += bestLen - 1;
      continue;
    }
    s += HEX[u16(d, offset + g * 2)];
    if (g < 7) s += ':';
  }
  return s;
}

/** Mutable decoding state of one packet. */
interface Cursor {
  out: DecodedPacket;
  end: number;
}

/**
 * Decodes one captured frame of the given link type. `originalLength` (the length on
 * the wire) lets the decoder tell a snap-length cut from a damaged packet.
 */
export function decodePacket(linkType: number, data: Uint8Array, originalLength = data.length): DecodedPacket {
  const link: LinkInfo = { linkType, protocol: 0 };
  const out: DecodedPacket = { link, layers: [], transport: undefined, payload: EMPTY, truncated: originalLength > data.length, malformed: undefined };
  const start = decodeLink(link, data, out);
  if (start < 0) return out;
  if (link.protocol !== ETH_IPV6) {
    out.payload = data.subarray(start);
    return out;
  }
  decodeIpv6Stack(data, start, { out, end: data.length });
  return out;
}

/** Fills `link`; returns the offset of the network header, or -1 (with `malformed` set). */
function decodeLink(link: LinkInfo, d: Uint8Array, out: DecodedPacket): number {
  switch (link.linkType) {
    case LinkType.ETHERNET: {
      if (d.length < 14) return stop(out, `Ethernet header needs 14 bytes, ${d.length} captured`, d, 0);
      let p = 12;
      let type = u16(d, p);
      while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
        if (d.length < p + 6) return stop(out, 'VLAN tag cut short', d, p);
        (link.vlanIds ??= []).push(u16(d, p + 2) & 0x0fff);
        p += 4;
        type = u16(d, p);
      }
      link.protocol = type;
      return p + 2;
    }
    case LinkType.LINUX_SLL:
      if (d.length < 16) return stop(out, `SLL header needs 16 bytes, ${d.length} captured`, d, 0);
      link.packetType = u16(d, 0);
      link.protocol = u16(d, 14);
      return 16;
    case LinkType.LINUX_SLL2:
      if (d.length < 20) return stop(out, `SLL2 header needs 20 bytes, ${d.length} captured`, d, 0);
      link.protocol = u16(d, 0);
      link.ifIndex = u32(d, 4);
      link.packetType = d[10] ?? 0;
      return 20;
    case LinkType.RAW:
    case LinkType.IPV6:
    case LinkType.IPV4: {
      if (d.length < 1) return stop(out, 'empty raw IP packet', d, 0);
      const version = (d[0] as number) >> 4;
      link.protocol = version === 6 ? ETH_IPV6 : version === 4 ? 0x0800 : 0;
      if (link.protocol === 0) return stop(out, `raw packet of IP version ${version}`, d, 0);
      return 0;
    }
    default:
      return stop(out, `unsupported link type ${link.linkType}`, d, 0);
  }
}

function stop(out: DecodedPacket, reason: string, d: Uint8Array, at: number): -1 {
  out.malformed = reason;
  out.payload = d.subarray(Math.min(at, d.length));
  return -1;
}

/** Decodes IPv6 headers at `p`, following next header 41 into nested packets. */
function decodeIpv6Stack(d: Uint8Array, p: number, c: Cursor): void {
  const out = c.out;
  for (let depth = 0; ; depth++) {
    if (depth === MAX_LAYERS) return void stop(out, `more than ${MAX_LAYERS} nested IPv6 headers`, d, p);
    if (c.end - p < 40) return void stop(out, `IPv6 header needs 40 bytes, ${Math.max(0, c.end - p)} available`, d, p);
    const w0 = u32(d, p);
    if (w0 >>> 28 !== 6) return void stop(out, `IP version ${w0 >>> 28} where IPv6 was expected`, d, p);
    const payloadLength = u16(d, p + 4);
    const nextHeader = d[p + 6] as number;
    const layer: Ipv6Layer = {
      src: formatAddressBytes(d, p + 8),
      dst: formatAddressBytes(d, p + 24),
      nextHeader,
      protocol: nextHeader,
      hopLimit: d[p + 7] as number,
      flowLabel: w0 & 0xfffff,
      trafficClass: (w0 >>> 20) & 0xff,
      payloadLength,
      extHeaders: NO_EXT,
    };
    out.layers.push(layer);
    p += 40;
    const declaredEnd = p + payloadLength;
    if (payloadLength === 0 && nextHeader === 0) {
      // jumbogram: the hop-by-hop header carries the length; use what was captured
    } else if (declaredEnd <= c.end) {
      c.end = declaredEnd; // drop link-layer padding and trailers
    } else if (!out.truncated) {
      out.malformed = `IPv6 payload length ${payloadLength} exceeds the ${c.end - p} bytes available`;
    }
    const r = decodeExtHeaders(d, p, c, layer);
    if (r < 0) return;
    p = r;
    if (layer.protocol === 41) continue;
    decodeTransport(d, p, c, layer.protocol);
    return;
  }
}

/** Walks extension headers; returns the offset of the upper-layer header or -1. */
function decodeExtHeaders(d: Uint8Array, p: number, c: Cursor, layer: Ipv6Layer): number {
  let next = layer.nextHeader;
  for (;;) {
    if (next !== 0 && next !== 43 && next !== 44 && next !== 60 && next !== 51) {
      layer.protocol = next;
      return p;
    }
    if (c.end - p < 8) return stop(c.out, `extension header ${next} cut short`, d, p);
    const len = next === 44 ? 8 : next === 51 ? ((d[p + 1] as number) + 2) * 4 : ((d[p + 1] as number) + 1) * 8;
    if (c.end - p < len) return stop(c.out, `extension header ${next} of ${len} bytes cut short (${c.end - p} available)`, d, p);
    const ext = decodeExt(d, p, next, len);
    if (layer.extHeaders === NO_EXT) layer.extHeaders = [];
    (layer.extHeaders as ExtHeader[]).push(ext);
    const following = d[p] as number;
    p += len;
    if (ext.kind === 'fragment' && ext.offset !== 0) {
      layer.protocol = following;
      c.out.payload = d.subarray(p, c.end);
      return -1;
    }
    next = following;
  }
}

function decodeExt(d: Uint8Array, p: number, type: number, length: number): ExtHeader {
  if (type === 44) {
    const fo = u16(d, p + 2);
    return { kind: 'fragment', type, length, offset: fo & 0xfff8, moreFragments: (fo & 1) === 1, identification: u32(d, p + 4) };
  }
  if (type === 51) return { kind: 'authentication', type, length };
  if (type === 43) return decodeRouting(d, p, length);
  const ext: ExtHeader = { kind: type === 0 ? 'hop-by-hop' : 'destination-options', type, length, options: [] };
  for (let o = p + 2; o < p + length;) {
    const ot = d[o] as number;
    if (ot === 0) {
      o++;
      continue;
    }
    if (o + 2 > p + length) break;
    const ol = d[o + 1] as number;
    if (o + 2 + ol > p + length) break;
    if (ot !== 1) ext.options.push({ type: ot, length: ol });
    if (ot === 4 && ol === 1) ext.tunnelEncapsulationLimit = d[o + 2] ?? 0;
    if (ot === 201 && ol === 16) ext.homeAddress = formatAddressBytes(d, o + 2);
    o += 2 + ol;
  }
  return ext;
}

function decodeRouting(d: Uint8Array, p: number, length: number): ExtHeader {
  const routingType = d[p + 2] as number;
  const ext: ExtHeader = { kind: 'routing', type: 43, length, routingType, segmentsLeft: d[p + 3] as number, addresses: [] };
  let count = 0;
  if (routingType === 4) {
    ext.lastEntry = d[p + 4] ?? 0;
    ext.flags = d[p + 5] ?? 0;
    ext.tag = u16(d, p + 6);
    count = Math.min(ext.lastEntry + 1, (length - 8) >> 4);
  } else if (routingType === 0 || routingType === 2) {
    count = (length - 8) >> 4;
  }
  for (let i = 0; i < count; i++) ext.addresses.push(formatAddressBytes(d, p + 8 + i * 16));
  return ext;
}

function decodeTransport(d: Uint8Array, p: number, c: Cursor, proto: number): void {
  const out = c.out;
  const avail = c.end - p;
  switch (proto) {
    case 17: {
      if (avail < 8) return void stop(out, `UDP header needs 8 bytes, ${avail} available`, d, p);
      const length = u16(d, p + 4);
      out.transport = { kind: 'udp', srcPort: u16(d, p), dstPort: u16(d, p + 2), length };
      out.payload = d.subarray(p + 8, length >= 8 ? Math.min(p + length, c.end) : c.end);
      return;
    }
    case 6: {
      if (avail < 20) return void stop(out, `TCP header needs 20 bytes, ${avail} available`, d, p);
      const headerLength = ((d[p + 12] as number) >> 4) * 4;
      const layer = out.layers[out.layers.length - 1] as Ipv6Layer;
      out.transport = {
        kind: 'tcp',
        srcPort: u16(d, p),
        dstPort: u16(d, p + 2),
        seq: u32(d, p + 4),
        ack: u32(d, p + 8),
        flags: d[p + 13] as number,
        window: u16(d, p + 14),
        headerLength,
        payloadLength: Math.max(0, tcpSegmentLength(layer, c, p) - headerLength),
      };
      if (headerLength < 20) return void stop(out, `TCP data offset ${headerLength} is below 20`, d, p + 20);
      if (avail < headerLength) return void stop(out, `TCP header of ${headerLength} bytes cut short (${avail} available)`, d, p + avail);
      out.payload = d.subarray(p + headerLength, c.end);
      return;
    }
    case 58: {
      if (avail < 4) return void stop(out, `ICMPv6 header needs 4 bytes, ${avail} available`, d, p);
      const type = d[p] as number;
      if (type === 128 || type === 129) {
        if (avail < 8) return void stop(out, `ICMPv6 echo needs 8 bytes, ${avail} available`, d, p);
        out.transport = { kind: 'icmpv6', type, code: d[p + 1] as number, id: u16(d, p + 4), seq: u16(d, p + 6) };
        out.payload = d.subarray(p + 8, c.end);
      } else {
        out.transport = { kind: 'icmpv6', type, code: d[p + 1] as number };
        out.payload = d.subarray(p + 4, c.end);
      }
      return;
    }
    case 135: {
      if (avail < 6) return void stop(out, `Mobility Header needs 6 bytes, ${avail} available`, d, p);
      out.transport = { kind: 'mobility', mhType: d[p + 2] as number, payloadProto: d[p] as number };
      out.payload = d.subarray(p + 6, Math.min(c.end, p + ((d[p + 1] as number) + 1) * 8));
      return;
    }
    default:
      out.payload = d.subarray(p, c.end);
  }
}

/** TCP segment length (header and data) from the innermost IPv6 header's payload length. */
function tcpSegmentLength(layer: Ipv6Layer, c: Cursor, p: number): number {
  const extBytes = layer.extHeaders.reduce((n, e) => n + e.length, 0);
  const declared = layer.payloadLength - extBytes;
  return declared > 0 ? declared : c.end - p;
}
