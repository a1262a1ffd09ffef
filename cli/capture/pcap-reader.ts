/**
 * Reads classic pcap (both byte orders, micro- and nanosecond magic, Kuznetzov's
 * modified format) and pcapng (several sections of either byte order, IDB with
 * if_name/if_description/if_tsresol/if_tsoffset, EPB, SPB, the obsolete PB, packet
 * comments; every other block is skipped).
 *
 * One incremental parser serves both entry points: `parseCapture` over bytes in
 * memory and `openCapture`/`readCapture` streaming a file in chunks, so a 1 GB
 * capture never sits in memory. Packet data are views into the chunk they were read
 * with (no copy); a chunk is never written to after records point into it.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DmmlabError } from '../errors.js';

/** One packet as read from a capture file. */
export interface CaptureRecord {
  /** Interface the packet was captured on: the IDB's position in the whole file (across sections); 0 for classic pcap. */
  interfaceIndex: number;
  /** The interface's if_name option, when the file names it. */
  interfaceName?: string;
  /** LINKTYPE_* value of the interface (1 Ethernet, 101 raw IP, 113 SLL, 276 SLL2, ...). */
  linkType: number;
  /** Capture time in nanoseconds since the Unix epoch (SPBs, which carry none, repeat the previous packet's time). */
  timestampNs: bigint;
  /** The captured bytes (a view, no copy). */
  data: Uint8Array;
  /** Length of the packet on the wire; more than `data.length` when the snap length cut it. */
  originalLength: number;
  /** opt_comment options of the packet, in file order (shared and frozen when empty). */
  comments: readonly string[];
}

/** An interface described by a pcap header or a pcapng IDB. */
export interface CaptureInterface {
  /** Position in the whole file, as `CaptureRecord.interfaceIndex`. */
  index: number;
  /** Section the IDB belongs to (0 for classic pcap and the first pcapng section). */
  section: number;
  /** LINKTYPE_* value. */
  linkType: number;
  /** Snap length declared by the header or IDB (0: none). */
  snapLength: number;
  /** if_name option. */
  name?: string;
  /** if_description option. */
  description?: string;
}

/** Container format of a capture file. */
export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureReadOptions {
  /** What to do with an incomplete last block or record: throw a CaptureFormatError (default) or stop quietly before it. */
  truncated?: 'throw' | 'stop';
  /** Bytes read from the file at a time (default 1 MiB). */
  chunkSize?: number;
}

/** A capture that is not pcap/pcapng, or is damaged or cut short; names the file and byte offset. */
export class CaptureFormatError extends DmmlabError {
  /** Byte offset in the file where the problem starts. */
  readonly offset: number;
  constructor(source: string, offset: number, problem: string) {
    super('E_INPUT', `${source}: ${problem} at byte ${offset}`);
    this.name = 'CaptureFormatError';
    this.offset = offset;
  }
}

/** Whole capture parsed from memory. */
export interface ParsedCapture {
  /** Container format. */
  format: CaptureFormat;
  /** Every interface the file declares, in order. */
  interfaces: CaptureInterface[];
  /** Every packet, in file order. */
  records: CaptureRecord[];
}

const NO_COMMENTS: readonly string[] = Object.freeze([]);
const SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const utf8 = new TextDecoder('utf-8');

interface IfaceState extends CaptureInterface {
  /** Multiplier and divisor turning raw timestamp units into nanoseconds. */
  mul: bigint;
  div: bigint;
  /** if_tsoffset in nanoseconds. */
  offsetNs: bigint;
}

/**
 * The incremental parser. `step` looks at bytes [off, end) and consumes one header,
 * block or record; it returns the bytes consumed, or 0 when the unit is incomplete
 * (then `needed` tells how many bytes from `off` it wants).
 */
class CaptureParser {
  format: CaptureFormat | undefined;
  readonly interfaces: IfaceState[] = [];
  record: CaptureRecord | undefined;
  needed = 0;
  private le = true;
  private section = -1;
  private sectionBase = 0;
  private pcapRecordHeader = 16;
  private pcapNano = false;
  private lastTs = 0n;

  constructor(private readonly source: string) {}

  step(buf: Uint8Array, view: DataView, off: number, end: number, fileOffset: number): number {
    this.record = undefined;
    const avail = end - off;
    if (this.format === undefined) return this.header(buf, view, off, avail, fileOffset);
    if (this.format === 'pcap') return this.pcapRecord(buf, view, off, avail, fileOffset);
    return this.block(buf, view, off, avail, fileOffset);
  }

  private fail(fileOffset: number, problem: string): never {
    throw new CaptureFormatError(this.source, fileOffset, problem);
  }

  private header(buf: Uint8Array, view: DataView, off: number, avail: number, at: number): number {
    if (avail < 4) return this.want(4);
    const magicBe = view.getUint32(off, false);
    if (magicBe === SHB) {
      this.format = 'pcapng';
      return this.block(buf, view, off, avail, at);
    }
    const magicLe = view.getUint32(off, true);
    const known: Record<number, [nano: boolean, header: number]> = { 0xa1b2c3d4: [false, 16], 0xa1b23c4d: [true, 16], 0xa1b2cd34: [false, 24] };
    const le = known[magicLe] !== undefined;
    const kind = known[magicLe] ?? known[magicBe];
    if (!kind) this.fail(at, `not a pcap or pcapng file (magic 0x${magicBe.toString(16).padStart(8, '0')})`);
    if (avail < 24) return this.want(24);
    this.format = 'pcap';
    this.le = le;
    [this.pcapNano, this.pcapRecordHeader] = kind;
    const linkType = view.getUint32(off + 20, le) & 0xffff;
    const unit = this.pcapNano ? 1n : 1000n;
    this.interfaces.push({ index: 0, section: 0, linkType, snapLength: view.getUint32(off + 16, le), mul: unit, div: 1n, offsetNs: 0n });
    this.section = 0;
    return 24;
  }

  private want(n: number): 0 {
    this.needed = n;
    return 0;
  }

  private pcapRecord(buf: Uint8Array, view: DataView, off: number, avail: number, at: number): number {
    const hdr = this.pcapRecordHeader;
    if (avail < hdr) return this.want(hdr);
    const le = this.le;
    const capLen = view.getUint32(off + 8, le);
    if (capLen > 0x10000000) this.fail(at, `implausible captured length ${capLen}`);
    if (avail < hdr + capLen) return this.want(hdr + capLen);
    const sec = view.getUint32(off, le);
    const frac = view.getUint32(off + 4, le);
    const iface = this.interfaces[0] as IfaceState;
    this.record = {
      interfaceIndex: 0,
      interfaceName: undefined,
      linkType: iface.linkType,
      timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * iface.mul,
      data: buf.subarray(off + hdr, off + hdr + capLen),
      originalLength: view.getUint32(off + 12, le),
      comments: NO_COMMENTS,
    };
    return hdr + capLen;
  }

  private block(buf: Uint8Array, view: DataView, off: number, avail: number, at: number): number {
    if (avail < 12) return this.want(12);
    let type = view.getUint32(off, this.le);
    if (type === SHB) {
      const magic = view.getUint32(off + 8, true);
      if (magic === BYTE_ORDER_MAGIC) this.le = true;
      else if (magic === 0x4d3c2b1a) this.le = false;
      else this.fail(at + 8, 'bad pcapng byte-order magic');
      type = SHB;
    }
    const le = this.le;
    const total = view.getUint32(off + 4, le);
    if (total < 12 || total % 4 !== 0) this.fail(at, `bad pcapng block length ${total}`);
    if (total > 0x10000000) this.fail(at, `implausible pcapng block length ${total}`);
    if (avail < total) return this.want(total);
    if (view.getUint32(off + total - 4, le) !== total) this.fail(at + total - 4, 'pcapng block trailer does not repeat its length');
    switch (type) {
      case SHB:
        this.section++;
        this.sectionBase = this.interfaces.length;
        break;
      case 1:
        this.idb(buf, view, off, total, at);
        break;
      case 6:
        this.packet(buf, view, off, total, at, view.getUint32(off + 8, le), off + 12, 28);
        break;
      case 2:
        this.packet(buf, view, off, total, at, view.getUint16(off + 8, le), off + 12, 28);
        break;
      case 3:
        this.simplePacket(buf, view, off, total, at);
        break;
      default:
        break; // NRB, ISB, DSB, custom and unknown blocks
    }
    if (this.section < 0) this.fail(at, 'pcapng file does not start with a section header block');
    return total;
  }

  private iface(localId: number, at: number): IfaceState {
    const iface = this.interfaces[this.sectionBase + localId];
    if (!iface || iface.section !== this.section) this.fail(at, `packet refers to undeclared interface ${localId}`);
    return iface;
  }

  private idb(buf: Uint8Array, view: DataView, off: number, total: number, at: number): void {
    if (total < 20) this.fail(at, 'interface description block too short');
    const le = this.le;
    const iface: IfaceState = {
      index: this.interfaces.length,
      section: this.section,
      linkType: view.getUint16(off + 8, le),
      snapLength: view.getUint32(off + 12, le),
      mul: 1000n,
      div: 1n,
      offsetNs: 0n,
    };
    this.options(view, off + 16, off + total - 4, at, (code, start, len) => {
      if (code === 2) iface.name = utf8.decode(buf.subarray(start, start + len));
      else if (code === 3) iface.description = utf8.decode(buf.subarray(start, start + len));
      else if (code === 9 && len >= 1) setResolution(iface, buf[start] as number);
      else if (code === 14 && len >= 8) iface.offsetNs = view.getBigInt64(start, le) * 1_000_000_000n;
    });
    this.interfaces.push(iface);
  }

  private packet(buf: Uint8Array, view: DataView, off: number, total: number, at: number, localId: number, tsOff: number, fixed: number): void {
    if (total < fixed + 4) this.fail(at, 'packet block too short');
    const le = this.le;
    const iface = this.iface(localId, at);
    const capLen = view.getUint32(off + 20, le);
    const dataEnd = off + fixed + capLen;
    if (dataEnd > off + total - 4) this.fail(at, `packet block of ${total} bytes cannot hold ${capLen} captured bytes`);
    const raw = (BigInt(view.getUint32(tsOff, le)) << 32n) | BigInt(view.getUint32(tsOff + 4, le));
    let comments = NO_COMMENTS;
    const optStart = off + fixed + ((capLen + 3) & ~3);
    if (optStart < off + total - 4) {
      let list: string[] | undefined;
      this.options(view, optStart, off + total - 4, at, (code, start, len) => {
        if (code === 1) (list ??= []).push(utf8.decode(buf.subarray(start, start + len)));
      });
      if (list) comments = list;
    }
    const ts = (raw * iface.mul) / iface.div + iface.offsetNs;
    this.lastTs = ts;
    this.record = {
      interfaceIndex: iface.index,
      interfaceName: iface.name,
      linkType: iface.linkType,
      timestampNs: ts,
      data: buf.subarray(off + fixed, dataEnd),
      originalLength: view.getUint32(off + 24, le),
      comments,
    };
  }

  private simplePacket(buf: Uint8Array, view: DataView, off: number, total: number, at: number): void {
    if (total < 16) this.fail(at, 'simple packet block too short');
    const iface = this.iface(0, at);
    const origLen = view.getUint32(off + 8, this.le);
    let capLen = Math.min(origLen, total - 16);
    if (iface.snapLength > 0) capLen = Math.min(capLen, iface.snapLength);
    this.record = {
      interfaceIndex: iface.index,
      interfaceName: iface.name,
      linkType: iface.linkType,
      timestampNs: this.lastTs,
      data: buf.subarray(off + 12, off + 12 + capLen),
      originalLength: origLen,
      comments: NO_COMMENTS,
    };
  }

  /** Walks pcapng options in [start, end), calling `each` with the code, value offset and value length. */
  private options(view: DataView, start: number, end: number, at: number, each: (code: number, start: number, len: number) => void): void {
    let p = start;
    while (p + 4 <= end) {
      const code = view.getUint16(p, this.le);
      const len = view.getUint16(p + 2, this.le);
      if (code === 0) return;
      if (p + 4 + len > end) this.fail(at, `option ${code} runs past the end of its block`);
      each(code, p + 4, len);
      p += 4 + ((len + 3) & ~3);
    }
  }
}

function setResolution(iface: IfaceState, v: number): void {
  const exp = BigInt(v & 0x7f);
  if (v & 0x80) {
    iface.mul = 1_000_000_000n;
    iface.div = 1n << exp;
  } else if (exp <= 9n) {
    iface.mul = 10n ** (9n - exp);
    iface.div = 1n;
  } else {
    iface.mul = 1n;
    iface.div = 10n ** (exp - 9n);
  }
}

function publicInterfaces(list: IfaceState[]): CaptureInterface[] {
  return list.map(({ index, section, linkType, snapLength, name, description }) => ({
    index,
    section,
    linkType,
    snapLength,
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
  }));
}

/** Parses a whole capture held in memory (tests, small files). Throws CaptureFormatError on damage. */
export function parseCapture(bytes: Uint8Array, options: CaptureReadOptions = {}, source = '(memory)'): ParsedCapture {
  const parser = new CaptureParser(source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: CaptureRecord[] = [];
  if (bytes.length === 0) throw new CaptureFormatError(source, 0, 'empty file, not a pcap or pcapng capture');
  let off = 0;
  while (off < bytes.length) {
    const n = parser.step(bytes, view, off, bytes.length, off);
    if (n === 0) {
      if (options.truncated === 'stop' && parser.format !== undefined) break;
      throw new CaptureFormatError(
        source,
        off,
        `file is truncated (${bytes.length - off} of ${parser.needed} bytes of the last ${parser.format ? 'record' : 'header'})`,
      );
    }
    if (parser.record) records.push(parser.record);
    off += n;
  }
  return { format: parser.format as CaptureFormat, interfaces: publicInterfaces(parser.interfaces), records };
}

/** A capture file being read in chunks; pull packets with `next()` or `for await`. */
export class CaptureFileReader implements AsyncIterable<CaptureRecord> {
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private off = 0;
  private end = 0;
  private fileOffset = 0;
  private eof = false;
  private closed = false;
  private readonly chunkSize: number;

  private constructor(
    /** Path of the file. */
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly parser: CaptureParser,
    private readonly options: CaptureReadOptions,
  ) {
    this.chunkSize = options.chunkSize ?? 1 << 20;
  }

  /** Opens `path` and reads its header (and any pcapng blocks up to the first packet). */
  static async open(path: string, options: CaptureReadOptions = {}): Promise<CaptureFileReader> {
    const fh = await open(path, 'r').catch((e: unknown) => {
      throw new DmmlabError('E_INPUT', `${path}: cannot open capture (${(e as Error).message})`, { cause: e });
    });
    const reader = new CaptureFileReader(path, fh, new CaptureParser(path), options);
    try {
      await reader.fill(24);
      if (reader.end === 0) throw new CaptureFormatError(path, 0, 'empty file, not a pcap or pcapng capture');
      reader.pending = await reader.next();
    } catch (e) {
      await reader.close();
      throw e;
    }
    return reader;
  }

  private pending: CaptureRecord | undefined;

  /** Container format, known once open. */
  get format(): CaptureFormat {
    return this.parser.format as CaptureFormat;
  }

  /** Interfaces declared so far (all of a classic pcap; pcapng IDBs read up to the current packet). */
  get interfaces(): CaptureInterface[] {
    return publicInterfaces(this.parser.interfaces);
  }

  /** The next packet, or undefined at the end of the file (the file is then closed). */
  async next(): Promise<CaptureRecord | undefined> {
    if (this.pending) {
      const r = this.pending;
      this.pending = undefined;
      return r;
    }
    for (;;) {
      if (this.off >= this.end) {
        if (this.eof) return this.finish();
        await this.fill(1);
        continue;
      }
      const n = this.parser.step(this.buf, this.view, this.off, this.end, this.fileOffset);
      if (n === 0) {
        if (!this.eof) {
          await this.fill(this.parser.needed);
          continue;
        }
        if (this.options.truncated === 'stop' && this.parser.format) return this.finish();
        const got = this.end - this.off;
        await this.close();
        const what = this.parser.format ? 'record' : 'header';
        throw new CaptureFormatError(this.path, this.fileOffset, `file is truncated (${got} of ${this.parser.needed} bytes of the last ${what})`);
      }
      this.off += n;
      this.fileOffset += n;
      if (this.parser.record) return this.parser.record;
    }
  }

  /** Closes the file; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CaptureRecord> {
    try {
      for (let r = await this.next(); r; r = await this.next()) yield r;
    } finally {
      await this.close();
    }
  }

  private async finish(): Promise<undefined> {
    await this.close();
    return undefined;
  }

  /** Reads more of the file into a fresh buffer until at least `need` unread bytes are buffered or the file ends. */
  private async fill(need: number): Promise<void> {
    const left = this.end - this.off;
    const size = Math.max(this.chunkSize, need + (need >> 1)) + left;
    const next = Buffer.allocUnsafe(size);
    next.set(this.buf.subarray(this.off, this.end), 0);
    let filled = left;
    while (filled < need || filled === left) {
      const { bytesRead } = await this.fh.read(next, filled, size - filled, null);
      if (bytesRead === 0) {
        this.eof = true;
        break;
      }
      filled += bytesRead;
    }
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.off = 0;
    this.end = filled;
  }
}

/** Opens a capture for streaming reads. */
export function openCapture(path: string, options: CaptureReadOptions = {}): Promise<CaptureFileReader> {
  return CaptureFileReader.open(path, options);
}

/** Streams every packet of a capture file, closing it at the end or when the loop stops early. */
export async function* readCapture(path: string, options: CaptureReadOptions = {}): AsyncGenerator<CaptureRecord> {
  const reader = await openCapture(path, options);
  yield* reader;
}
