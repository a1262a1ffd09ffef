import { describe, expect, it } from 'vitest';
import { bpfObject } from '../../../shared/bpf/bpf-object.js';
import { decapProgram, encapProgram } from '../../../shared/bpf/tunnel-programs.js';
import { pickTunnelDriver } from '../../../cli/lab/deploy.js';

/** Instructions as [opcode, dst, src, off, imm]. */
function insns(b: Buffer): [number, number, number, number, number][] {
  const out: [number, number, number, number, number][] = [];
  for (let i = 0; i < b.length; i += 8) out.push([b[i]!, b[i + 1]! & 0xf, b[i + 1]! >> 4, b.readInt16LE(i + 2), b.readInt32LE(i + 4)]);
  return out;
}

/** The bytes the encapsulation program stores on its stack at fp-40 (the outer header), from its ST_W/ST_B immediates. */
function storedHeader(prog: Buffer): Buffer {
  const h = Buffer.alloc(40);
  for (const [op, dst, , off, imm] of insns(prog)) {
    if (dst !== 10 || off < -40 || off >= 0) continue;
    if (op === 0x62) h.writeInt32LE(imm, off + 40);
    if (op === 0x72) h.writeUInt8(imm & 0xff, off + 40);
  }
  return h;
}

describe('the bpf driver programs', () => {
  it('encapsulate with the outer header ip6tnl would write: version 6, next header 41, hop limit 64, the two addresses', () => {
    const h = storedHeader(encapProgram('2001:db8::1', 'fd00:ab:cd::ff:2'));
    expect(h.subarray(0, 4).toString('hex')).toBe('60000000');
    expect([h[6], h[7]]).toEqual([41, 64]);
    expect(h.subarray(8, 24).toString('hex')).toBe('20010db8000000000000000000000001');
    expect(h.subarray(24, 40).toString('hex')).toBe('fd0000ab00cd00000000000000ff0002');
    // Payload length comes from the packet (skb->len, big-endian): a store of a register at fp-36.
    expect(insns(encapProgram('::1', '::2')).some(([op, dst, src, off]) => op === 0x6b && dst === 10 && src === 2 && off === -36)).toBe(true);
    // bpf_lwt_push_encap, then BPF_LWT_REROUTE.
    const ops = insns(encapProgram('::1', '::2'));
    expect(ops.some(([op, , , , imm]) => op === 0x85 && imm === 73)).toBe(true);
    expect(ops.some(([op, dst, , , imm]) => op === 0xb7 && dst === 0 && imm === 128)).toBe(true);
  });

  it('decapsulate: every jump lands on the final return, the endpoint is compared word by word', () => {
    for (const [endpoint, depth] of [
      ['2001:db8:ff::2', 1],
      [undefined, 2],
    ] as const) {
      const list = insns(decapProgram(endpoint, depth));
      const end = list.length - 2;
      list.forEach(([op, , , off], i) => {
        if (op === 0x55 || op === 0x56) expect(i + 1 + off, `jump at ${i}`).toBe(end);
      });
      expect(list.filter(([op, , , , imm]) => op === 0x85 && imm === 50)).toHaveLength(depth);
      expect(list.filter(([op]) => op === 0x56)).toHaveLength(endpoint ? 4 : 0);
      expect(list.at(-1)?.[0]).toBe(0x95);
    }
    const words = insns(decapProgram('2001:db8:ff::2'))
      .filter(([op]) => op === 0x56)
      .map(([, , , , imm]) => Buffer.from(Int32Array.of(imm).buffer).toString('hex'));
    expect(words.join('')).toBe('20010db800ff00000000000000000002');
  });

  it('come in an ELF object iproute2 loads: EM_BPF, the program section, a GPL licence, a function symbol', () => {
    const prog = encapProgram('::1', '::2');
    const o = bpfObject('lwt_xmit', prog);
    expect(o.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect([o[4], o[5], o.readUInt16LE(16), o.readUInt16LE(18)]).toEqual([2, 1, 1, 247]);
    const shoff = Number(o.readBigUInt64LE(40));
    const count = o.readUInt16LE(60);
    const strtabHeader = shoff + o.readUInt16LE(62) * 64;
    const names = Number(o.readBigUInt64LE(strtabHeader + 24));
    const sections = Array.from({ length: count }, (_, i) => {
      const at = shoff + i * 64;
      const nameAt = names + o.readUInt32LE(at);
      const name = o.subarray(nameAt, o.indexOf(0, nameAt)).toString();
      const offset = Number(o.readBigUInt64LE(at + 24));
      const size = Number(o.readBigUInt64LE(at + 32));
      return { name, type: o.readUInt32LE(at + 4), data: o.subarray(offset, offset + size) };
    });
    expect(sections.map((s) => s.name)).toEqual(['', 'lwt_xmit', 'license', '.symtab', '.strtab', '.shstrtab']);
    expect(sections[1]?.data.equals(prog)).toBe(true);
    expect(sections[2]?.data.toString('latin1')).toBe('GPL\0');
    const sym = sections[3]!.data.subarray(24);
    expect([sym[4], sym.readUInt16LE(6), Number(sym.readBigUInt64LE(16))]).toEqual([0x12, 1, prog.length]);
  });
});

describe('the tunnel driver a lab gets', () => {
  const kernel = (ip6tnl: boolean, seg6: boolean, bpf: boolean) => ({ ip6tnl, seg6, bpf, netem: false, tbf: true });
  it('is ip6tnl, else seg6, else bpf', () => {
    expect(pickTunnelDriver('auto', kernel(true, true, true))).toBe('ip6tnl');
    expect(pickTunnelDriver('auto', kernel(false, true, true))).toBe('seg6');
    expect(pickTunnelDriver('auto', kernel(false, false, true))).toBe('bpf');
    expect(pickTunnelDriver('bpf', kernel(true, true, true))).toBe('bpf');
  });
  it('refuses a driver the kernel lacks, and names the one it has', () => {
    expect(() => pickTunnelDriver('seg6', kernel(false, false, true))).toThrow(/no SRv6/);
    expect(() => pickTunnelDriver('ip6tnl', kernel(false, false, true))).toThrow(/ip6_tunnel/);
    expect(() => pickTunnelDriver('bpf', kernel(true, true, false))).toThrow(/BPF/);
    expect(() => pickTunnelDriver('auto', kernel(false, false, false))).toThrow(/no tunnel driver/);
  });
});
