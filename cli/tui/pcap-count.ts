import { open } from 'node:fs/promises';

const HEADER = 24;
const RECORD = 16;
const CHUNK = 1 << 20;

interface FileCount {
  offset: number;
  littleEndian: boolean | undefined;
  packets: number;
}

/**
 * Counts the packets of classic pcap files that are still being written
 * (tcpdump -U), reading only what was added since the last call: record
 * headers are walked, a record cut at the end of the file waits for the next
 * call. Cheap enough to poll twice a second for a whole lab.
 */
export class PcapCounter {
  private readonly files = new Map<string, FileCount>();

  /** Packets in every file given, counted so far. */
  async count(paths: readonly string[]): Promise<number> {
    let total = 0;
    for (const p of paths) total += await this.countOne(p).catch(() => this.files.get(p)?.packets ?? 0);
    return total;
  }

  private async countOne(path: string): Promise<number> {
    const c = this.files.get(path) ?? { offset: 0, littleEndian: undefined, packets: 0 };
    this.files.set(path, c);
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      if (c.littleEndian === undefined) {
        if (size < HEADER) return c.packets;
        const head = Buffer.alloc(4);
        await fh.read(head, 0, 4, 0);
        const magic = head.readUInt32LE(0);
        if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) c.littleEndian = true;
        else if (head.readUInt32BE(0) === 0xa1b2c3d4 || head.readUInt32BE(0) === 0xa1b23c4d) c.littleEndian = false;
        else return c.packets; // not classic pcap: nothing to count
        c.offset = HEADER;
      }
      const header = Buffer.alloc(RECORD);
      let reads = 0;
      while (c.offset + RECORD <= size && reads++ < CHUNK) {
        await fh.read(header, 0, RECORD, c.offset);
        const incl = c.littleEndian ? header.readUInt32LE(8) : header.readUInt32BE(8);
        if (c.offset + RECORD + incl > size) break;
        c.offset += RECORD + incl;
        c.packets++;
      }
      return c.packets;
    } finally {
      await fh.close();
    }
  }
}
