import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildPcapng } from '../../../cli/capture/pcapng-writer.js';
import type { Plan } from '../../../cli/plan/types.js';
import { parseAddress } from '../../../shared/ipv6.js';
import type { CaptureFileRef } from '../../../cli/capture/capture-file.js';

/** 16 bytes of an IPv6 address. */
export function addressBytes(text: string): Uint8Array {
  const v = parseAddress(text);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number((v >> BigInt(8 * (15 - i))) & 0xffn);
  return out;
}

/** An IPv6 packet. */
export function ip6(src: string, dst: string, nextHeader: number, payload: Uint8Array, hopLimit = 64): Uint8Array {
  const out = new Uint8Array(40 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x60000000);
  v.setUint16(4, payload.length);
  out[6] = nextHeader;
  out[7] = hopLimit;
  out.set(addressBytes(src), 8);
  out.set(addressBytes(dst), 24);
  out.set(payload, 40);
  return out;
}

/** `inner` in an outer IPv6 header (IPv6-in-IPv6, as seg6 encap.red and ip6tnl put it on the wire). */
export function encap(outerSrc: string, outerDst: string, inner: Uint8Array, hopLimit = 64): Uint8Array {
  return ip6(outerSrc, outerDst, 41, inner, hopLimit);
}

export function udp(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint16(4, out.length);
  out.set(payload, 8);
  return out;
}

export function tcp(srcPort: number, dstPort: number, seq: number, flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint32(4, seq >>> 0);
  out[12] = 5 << 4;
  out[13] = flags;
  v.setUint16(14, 65535);
  out.set(payload, 20);
  return out;
}

export function icmpEcho(type: 128 | 129, id: number, seq: number, payload = new Uint8Array(16)): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const v = new DataView(out.buffer);
  out[0] = type;
  v.setUint16(4, id);
  v.setUint16(6, seq);
  out.set(payload, 8);
  return out;
}

interface Frame {
  t: number;
  data: Uint8Array;
}

const macBytes = (mac: string) => Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));

/**
 * Builds the capture files of a run by hand: frames on `node:iface` points with
 * the plan's MACs, written as one pcapng file per interface (Ethernet, ns times).
 * Points listed in `uncaptured` get no file (a radio that was down).
 */
export class SyntheticCaptures {
  private readonly frames = new Map<string, Frame[]>();
  private readonly tails = new Map<string, Uint8Array>();

  constructor(
    private readonly plan: Plan,
    private readonly monoToWallMs: number,
    uncaptured: ReadonlySet<string> = new Set(),
  ) {
    for (const n of plan.nodes) for (const i of n.interfaces) if (!uncaptured.has(`${n.name}:${i.name}`)) this.frames.set(`${n.name}:${i.name}`, []);
  }

  private macs(node: string, iface: string): { own: Uint8Array; peer: Uint8Array } {
    const i = this.plan.nodes.find((n) => n.name === node)?.interfaces.find((x) => x.name === iface);
    if (!i) throw new Error(`no interface ${node}:${iface}`);
    const peer = this.plan.nodes.find((n) => n.name === i.peer.node)?.interfaces.find((x) => x.name === i.peer.iface);
    return { own: macBytes(i.mac), peer: macBytes(peer?.mac ?? '00:00:00:00:00:00') };
  }

  /** A frame leaving (`out`) or entering (`in`) `node` on the interface towards `iface`. */
  frame(node: string, iface: string, t: number, dir: 'out' | 'in', packet: Uint8Array): void {
    const list = this.frames.get(`${node}:${iface}`);
    if (!list) return;
    const { own, peer } = this.macs(node, iface);
    const eth = new Uint8Array(14 + packet.length);
    eth.set(dir === 'out' ? peer : own, 0);
    eth.set(dir === 'out' ? own : peer, 6);
    eth[12] = 0x86;
    eth[13] = 0xdd;
    eth.set(packet, 14);
    list.push({ t, data: eth });
  }

  /** Raw bytes as a frame on a point (garbage, other protocols). */
  raw(node: string, iface: string, t: number, data: Uint8Array): void {
    this.frames.get(`${node}:${iface}`)?.push({ t, data });
  }

  /** `packet` crossing the link from → to: sent at `t` (captured on from:to), received 10 µs later (on to:from). */
  cross(from: string, to: string, t: number, packet: Uint8Array): void {
    this.frame(from, to, t, 'out', packet);
    this.frame(to, from, t + 0.01, 'in', packet);
  }

  /** Crossings along `nodes` starting at `t`, `step` ms apart. */
  walk(nodes: string[], t: number, packetFor: (hop: number) => Uint8Array, step = 0.1): void {
    for (let i = 0; i + 1 < nodes.length; i++) this.cross(nodes[i] as string, nodes[i + 1] as string, t + i * step, packetFor(i));
  }

  /** Bytes appended after the last block of a file (a record cut short when tcpdump was killed). */
  cutTail(name: string, bytes: Uint8Array): void {
    this.tails.set(name, bytes);
  }

  /** Capture time in Unix ns of monotonic ms `t` (microsecond resolution, as tcpdump writes). */
  unixNs(t: number): bigint {
    return BigInt(Math.round(t * 1000)) * 1000n + BigInt(Math.round(this.monoToWallMs * 1000)) * 1000n;
  }

  /** Writes every file into `dir`; returns the refs in plan order. */
  write(dir: string): CaptureFileRef[] {
    const refs: CaptureFileRef[] = [];
    for (const [name, frames] of this.frames) {
      const [node, iface] = name.split(':') as [string, string];
      frames.sort((a, b) => a.t - b.t);
      const bytes = buildPcapng(
        [{ name, linkType: 1 }],
        frames.map((f) => ({ interfaceId: 0, timestampNs: this.unixNs(f.t), data: f.data })),
      );
      const tail = this.tails.get(name);
      const file = path.join(dir, `${name.replace(':', '_')}.pcapng`);
      writeFileSync(file, tail ? Buffer.concat([bytes, tail]) : bytes);
      refs.push({ node, iface, path: file });
    }
    return refs;
  }

  /** Frames added so far. */
  get count(): number {
    let n = 0;
    for (const f of this.frames.values()) n += f.length;
    return n;
  }
}
