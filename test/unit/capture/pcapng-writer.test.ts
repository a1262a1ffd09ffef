import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCapture, readCapture } from '../../../cli/capture/pcap-reader.js';
import { buildPcapng, createPcapngFile, PcapngWriter, type PcapngInterface, type PcapngPacket } from '../../../cli/capture/pcapng-writer.js';

const interfaces: PcapngInterface[] = [
  { name: 'mr11:core', linkType: 1, description: 'veth mr11 in core' },
  { name: 'mn1:any', linkType: 276 },
  { name: 'dmmlab:events', linkType: 101, snapLength: 0 },
];
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const packets: PcapngPacket[] = [
  { interfaceId: 0, timestampNs: 1_700_000_000_123_456_789n, data: bytes(60, 1) },
  { interfaceId: 1, timestampNs: 1_700_000_000_123_456_790n, data: bytes(1, 2), originalLength: 1500, comments: ['handover mn1 mr11→mr2'] },
  { interfaceId: 2, timestampNs: 0n, data: bytes(0, 3), comments: ['a', '', 'ünïcødé <&>', 'x'.repeat(1001)] },
  { interfaceId: 0, timestampNs: (1n << 64n) - 1n, data: bytes(3, 4) },
];

describe('pcapng writer', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-writer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips interfaces, nanosecond timestamps, lengths and comments through the reader', () => {
    const parsed = parseCapture(buildPcapng(interfaces, packets));
    expect(parsed.format).toBe('pcapng');
    expect(parsed.interfaces.map((i) => [i.name, i.description, i.linkType, i.snapLength])).toEqual([
      ['mr11:core', 'veth mr11 in core', 1, 262144],
      ['mn1:any', undefined, 276, 262144],
      ['dmmlab:events', undefined, 101, 0],
    ]);
    expect(
      parsed.records.map((r) => ({
        i: r.interfaceIndex,
        name: r.interfaceName,
        ts: r.timestampNs,
        data: [...r.data],
        orig: r.originalLength,
        comments: [...r.comments],
      })),
    ).toEqual(
      packets.map((p) => ({
        i: p.interfaceId,
        name: interfaces[p.interfaceId]?.name,
        ts: p.timestampNs,
        data: [...p.data],
        orig: p.originalLength ?? p.data.length,
        comments: [...(p.comments ?? [])],
      })),
    );
  });

  it('writes shb_userappl "dmmlab" and if_tsresol 9, little-endian, blocks 4-byte aligned', () => {
    const b = Buffer.from(buildPcapng([interfaces[0] as PcapngInterface], []));
    expect(b.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(b.readUInt32LE(8)).toBe(0x1a2b3c4d);
    expect([b.readUInt16LE(24), b.readUInt16LE(26), b.subarray(28, 34).toString()]).toEqual([4, 6, 'dmmlab']);
    const shbLen = b.readUInt32LE(4);
    expect(shbLen % 4).toBe(0);
    const idb = b.subarray(shbLen);
    expect(idb.readUInt32LE(0)).toBe(1);
    const tsresol = idb.indexOf(Buffer.from([9, 0, 1, 0, 9]));
    expect(tsresol).toBeGreaterThan(0);
    expect(b.length % 4).toBe(0);
  });

  it('streams to a file, including packets larger than its buffer', async () => {
    const file = path.join(dir, 'big.pcapng');
    const w = createPcapngFile(file, { os: 'Linux' });
    const id = w.addInterface(interfaces[0] as PcapngInterface);
    const big = bytes(1_500_000, 9);
    for (let i = 0; i < 3000; i++) w.writePacket({ interfaceId: id, timestampNs: BigInt(i), data: bytes(1000, i) });
    w.writePacket({ interfaceId: id, timestampNs: 5000n, data: big, comments: ['big'] });
    w.writePacket({ interfaceId: id, timestampNs: 5001n, data: bytes(10, 1) });
    expect(w.packets).toBe(3002);
    await w.close();
    await w.close();
    let n = 0;
    let last: { ts: bigint; len: number } | undefined;
    let bigOk = false;
    for await (const r of readCapture(file)) {
      if (r.timestampNs === 5000n)
        bigOk = r.data.length === big.length && Buffer.compare(Buffer.from(r.data), Buffer.from(big)) === 0 && r.comments[0] === 'big';
      last = { ts: r.timestampNs, len: r.data.length };
      n++;
    }
    expect([n, last, bigOk]).toEqual([3002, { ts: 5001n, len: 10 }, true]);
    expect(readFileSync(file).includes(Buffer.from('Linux'))).toBe(true);
  });

  const misuse: { name: string; act: (w: PcapngWriter) => unknown; message: RegExp }[] = [
    {
      name: 'packet on an undeclared interface',
      act: (w) => w.writePacket({ interfaceId: 1, timestampNs: 0n, data: bytes(1, 0) }),
      message: /undeclared interface 1/,
    },
    { name: 'negative timestamp', act: (w) => w.writePacket({ interfaceId: 0, timestampNs: -1n, data: bytes(1, 0) }), message: /negative/ },
    { name: 'interface without a name', act: (w) => w.addInterface({ name: '', linkType: 1 }), message: /needs a name/ },
    {
      name: 'comment longer than an option can hold',
      act: (w) => w.writePacket({ interfaceId: 0, timestampNs: 0n, data: bytes(1, 0), comments: ['x'.repeat(70000)] }),
      message: /longer than 65535/,
    },
  ];
  it.each(misuse)('rejects $name', ({ act, message }) => {
    const w = new PcapngWriter({ write: () => {} });
    w.addInterface({ name: 'a:b', linkType: 1 });
    expect(() => act(w)).toThrow(message);
  });

  it('rejects writes after close', async () => {
    const w = new PcapngWriter({ write: () => {} });
    await w.close();
    expect(() => w.addInterface({ name: 'a:b', linkType: 1 })).toThrow(/closed/);
  });
});
