/**
 * A BPF object file (ELF64, little-endian, relocatable, EM_BPF) holding one
 * program in section `section` and a GPL licence: what `ip route ... encap bpf
 * xmit obj FILE section S` and `tc filter ... bpf da obj FILE sec S` load
 * (through libbpf or iproute2's own loader). No maps, no relocations, no BTF.
 */
export function bpfObject(section: string, program: Buffer, name = 'prog'): Buffer {
  const license = Buffer.from('GPL\0');
  const strtab = strings(['', name]);
  const shstrtab = strings(['', section, 'license', '.symtab', '.strtab', '.shstrtab']);
  // Symbols: the null one, then the program (global function in section 1).
  const symtab = Buffer.alloc(2 * 24);
  symtab.writeUInt32LE(strtab.offsets[1]!, 24);
  symtab.writeUInt8((1 << 4) | 2, 24 + 4); // STB_GLOBAL, STT_FUNC
  symtab.writeUInt16LE(1, 24 + 6);
  symtab.writeBigUInt64LE(BigInt(program.length), 24 + 16);

  const parts: { data: Buffer; align: number }[] = [
    { data: program, align: 8 },
    { data: license, align: 1 },
    { data: symtab, align: 8 },
    { data: strtab.data, align: 1 },
    { data: shstrtab.data, align: 1 },
  ];
  let offset = 64;
  const offsets: number[] = [];
  for (const p of parts) {
    offset = Math.ceil(offset / p.align) * p.align;
    offsets.push(offset);
    offset += p.data.length;
  }
  const shoff = Math.ceil(offset / 8) * 8;
  const count = parts.length + 1;
  const out = Buffer.alloc(shoff + count * 64);

  out.write('\x7fELF', 0, 'latin1');
  out.writeUInt8(2, 4); // ELFCLASS64
  out.writeUInt8(1, 5); // little-endian
  out.writeUInt8(1, 6); // EV_CURRENT
  out.writeUInt16LE(1, 16); // ET_REL
  out.writeUInt16LE(247, 18); // EM_BPF
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(BigInt(shoff), 40);
  out.writeUInt16LE(64, 52); // e_ehsize
  out.writeUInt16LE(64, 58); // e_shentsize
  out.writeUInt16LE(count, 60);
  out.writeUInt16LE(count - 1, 62); // .shstrtab is last
  parts.forEach((p, i) => p.data.copy(out, offsets[i]));

  const header = (index: number, h: { name: number; type: number; flags?: number; link?: number; info?: number; align: number; entsize?: number }) => {
    const at = shoff + index * 64;
    const part = parts[index - 1]!;
    out.writeUInt32LE(h.name, at);
    out.writeUInt32LE(h.type, at + 4);
    out.writeBigUInt64LE(BigInt(h.flags ?? 0), at + 8);
    out.writeBigUInt64LE(BigInt(offsets[index - 1]!), at + 24);
    out.writeBigUInt64LE(BigInt(part.data.length), at + 32);
    out.writeUInt32LE(h.link ?? 0, at + 40);
    out.writeUInt32LE(h.info ?? 0, at + 44);
    out.writeBigUInt64LE(BigInt(h.align), at + 48);
    out.writeBigUInt64LE(BigInt(h.entsize ?? 0), at + 56);
  };
  const SHT_PROGBITS = 1,
    SHT_SYMTAB = 2,
    SHT_STRTAB = 3;
  const SHF_WRITE = 1,
    SHF_ALLOC = 2,
    SHF_EXECINSTR = 4;
  header(1, { name: shstrtab.offsets[1]!, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, align: 8 });
  header(2, { name: shstrtab.offsets[2]!, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_WRITE, align: 1 });
  header(3, { name: shstrtab.offsets[3]!, type: SHT_SYMTAB, link: 4, info: 1, align: 8, entsize: 24 });
  header(4, { name: shstrtab.offsets[4]!, type: SHT_STRTAB, align: 1 });
  header(5, { name: shstrtab.offsets[5]!, type: SHT_STRTAB, align: 1 });
  return out;
}

function strings(list: string[]): { data: Buffer; offsets: number[] } {
  const offsets: number[] = [];
  let at = 0;
  for (const s of list) {
    offsets.push(at);
    at += Buffer.byteLength(s) + 1;
  }
  return { data: Buffer.from(list.map((s) => `${s}\0`).join('')), offsets };
}
