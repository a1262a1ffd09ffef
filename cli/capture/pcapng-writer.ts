/**
 * Writes pcapng: one section header (shb_userappl "dmmlab"), one IDB per interface
 * (if_name such as `mr11:core`, if_description, if_tsresol 9 so timestamps are
 * nanoseconds) and enhanced packet blocks with optional opt_comment options.
 *
 * Blocks are encoded little-endian into a 1 MiB chunk that goes to a sink when full:
 * a file descriptor (written as we go) or a list of chunks (`buildPcapng`).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { DmmlabError } from '../errors.js';

/** An interface to declare with an IDB. */
export interface PcapngInterface {
  /** if_name, e.g. `mr11:core` (node:iface) or `dmmlab:events`. */
  name: string;
  /** LINKTYPE_* of the packets captured on it. */
  linkType: number;
  /** if_description. */
  description?: string;
  /** Snap length to declare (default 262144, as tcpdump). */
  snapLength?: number;
}

/** A packet to write as an EPB. */
export interface PcapngPacket {
  /** Id returned by `addInterface` (IDB order). */
  interfaceId: number;
  /** Nanoseconds since the Unix epoch. */
  timestampNs: bigint;
  /** Captured bytes. */
  data: Uint8Array;
  /** Length on the wire (default: `data.length`). */
  originalLength?: number;
  /** opt_comment options, shown by Wireshark as packet comments. */
  comments?: readonly string[];
}

/** Section header options. */
export interface PcapngSectionOptions {
  /** shb_userappl (default "dmmlab"). */
  application?: string;
  /** shb_os, if wanted. */
  os?: string;
  /** shb_hardware, if wanted. */
  hardware?: string;
}

const CHUNK = 1 << 20;
const encoder = new TextEncoder();
const pad4 = (n: number): number => (n + 3) & ~3;

/** Encodes pcapng blocks and hands full chunks to a sink. */
export class PcapngWriter {
  private chunk = new Uint8Array(CHUNK);
  private view = new DataView(this.chunk.buffer);
  private used = 0;
  private readonly linkTypes: number[] = [];
  private closed = false;
  private count = 0;

  /** `sink` receives encoded bytes in order; it must copy or consume them before returning. */
  constructor(
    private readonly sink: { write(bytes: Uint8Array): void; close?(): void },
    section: PcapngSectionOptions = {},
  ) {
    const opts: [number, Uint8Array][] = [[4, encoder.encode(section.application ?? 'dmmlab')]];
    if (section.os !== undefined) opts.push([3, encoder.encode(section.os)]);
    if (section.hardware !== undefined) opts.push([2, encoder.encode(section.hardware)]);
    const total = 28 + optionsLength(opts);
    const p = this.reserve(total);
    const v = this.view;
    v.setUint32(p, 0x0a0d0d0a, true);
    v.setUint32(p + 4, total, true);
    v.setUint32(p + 8, 0x1a2b3c4d, true);
    v.setUint16(p + 12, 1, true);
    v.setUint16(p + 14, 0, true);
    v.setBigInt64(p + 16, -1n, true);
    this.writeOptions(p + 24, opts);
    v.setUint32(p + total - 4, total, true);
  }

  /** Packets written so far. */
  get packets(): number {
    return this.count;
  }

  /** Writes an IDB and returns the interface id packets must use. */
  addInterface(iface: PcapngInterface): number {
    this.assertOpen();
    if (!iface.name) throw new DmmlabError('E_USAGE', 'pcapng interface needs a name');
    const opts: [number, Uint8Array][] = [[2, encoder.encode(iface.name)]];
    if (iface.description !== undefined) opts.push([3, encoder.encode(iface.description)]);
    opts.push([9, Uint8Array.of(9)]);
    const total = 20 + optionsLength(opts);
    const p = this.reserve(total);
    const v = this.view;
    v.setUint32(p, 1, true);
    v.setUint32(p + 4, total, true);
    v.setUint16(p + 8, iface.linkType, true);
    v.setUint16(p + 10, 0, true);
    v.setUint32(p + 12, iface.snapLength ?? 262144, true);
    this.writeOptions(p + 16, opts);
    v.setUint32(p + total - 4, total, true);
    this.linkTypes.push(iface.linkType);
    return this.linkTypes.length - 1;
  }

  /** Writes one EPB. */
  writePacket(pkt: PcapngPacket): void {
    this.assertOpen();
    if (pkt.interfaceId < 0 || pkt.interfaceId >= this.linkTypes.length) {
      throw new DmmlabError('E_USAGE', `pcapng packet refers to undeclared interface ${pkt.interfaceId}`);
    }
    if (pkt.timestampNs < 0n) throw new DmmlabError('E_USAGE', `pcapng packet timestamp ${pkt.timestampNs} is negative`);
    const comments = pkt.comments;
    let opts: [number, Uint8Array][] | undefined;
    if (comments && comments.length > 0) opts = comments.map((c) => [1, encoder.encode(c)] as [number, Uint8Array]);
    const dataLen = pkt.data.length;
    const total = 32 + pad4(dataLen) + (opts ? optionsLength(opts) : 0);
    const p = this.reserve(total);
    const v = this.view;
    const ts = pkt.timestampNs;
    v.setUint32(p, 6, true);
    v.setUint32(p + 4, total, true);
    v.setUint32(p + 8, pkt.interfaceId, true);
    v.setUint32(p + 12, Number(ts >> 32n), true);
    v.setUint32(p + 16, Number(BigInt.asUintN(32, ts)), true);
    v.setUint32(p + 20, dataLen, true);
    v.setUint32(p + 24, pkt.originalLength ?? dataLen, true);
    this.chunk.set(pkt.data, p + 28);
    this.chunk.fill(0, p + 28 + dataLen, p + 28 + pad4(dataLen));
    if (opts) this.writeOptions(p + 28 + pad4(dataLen), opts);
    v.setUint32(p + total - 4, total, true);
    this.count++;
  }

  /** Hands everything buffered to the sink. */
  flush(): void {
    if (this.used === 0) return;
    this.sink.write(this.chunk.subarray(0, this.used));
    this.used = 0;
  }

  /** Flushes and closes the sink; later writes throw. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.sink.close?.();
  }

  private assertOpen(): void {
    if (this.closed) throw new DmmlabError('E_USAGE', 'pcapng writer is closed');
  }

  /** Makes room for `n` contiguous bytes and returns their offset in the chunk. */
  private reserve(n: number): number {
    if (this.used + n > this.chunk.length) {
      this.flush();
      if (n > this.chunk.length) {
        this.chunk = new Uint8Array(pad4(n));
        this.view = new DataView(this.chunk.buffer);
      }
    }
    const p = this.used;
    this.used += n;
    return p;
  }

  /** Writes options followed by opt_endofopt at `p`. */
  private writeOptions(p: number, opts: [number, Uint8Array][]): void {
    const v = this.view;
    for (const [code, value] of opts) {
      v.setUint16(p, code, true);
      v.setUint16(p + 2, value.length, true);
      this.chunk.set(value, p + 4);
      this.chunk.fill(0, p + 4 + value.length, p + 4 + pad4(value.length));
      p += 4 + pad4(value.length);
    }
    v.setUint32(p, 0, true);
  }
}

function optionsLength(opts: [number, Uint8Array][]): number {
  let n = 4; // opt_endofopt
  for (const [, value] of opts) {
    if (value.length > 0xffff) throw new DmmlabError('E_USAGE', `pcapng option of ${value.length} bytes is longer than 65535`);
    n += 4 + pad4(value.length);
  }
  return n;
}

/** Creates (truncates) `path` and returns a writer that appends to it as it goes. */
export function createPcapngFile(path: string, section: PcapngSectionOptions = {}): PcapngWriter {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new DmmlabError('E_RUNTIME', `${path}: cannot create pcapng file (${(e as Error).message})`, { cause: e });
  }
  return new PcapngWriter(
    {
      write(bytes) {
        for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
      },
      close() {
        closeSync(fd);
      },
    },
    section,
  );
}

/** Builds a whole pcapng file in memory (tests, small exports). */
export function buildPcapng(interfaces: readonly PcapngInterface[], packets: readonly PcapngPacket[], section: PcapngSectionOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const writer = new PcapngWriter({ write: (b) => void parts.push(b.slice()) }, section);
  for (const i of interfaces) writer.addInterface(i);
  for (const p of packets) writer.writePacket(p);
  writer.flush();
  return Buffer.concat(parts);
}
