import { parseAddress } from '../ipv6.js';

/**
 * The bpf tunnel driver's two programs, as eBPF instructions (no compiler:
 * each is a few dozen instructions, written out here with the tunnel's
 * addresses as immediates). They put on the wire the bytes ip6tnl and seg6
 * encap.red put there: a 40-byte outer IPv6 header, next header 41, hop limit
 * 64, traffic class and flow label 0, no encapsulation-limit option.
 *
 * - encap (BPF_PROG_TYPE_LWT_XMIT, a route's `encap bpf xmit`): pushes the
 *   outer header (bpf_lwt_push_encap, BPF_LWT_ENCAP_IP) and has the kernel
 *   route the packet again by its new destination (BPF_LWT_REROUTE).
 * - decap (BPF_PROG_TYPE_SCHED_CLS, tc ingress, direct action): an IPv6 packet
 *   with next header 41 addressed to the tunnel end (or, for a mobile node, to
 *   anything: it is a host) loses its outer header at the link layer
 *   (bpf_skb_adjust_room, BPF_ADJ_ROOM_MAC) and goes on as the inner packet,
 *   received on the interface it came in on. A mobile node's program strips a
 *   second header too (HMIPv6: MAP, then home agent).
 */

const enum Op {
  LDX_W = 0x61,
  LDX_B = 0x71,
  ST_W = 0x62,
  ST_B = 0x72,
  STX_H = 0x6b,
  MOV64_K = 0xb7,
  MOV64_X = 0xbf,
  ADD64_K = 0x07,
  BE = 0xdc,
  JA = 0x05,
  JNE_K = 0x55,
  JNE32_K = 0x56,
  CALL = 0x85,
  EXIT = 0x95,
}

const HELPER = { skbLoadBytes: 26, skbAdjustRoom: 50, lwtPushEncap: 73 } as const;
const BPF_LWT_ENCAP_IP = 2;
const BPF_LWT_REROUTE = 128;
const BPF_DROP = 2;
const TC_ACT_OK = 0;
const BPF_ADJ_ROOM_MAC = 1;
/** struct __sk_buff: len at 0, protocol (network order in the low 16 bits) at 16. */
const SKB_LEN = 0;
const SKB_PROTOCOL = 16;
/** ETH_P_IPV6 as __sk_buff.protocol reads on a little-endian machine. */
const PROTO_IPV6 = 0xdd86;
const ETH_HLEN = 14;
const OUTER = 40;
const R0 = 0,
  R1 = 1,
  R2 = 2,
  R3 = 3,
  R4 = 4,
  R6 = 6,
  FP = 10;

interface Insn {
  op: Op;
  dst?: number;
  src?: number;
  off?: number;
  imm?: number;
}

/** The four 32-bit words of an address as the machine stores them (little-endian loads of network-order bytes). */
function words(address: string): number[] {
  const v = parseAddress(address);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn);
    // Network-order bytes b0..b3 read as a little-endian u32: b0 | b1<<8 | b2<<16 | b3<<24.
    const le = ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
    out.push(le | 0);
  }
  return out;
}

function encode(insns: readonly Insn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((i, n) => {
    b.writeUInt8(i.op, n * 8);
    b.writeUInt8(((i.src ?? 0) << 4) | (i.dst ?? 0), n * 8 + 1);
    b.writeInt16LE(i.off ?? 0, n * 8 + 2);
    b.writeInt32LE(i.imm ?? 0, n * 8 + 4);
  });
  return b;
}

/** The encapsulation towards `remote`, sourced from `local`. */
export function encapProgram(local: string, remote: string): Buffer {
  const s = words(local);
  const d = words(remote);
  const store = (off: number, ws: number[]): Insn[] => ws.map((imm, i) => ({ op: Op.ST_W, dst: FP, off: off + 4 * i, imm }));
  return encode([
    { op: Op.MOV64_X, dst: R6, src: R1 },
    { op: Op.LDX_W, dst: R2, src: R6, off: SKB_LEN },
    // Version 6, traffic class 0, flow label 0.
    { op: Op.ST_W, dst: FP, off: -OUTER, imm: 0x60 },
    // Payload length: the whole inner packet.
    { op: Op.BE, dst: R2, imm: 16 },
    { op: Op.STX_H, dst: FP, src: R2, off: -OUTER + 4 },
    { op: Op.ST_B, dst: FP, off: -OUTER + 6, imm: 41 },
    { op: Op.ST_B, dst: FP, off: -OUTER + 7, imm: 64 },
    ...store(-OUTER + 8, s),
    ...store(-OUTER + 24, d),
    { op: Op.MOV64_X, dst: R1, src: R6 },
    { op: Op.MOV64_K, dst: R2, imm: BPF_LWT_ENCAP_IP },
    { op: Op.MOV64_X, dst: R3, src: FP },
    { op: Op.ADD64_K, dst: R3, imm: -OUTER },
    { op: Op.MOV64_K, dst: R4, imm: OUTER },
    { op: Op.CALL, imm: HELPER.lwtPushEncap },
    { op: Op.JNE_K, dst: R0, imm: 0, off: 2 },
    { op: Op.MOV64_K, dst: R0, imm: BPF_LWT_REROUTE },
    { op: Op.EXIT },
    { op: Op.MOV64_K, dst: R0, imm: BPF_DROP },
    { op: Op.EXIT },
  ]);
}

/**
 * The decapsulation of what arrives for `endpoint` (undefined: for any
 * destination, at most `depth` nested headers).
 */
export function decapProgram(endpoint: string | undefined, depth = 1): Buffer {
  const d = endpoint === undefined ? undefined : words(endpoint);
  // One round: is it IPv6 in IPv6 (for us)? Then strip the outer header. `exit` is the program's end.
  const round = (exitAt: (here: number) => number, start: number): Insn[] => {
    const out: Insn[] = [];
    const jumpOut = (op: Op, dst: number, imm: number) => out.push({ op, dst, imm, off: exitAt(start + out.length + 1) });
    out.push({ op: Op.LDX_W, dst: R2, src: R6, off: SKB_PROTOCOL });
    jumpOut(Op.JNE_K, R2, PROTO_IPV6);
    out.push(
      { op: Op.MOV64_X, dst: R1, src: R6 },
      { op: Op.MOV64_K, dst: R2, imm: ETH_HLEN },
      { op: Op.MOV64_X, dst: R3, src: FP },
      { op: Op.ADD64_K, dst: R3, imm: -OUTER },
      { op: Op.MOV64_K, dst: R4, imm: OUTER },
      { op: Op.CALL, imm: HELPER.skbLoadBytes },
    );
    jumpOut(Op.JNE_K, R0, 0);
    out.push({ op: Op.LDX_B, dst: R2, src: FP, off: -OUTER + 6 });
    jumpOut(Op.JNE_K, R2, 41);
    d?.forEach((w, i) => {
      out.push({ op: Op.LDX_W, dst: R2, src: FP, off: -OUTER + 24 + 4 * i });
      jumpOut(Op.JNE32_K, R2, w);
    });
    out.push(
      { op: Op.MOV64_X, dst: R1, src: R6 },
      { op: Op.MOV64_K, dst: R2, imm: -OUTER },
      { op: Op.MOV64_K, dst: R3, imm: BPF_ADJ_ROOM_MAC },
      { op: Op.MOV64_K, dst: R4, imm: 0 },
      { op: Op.CALL, imm: HELPER.skbAdjustRoom },
    );
    return out;
  };
  const rounds = Math.max(1, depth);
  // Lay the rounds out once to learn where the end is, then again with the jumps aimed at it.
  const layout = (end: number): Insn[] => {
    const body: Insn[] = [{ op: Op.MOV64_X, dst: R6, src: R1 }];
    for (let r = 0; r < rounds; r++) body.push(...round((next) => end - next, body.length));
    return body;
  };
  const end = layout(0).length;
  return encode([...layout(end), { op: Op.MOV64_K, dst: R0, imm: TC_ACT_OK }, { op: Op.EXIT }]);
}
