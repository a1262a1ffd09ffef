import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeCaptures, syslogPacket, type MergeEvent } from '../../../cli/capture/merge.js';
import { decodePacket } from '../../../cli/capture/packet-decode.js';
import { parseCapture } from '../../../cli/capture/pcap-reader.js';
import { buildPcapng } from '../../../cli/capture/pcapng-writer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Classic little-endian µs pcap of raw IPv6 packets whose first byte tags them. */
function pcapFile(name: string, packets: [tsUs: number, tag: number][]): string {
  const parts = [Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 101, 0, 0, 0])];
  for (const [us, tag] of packets) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Math.floor(us / 1e6), 0);
    h.writeUInt32LE(us % 1e6, 4);
    h.writeUInt32LE(2, 8);
    h.writeUInt32LE(2, 12);
    parts.push(h, Buffer.from([0x60, tag]));
  }
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

const us = (n: number): bigint => BigInt(n) * 1000n;

describe('mergeCaptures', () => {
  const a = pcapFile('a.pcap', [
    [10, 1],
    [30, 3],
    [50, 5],
  ]);
  const b = pcapFile('b.pcap', [
    [20, 2],
    [30, 4],
    [60, 6],
  ]);
  const empty = pcapFile('empty.pcap', []);
  const multi = path.join(dir, 'multi.pcapng');
  writeFileSync(
    multi,
    buildPcapng(
      [
        { name: 'x', linkType: 229 },
        { name: 'y', linkType: 1, description: 'second' },
      ],
      [
        { interfaceId: 1, timestampNs: us(40), data: Uint8Array.of(0x60, 7), comments: ['from input'] },
        { interfaceId: 0, timestampNs: us(45), data: Uint8Array.of(0x60, 8) },
      ],
    ),
  );
  const events: MergeEvent[] = [
    { timestampNs: us(60), text: 'after everything else at 60' },
    { timestampNs: us(25), text: 'handover mn1 mr11→mr2' },
    { timestampNs: us(5), text: 'start' },
    { timestampNs: us(25), text: 'BU sent' },
    { timestampNs: us(99), text: 'end' },
  ];

  it('interleaves inputs by time, declares every interface and annotates events twice', async () => {
    const out = path.join(dir, 'merged.pcapng');
    const result = await mergeCaptures({
      output: out,
      inputs: [
        { path: a, interfaceName: 'mr11:core', description: 'veth' },
        { path: b, interfaceName: 'core:mr11' },
        { path: empty, interfaceName: 'mr2:core' },
        { path: multi, interfaceName: 'mn1:any' },
      ],
      events,
    });
    const parsed = parseCapture(readFileSync(out));
    expect(parsed.interfaces.map((i) => [i.name, i.linkType, i.description])).toEqual([
      ['mr11:core', 101, 'veth'],
      ['core:mr11', 101, undefined],
      ['mr2:core', 101, undefined],
      ['mn1:any', 229, undefined],
      ['mn1:any/y', 1, 'second'],
      ['dmmlab:events', 101, 'dmmlab run events (syslog to ::1)'],
    ]);
    const rows = parsed.records.map((r) => {
      const ev = r.interfaceName === 'dmmlab:events';
      return [Number(r.timestampNs / 1000n), ev ? 'event' : r.data[1], r.interfaceName, r.comments.join(' | ')];
    });
    expect(rows).toEqual([
      [5, 'event', 'dmmlab:events', 'start'],
      [10, 1, 'mr11:core', 'start'],
      [20, 2, 'core:mr11', ''],
      [25, 'event', 'dmmlab:events', 'handover mn1 mr11→mr2'],
      [25, 'event', 'dmmlab:events', 'BU sent'],
      [30, 3, 'mr11:core', 'handover mn1 mr11→mr2 | BU sent'],
      [30, 4, 'core:mr11', ''],
      [40, 7, 'mn1:any/y', 'from input'],
      [45, 8, 'mn1:any', ''],
      [50, 5, 'mr11:core', ''],
      [60, 'event', 'dmmlab:events', 'after everything else at 60'],
      [60, 6, 'core:mr11', 'after everything else at 60'],
      [99, 'event', 'dmmlab:events', 'end'],
    ]);
    expect(result).toEqual({
      packets: 8,
      eventPackets: 5,
      annotatedPackets: 3,
      interfaces: ['mr11:core', 'core:mr11', 'mr2:core', 'mn1:any', 'mn1:any/y', 'dmmlab:events'],
      firstTimestampNs: us(5),
      lastTimestampNs: us(99),
    });
  });

  it('leaves out the events interface when there are no events and keeps own names by default', async () => {
    const out = path.join(dir, 'plain.pcapng');
    const result = await mergeCaptures({ output: out, inputs: [{ path: multi }, { path: a }] });
    expect(result.interfaces).toEqual(['x', 'y', `${a}#0`]);
    expect(result.eventPackets).toBe(0);
    expect(parseCapture(readFileSync(out)).records.length).toBe(5);
  });

  it('removes the partial output and closes inputs when an input is damaged', async () => {
    const cut = path.join(dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(a).subarray(0, 24 + 18 + 5));
    const out = path.join(dir, 'failed.pcapng');
    await expect(mergeCaptures({ output: out, inputs: [{ path: b }, { path: cut }] })).rejects.toThrow(/cut\.pcap: file is truncated/);
    expect(existsSync(out)).toBe(false);
    const kept = await mergeCaptures({ output: out, inputs: [{ path: b }, { path: cut }], truncated: 'stop' });
    expect(kept.packets).toBe(4);
  });
});

describe('syslogPacket', () => {
  it('is IPv6/UDP from ::1:514 to ::1:514 with a correct checksum and the text as syslog message', () => {
    const p = syslogPacket('handover mn1 mr11→mr2');
    const d = decodePacket(101, p);
    expect(d.malformed).toBeUndefined();
    expect(d.layers.map((l) => [l.src, l.dst, l.protocol])).toEqual([['::1', '::1', 17]]);
    expect(d.transport).toEqual({ kind: 'udp', srcPort: 514, dstPort: 514, length: p.length - 40 });
    expect(Buffer.from(d.payload).toString()).toBe('<133>dmmlab: handover mn1 mr11→mr2');
    // one's-complement sum over pseudo-header and datagram, checksum included, is 0xffff
    let s = p.length - 40 + 17 + 1 + 1;
    for (let i = 40; i < p.length; i += 2) s += ((p[i] as number) << 8) | (p[i + 1] ?? 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    expect(s).toBe(0xffff);
  });
});
