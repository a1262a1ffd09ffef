import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { seconds, vmLog } from './log.js';
import { shortPath } from './paths.js';

const XEN_ELFNOTE_PHYS32_ENTRY = 18;

/** The compressed payload inside a bzImage, as the boot protocol's setup header locates it. */
function payloadOf(bzImage: Buffer): Buffer {
  if (bzImage.toString('latin1', 0x202, 0x206) !== 'HdrS') throw new Error('not a bzImage (no HdrS)');
  const setupSects = bzImage[0x1f1] || 4;
  const offset = (setupSects + 1) * 512 + bzImage.readUInt32LE(0x248);
  return bzImage.subarray(offset, offset + bzImage.readUInt32LE(0x24c));
}

async function decompress(payload: Buffer): Promise<Buffer> {
  // The build appends the uncompressed size (size_append): strip it, then check it.
  const size = payload.readUInt32LE(payload.length - 4);
  const body = payload.subarray(0, payload.length - 4);
  let out: Buffer;
  if (body[0] === 0x1f && body[1] === 0x8b) out = gunzipSync(body);
  else {
    const tool = body.readUInt32BE(0) === 0xfd377a58 ? ['xz', '-dc', '--single-stream'] : body.readUInt32LE(0) === 0xfd2fb528 ? ['zstd', '-dc'] : undefined;
    if (!tool) throw new Error(`unknown compression (magic ${body.subarray(0, 4).toString('hex')})`);
    const r = await execa(tool[0] as string, tool.slice(1), { input: body, encoding: 'buffer', reject: false });
    if (r.exitCode !== 0) throw new Error(`${tool.join(' ')} exited ${r.exitCode ?? '?'}`);
    out = Buffer.from(r.stdout);
  }
  if (out.length !== size) throw new Error(`decompressed ${out.length} bytes, the image says ${size}`);
  return out;
}

/** True when the ELF has a Xen PHYS32_ENTRY note, i.e. qemu can boot it directly (PVH). */
export function hasPvhNote(elf: Buffer): boolean {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  for (let i = 0; i < elf.readUInt16LE(56); i++) {
    const ph = phoff + i * phentsize;
    if (elf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    let at = Number(elf.readBigUInt64LE(ph + 8));
    const end = at + Number(elf.readBigUInt64LE(ph + 32));
    while (at + 12 <= end) {
      const [namesz, descsz, type] = [elf.readUInt32LE(at), elf.readUInt32LE(at + 4), elf.readUInt32LE(at + 8)];
      const name = elf.toString('latin1', at + 12, at + 12 + namesz).replace(/\0+$/, '');
      if (name === 'Xen' && type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
      at += 12 + Math.ceil(namesz / 4) * 4 + Math.ceil(descsz / 4) * 4;
    }
  }
  return false;
}

/**
 * The kernel to hand qemu: the uncompressed ELF vmlinux (cached next to the bzImage) when it has
 * a PVH entry point, because decompressing the bzImage under TCG costs about two seconds of
 * every boot; otherwise the bzImage itself.
 */
export async function bootableKernel(vmlinuz: string): Promise<string> {
  const vmlinux = vmlinuz.replace(/vmlinuz-/, 'vmlinux-');
  if (existsSync(vmlinux)) return vmlinux;
  if (existsSync(`${vmlinux}.no-pvh`)) return vmlinuz;
  const started = performance.now();
  try {
    const elf = await decompress(payloadOf(await readFile(vmlinuz)));
    if (!hasPvhNote(elf)) throw new Error('no PVH entry note');
    await writeFile(`${vmlinux}.tmp-${process.pid}`, elf);
    await rename(`${vmlinux}.tmp-${process.pid}`, vmlinux);
    vmLog(`kernel: unpacked ${shortPath(vmlinux)} for PVH boot in ${seconds(performance.now() - started)}`);
    return vmlinux;
  } catch (e) {
    vmLog(`kernel: booting the bzImage (no PVH vmlinux: ${(e as Error).message})`);
    await writeFile(`${vmlinux}.no-pvh`, `${(e as Error).message}\n`);
    return vmlinuz;
  }
}
