import { createHash } from 'node:crypto';
import type { CaptureFileRef } from '../capture/capture-file.js';
import { readCapture } from '../capture/pcap-reader.js';
import { VXLAN_PORT } from '../plan/hosts.js';
import type { PlanHosts } from '../plan/types.js';

/** How far apart two hosts' capture clocks can be, from the packets between them. */
export interface ClockBound {
  /** Hosts a and b; the offset is b's clock minus a's. */
  a: string;
  b: string;
  /** The offset lies in [minMs, maxMs] (undefined on a side with no packet in that direction). */
  minMs?: number;
  maxMs?: number;
  /** VXLAN packets seen leaving one host's underlay and arriving on the other's, a→b and b→a. */
  packets: { ab: number; ba: number };
}

const LINKTYPE_ETHERNET = 1;

/**
 * The bracket on each pair of hosts' clock offset that a capture can prove
 * (docs/scale-out.md, "Captures from several hosts, and time"): no packet
 * arrives before it leaves, so a VXLAN packet seen leaving A's underlay at tA
 * and arriving on B's at tB gives offset(B − A) ≤ tB − tA, and one the other
 * way gives offset(B − A) ≥ −(tA′ − tB′). Packets are matched by their VXLAN
 * payload (VNI and inner frame); direction comes from the outer addresses.
 */
export async function clockBounds(hosts: PlanHosts, underlay: readonly CaptureFileRef[]): Promise<ClockBound[]> {
  const hostByAddress = new Map(hosts.list.map((h) => [h.address, h.name]));
  /** fingerprint → per host: when it left (sent) or arrived (received) there, first seen. */
  const sent = new Map<string, { host: string; t: bigint }>();
  const received: { key: string; host: string; t: bigint }[] = [];
  for (const f of underlay) {
    const host = f.node.replace(/^@/, '');
    for await (const r of readCapture(f.path)) {
      const v = vxlanOf(r.linkType, r.data);
      if (!v) continue;
      const from = hostByAddress.get(v.src);
      const to = hostByAddress.get(v.dst);
      if (from === host && !sent.has(v.key)) sent.set(v.key, { host, t: r.timestampNs });
      else if (to === host) received.push({ key: v.key, host, t: r.timestampNs });
    }
  }
  const min = new Map<string, { ms: number; n: number }>(); // "from>to" -> smallest arrival minus departure
  for (const r of received) {
    const s = sent.get(r.key);
    if (!s || s.host === r.host) continue;
    const k = `${s.host}>${r.host}`;
    const ms = Number(r.t - s.t) / 1e6;
    const m = min.get(k);
    min.set(k, { ms: m ? Math.min(m.ms, ms) : ms, n: (m?.n ?? 0) + 1 });
  }
  const out: ClockBound[] = [];
  const names = hosts.list.map((h) => h.name);
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [names[i] as string, names[j] as string];
      const ab = min.get(`${a}>${b}`);
      const ba = min.get(`${b}>${a}`);
      if (!ab && !ba) continue;
      out.push({ a, b, ...(ba ? { minMs: -ba.ms } : {}), ...(ab ? { maxMs: ab.ms } : {}), packets: { ab: ab?.n ?? 0, ba: ba?.n ?? 0 } });
    }
  }
  return out;
}

/** Outer IPv4 addresses and a fingerprint of the VXLAN payload, for an Ethernet frame carrying VXLAN over IPv4; undefined otherwise. */
function vxlanOf(linkType: number, d: Uint8Array): { src: string; dst: string; key: string } | undefined {
  if (linkType !== LINKTYPE_ETHERNET || d.length < 14 + 20 + 8 + 8) return undefined;
  if (d[12] !== 0x08 || d[13] !== 0x00) return undefined;
  const ip = 14;
  const ihl = ((d[ip] as number) & 0x0f) * 4;
  if (d[ip + 9] !== 17) return undefined;
  const udp = ip + ihl;
  if ((((d[udp + 2] as number) << 8) | (d[udp + 3] as number)) !== VXLAN_PORT) return undefined;
  const addr = (o: number) => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
  const key = createHash('sha1')
    .update(d.subarray(udp + 8))
    .digest('base64');
  return { src: addr(ip + 12), dst: addr(ip + 16), key };
}
