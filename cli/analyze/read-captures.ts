import { decodePacket, LinkType, type DecodedPacket } from '../capture/packet-decode.js';
import { openCapture, type CaptureRecord } from '../capture/pcap-reader.js';
import type { Progress } from '../util/progress.js';
import { decodeFlowHeader, FLOW_HEADER_BYTES, FLOW_MAGIC, fnv1a32 } from '../../shared/flow-format.js';
import { MH_UDP_PORT } from '../../shared/protocol/index.js';
import type { AnalysisInput } from './types.js';
import type { CaptureData, FlowUnit, Sighting, TcpStream } from './capture-data.js';
import { CapturePoints, cookedDirection, DIR_IN, DIR_OUT, DIR_UNKNOWN, ethernetDirection, type CapturePoint, type Direction } from './capture-points.js';
import { FlowKeys } from './flow-keys.js';
import { HeaderTable } from './header-table.js';
import { SourceValidator } from './source-validation.js';
import { mod32, msToNs } from './numbers.js';

const MAGIC_BYTES = Buffer.from([FLOW_MAGIC >>> 24, (FLOW_MAGIC >>> 16) & 0xff, (FLOW_MAGIC >>> 8) & 0xff, FLOW_MAGIC & 0xff]);

/**
 * Streams every capture file once, decodes each frame and keeps only what the
 * analysis needs: sightings of flow packets (point, time, direction, hop limit,
 * address stack), TCP data segments, and MH messages. Packet bytes are not kept
 * (MH messages are copied: they are few and small). A file that is missing or
 * damaged becomes a warning; a truncated last record is dropped quietly.
 */
export async function readCaptures(input: AnalysisInput, progress: Progress): Promise<CaptureData> {
  const data: CaptureData = {
    points: new CapturePoints(input.plan),
    headers: new HeaderTable(),
    units: input.flows.map(() => new Map<number, FlowUnit>()),
    tcp: new Map(),
    mh: new Map(),
    sources: new SourceValidator(input.plan),
    accessAddresses: new Map(),
    captured: new Set(),
    files: 0,
    packets: 0,
    warnings: [],
  };
  const reader = new PacketSink(input, data);
  progress.phase('reading captures', input.captures.length);
  for (const ref of input.captures) {
    const base = data.points.get(ref.node, ref.iface);
    let n = 0;
    try {
      const file = await openCapture(ref.path, { truncated: 'stop' });
      data.files++;
      data.captured.add(base.index);
      const named = new Map<number, CapturePoint>();
      for await (const rec of file) {
        n++;
        reader.packet(rec, pointOf(data.points, base, rec, named));
      }
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      data.warnings.push(n === 0 ? `capture ${base.name} not read: ${why}` : `capture ${base.name} damaged after ${n} packets: ${why}`);
    }
    data.packets += n;
    progress.tick(1);
  }
  progress.done(`${data.packets} packets in ${data.files} files`);
  return data;
}

/** The point a record belongs to: the file's, or the `node:iface` its pcapng IDB names (a merged capture). */
function pointOf(points: CapturePoints, base: CapturePoint, rec: CaptureRecord, named: Map<number, CapturePoint>): CapturePoint {
  const name = rec.interfaceName;
  if (name === undefined || name === base.name || !name.includes(':')) return base;
  let p = named.get(rec.interfaceIndex);
  if (!p) {
    const colon = name.indexOf(':');
    p = points.planned(name) ? points.get(name.slice(0, colon), name.slice(colon + 1)) : base;
    named.set(rec.interfaceIndex, p);
  }
  return p;
}

/** The same packet wherever it is seen: inner addresses, transport, and a hash of what it carries. */
function fingerprint(pkt: DecodedPacket): string {
  const inner = pkt.layers[pkt.layers.length - 1];
  const tr = pkt.transport;
  const seq = tr?.kind === 'tcp' ? tr.seq : tr?.kind === 'icmpv6' ? tr.seq : '';
  return `${inner?.src}|${inner?.dst}|${tr?.kind ?? ''}|${seq ?? ''}|${pkt.payload.length}|${fnv1a32(pkt.payload)}`;
}

/** Turns records into sightings; one per run. */
class PacketSink {
  private readonly offsetNs: bigint;
  private readonly keys: FlowKeys;
  private readonly mobile: Set<string>;

  constructor(
    input: AnalysisInput,
    private readonly data: CaptureData,
  ) {
    this.offsetNs = msToNs(input.monoToWallMs);
    this.keys = new FlowKeys(input.flows);
    this.mobile = new Set(input.plan.nodes.filter((n) => n.roles.includes('mn')).map((n) => n.name));
  }

  packet(rec: CaptureRecord, filePoint: CapturePoint): void {
    const pkt = decodePacket(rec.linkType, rec.data, rec.originalLength);
    const layers = pkt.layers;
    if (layers.length === 0) return;
    let point = filePoint;
    if (point.peer === undefined && pkt.link.ifIndex !== undefined) point = this.data.points.byInterfaceIndex(pkt.link.ifIndex) ?? point;
    this.data.captured.add(point.index);
    const dir = rec.linkType === LinkType.ETHERNET ? ethernetDirection(point, rec.data) : cookedDirection(pkt.link.packetType);
    const t = Number(rec.timestampNs - this.offsetNs) / 1e6;
    const sources = this.data.sources;
    if (point.access) {
      this.learnAddress(point, dir, pkt);
      // Into an MR from its access link: seen on the MR's side coming in, or on the node's radio going out.
      const into =
        dir === DIR_IN && sources.watches(point.node)
          ? point.node
          : dir === DIR_OUT && point.peer !== undefined && sources.watches(point.peer)
            ? point.peer
            : undefined;
      if (into !== undefined) sources.entered(into, fingerprint(pkt));
    } else if (dir === DIR_OUT && layers.length === 1 && point.peer !== undefined && sources.watches(point.node)) {
      const l = layers[0] as (typeof layers)[number];
      sources.sent(point.node, point.iface, t, l.src, l.dst, fingerprint(pkt));
    }
    const tr = pkt.transport;
    if (!tr) return;
    if (tr.kind === 'udp') {
      if (tr.dstPort === MH_UDP_PORT || tr.srcPort === MH_UDP_PORT) this.mh(pkt, t, point, dir);
      else if (point.peer !== undefined) this.udp(pkt, point, dir, t);
    } else if (point.peer === undefined) {
      return;
    } else if (tr.kind === 'tcp') {
      if (tr.payloadLength > 0) this.tcp(pkt, tr.seq, tr.payloadLength, tr.srcPort, tr.dstPort, this.sighting(pkt, point, dir, t));
    } else if (tr.kind === 'icmpv6' && tr.type === 128 && tr.seq !== undefined) {
      const inner = layers[layers.length - 1];
      const flow = inner ? this.keys.icmp(inner.src, inner.dst) : undefined;
      if (flow !== undefined) this.unit(flow, tr.seq).sightings.push(this.sighting(pkt, point, dir, t));
    }
  }

  private sighting(pkt: DecodedPacket, point: CapturePoint, dir: Direction, t: number): Sighting {
    return { point: point.index, t, dir, hopLimit: pkt.layers[0]?.hopLimit ?? 0, headers: this.data.headers.intern(pkt.layers) };
  }

  private unit(flow: number, seq: number): FlowUnit {
    const units = this.data.units[flow] as Map<number, FlowUnit>;
    let u = units.get(seq);
    if (!u) units.set(seq, (u = { seq, sightings: [] }));
    return u;
  }

  private udp(pkt: DecodedPacket, point: CapturePoint, dir: Direction, t: number): void {
    const p = pkt.payload;
    if (p.length < FLOW_HEADER_BYTES || p[0] !== MAGIC_BYTES[0] || p[1] !== MAGIC_BYTES[1]) return;
    const h = decodeFlowHeader(p, { truncated: true });
    const flow = h ? this.keys.byWire(h.flowId, 'udp') : undefined;
    if (!h || flow === undefined) return;
    const u = this.unit(flow, h.seq);
    u.sendMs ??= Number(h.sendNs) / 1e6;
    u.sightings.push(this.sighting(pkt, point, dir, t));
  }

  private tcp(pkt: DecodedPacket, seq: number, len: number, sport: number, dport: number, s: Sighting): void {
    const inner = pkt.layers[pkt.layers.length - 1];
    if (!inner) return;
    const key = `${inner.src}|${sport}|${inner.dst}|${dport}`;
    let stream = this.data.tcp.get(key);
    if (!stream) this.data.tcp.set(key, (stream = { segments: [] }));
    stream.segments.push({ seq, len, sighting: s });
    this.tcpHeaders(stream, pkt.payload, seq);
  }

  /** Finds record headers in a segment's captured payload: they name the flow, fix the stream's origin and give send times. */
  private tcpHeaders(stream: TcpStream, payload: Uint8Array, seq: number): void {
    const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    for (let off = buf.indexOf(MAGIC_BYTES); off >= 0 && off + FLOW_HEADER_BYTES <= buf.length; off = buf.indexOf(MAGIC_BYTES, off + 1)) {
      const h = decodeFlowHeader(payload.subarray(off, off + FLOW_HEADER_BYTES), { truncated: true });
      const flow = h ? this.keys.byWire(h.flowId, 'tcp') : undefined;
      if (!h || flow === undefined || (stream.flow !== undefined && stream.flow !== flow)) continue;
      stream.flow = flow;
      stream.size ??= h.length;
      stream.base ??= mod32(seq + off - (((h.seq - 1) * h.length) % 2 ** 32));
      this.unit(flow, h.seq).sendMs ??= Number(h.sendNs) / 1e6;
      off += Math.max(0, h.length - 1);
    }
  }

  private mh(pkt: DecodedPacket, t: number, point: CapturePoint, dir: Direction): void {
    const inner = pkt.layers[pkt.layers.length - 1];
    if (!inner) return;
    const key = `${inner.src}|${inner.dst}|${pkt.payload.length}|${fnv1a32(pkt.payload)}`;
    let m = this.data.mh.get(key);
    if (!m) this.data.mh.set(key, (m = { src: inner.src, dst: inner.dst, bytes: pkt.payload.slice(), times: [], seen: [] }));
    m.times.push(t);
    m.seen.push({ point: point.index, dir });
  }

  /** Remembers which mobile node an address on an access link belongs to (home addresses are not in the plan). */
  private learnAddress(point: CapturePoint, dir: Direction, pkt: DecodedPacket): void {
    if (dir === DIR_UNKNOWN || point.peer === undefined) return;
    const mnHere = this.mobile.has(point.node);
    const mn = mnHere ? point.node : point.peer;
    if (!this.mobile.has(mn)) return;
    const fromMn = (dir === DIR_OUT) === mnHere;
    const inner = pkt.layers[pkt.layers.length - 1];
    const addr = fromMn ? inner?.src : inner?.dst;
    if (addr === undefined || addr === '::' || addr.startsWith('ff') || this.data.accessAddresses.has(addr)) return;
    this.data.accessAddresses.set(addr, mn);
  }
}
