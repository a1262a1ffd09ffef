import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFormatError, openCapture, parseCapture, readCapture, type CaptureRecord } from '../../../cli/capture/pcap-reader.js';

// Hand-built byte vectors: every field written explicitly in the byte order under test.
type Order = 'le' | 'be';
const u8 = (...v: number[]): number[] => v;
const u16 = (v: number, o: Order): number[] => (o === 'le' ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff]);
const u32 = (v: number, o: Order): number[] => {
  const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return o === 'le' ? b.reverse() : b;
};
const text = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const padded = (b: number[]): number[] => [...b, ...new Array<number>((4 - (b.length % 4)) % 4).fill(0)];
const option = (code: number, value: number[], o: Order): number[] => [...u16(code, o), ...u16(value.length, o), ...padded(value)];
const endOpt = (o: Order): number[] => [...u16(0, o), ...u16(0, o)];
const block = (type: number, body: number[], o: Order): number[] => {
  const total = 12 + body.length;
  return [...u32(type, o), ...u32(total, o), ...body, ...u32(total, o)];
};
const PKT = u8(0xde, 0xad, 0xbe, 0xef, 0x01);

function pcap(o: Order, nano: boolean, linkType: number, records: { sec: number; frac: number; data: number[]; orig?: number }[]): Uint8Array {
  const out = [...u32(nano ? 0xa1b23c4d : 0xa1b2c3d4, o), ...u16(2, o), ...u16(4, o), ...u32(0, o), ...u32(0, o), ...u32(65535, o), ...u32(linkType, o)];
  for (const r of records) out.push(...u32(r.sec, o), ...u32(r.frac, o), ...u32(r.data.length, o), ...u32(r.orig ?? r.data.length, o), ...r.data);
  return Uint8Array.from(out);
}

const shb = (o: Order, opts: number[] = []): number[] =>
  block(0x0a0d0d0a, [...u32(0x1a2b3c4d, o), ...u16(1, o), ...u16(0, o), ...u32(0xffffffff, o), ...u32(0xffffffff, o), ...opts], o);
const idb = (o: Order, linkType: number, opts: number[]): number[] => block(1, [...u16(linkType, o), ...u16(0, o), ...u32(262144, o), ...opts], o);
const epb = (o: Order, iface: number, tsHigh: number, tsLow: number, data: number[], opts: number[] = [], orig = data.length): number[] =>
  block(6, [...u32(iface, o), ...u32(tsHigh, o), ...u32(tsLow, o), ...u32(data.length, o), ...u32(orig, o), ...padded(data), ...opts], o);

// 1700000000.123456789 s in µs and ns, split into the two 32-bit words of an EPB timestamp
const US = 1700000000123456n;
const NS = 1700000000123456789n;
const hi = (v: bigint): number => Number(v >> 32n);
const lo = (v: bigint): number => Number(v & 0xffffffffn);

function pcapng(o: Order, tsresol: number | undefined): Uint8Array {
  const ifOpts = [...option(2, text('mr11:core'), o), ...option(3, text('link to core'), o)];
  if (tsresol !== undefined) ifOpts.push(...option(9, [tsresol], o));
  ifOpts.push(...endOpt(o));
  const ts = tsresol === 9 ? NS : US;
  return Uint8Array.from([
    ...shb(o, [...option(4, text('test'), o), ...endOpt(o)]),
    ...idb(o, 1, ifOpts),
    ...block(0x0bad, [1, 2, 3, 4], o), // unknown block, skipped
    ...epb(o, 0, hi(ts), lo(ts), PKT, [...option(1, text('first'), o), ...option(1, text('handover mn1 mr11→mr2'), o), ...endOpt(o)], 60),
    ...epb(o, 0, hi(ts), lo(ts) + 1, PKT),
  ]);
}

interface Case {
  name: string;
  bytes: Uint8Array;
  format: 'pcap' | 'pcapng';
  linkType: number;
  name0?: string;
  ts: bigint[];
  orig: number[];
  comments: string[][];
}

const cases: Case[] = [
  ...(['le', 'be'] as const).flatMap((o): Case[] => [
    {
      name: `pcap ${o} µs`,
      bytes: pcap(o, false, 1, [
        { sec: 1700000000, frac: 123456, data: PKT, orig: 60 },
        { sec: 1700000001, frac: 999999, data: [] },
      ]),
      format: 'pcap',
      linkType: 1,
      ts: [1700000000123456000n, 1700000001999999000n],
      orig: [60, 0],
      comments: [[], []],
    },
    {
      name: `pcap ${o} ns`,
      bytes: pcap(o, true, 276, [{ sec: 1700000000, frac: 123456789, data: PKT }]),
      format: 'pcap',
      linkType: 276,
      ts: [1700000000123456789n],
      orig: [5],
      comments: [[]],
    },
    {
      name: `pcapng ${o} default resolution (µs)`,
      bytes: pcapng(o, undefined),
      format: 'pcapng',
      linkType: 1,
      name0: 'mr11:core',
      ts: [US * 1000n, (US + 1n) * 1000n],
      orig: [60, 5],
      comments: [['first', 'handover mn1 mr11→mr2'], []],
    },
    {
      name: `pcapng ${o} if_tsresol 6`,
      bytes: pcapng(o, 6),
      format: 'pcapng',
      linkType: 1,
      name0: 'mr11:core',
      ts: [US * 1000n, (US + 1n) * 1000n],
      orig: [60, 5],
      comments: [['first', 'handover mn1 mr11→mr2'], []],
    },
    {
      name: `pcapng ${o} if_tsresol 9`,
      bytes: pcapng(o, 9),
      format: 'pcapng',
      linkType: 1,
      name0: 'mr11:core',
      ts: [NS, NS + 1n],
      orig: [60, 5],
      comments: [['first', 'handover mn1 mr11→mr2'], []],
    },
  ]),
];

const summary = (r: CaptureRecord) => ({ ts: r.timestampNs, orig: r.originalLength, comments: [...r.comments], data: [...r.data], link: r.linkType });

describe('parseCapture', () => {
  it.each(cases)('$name', (c) => {
    const parsed = parseCapture(c.bytes);
    expect(parsed.format).toBe(c.format);
    expect(parsed.records.map((r) => r.timestampNs)).toEqual(c.ts);
    expect(parsed.records.map((r) => r.originalLength)).toEqual(c.orig);
    expect(parsed.records.map((r) => [...r.comments])).toEqual(c.comments);
    expect(parsed.records.every((r) => r.linkType === c.linkType && r.interfaceIndex === 0)).toBe(true);
    expect(parsed.records[0]?.interfaceName).toBe(c.name0);
    expect([...(parsed.records[0]?.data ?? [])]).toEqual(PKT);
    if (c.format === 'pcapng') expect(parsed.interfaces[0]).toMatchObject({ name: 'mr11:core', description: 'link to core', linkType: 1 });
  });

  it('reads several sections of different byte orders with per-section interface ids', () => {
    const bytes = Uint8Array.from([
      ...shb('le'),
      ...idb('le', 1, [...option(2, text('a:x'), 'le'), ...endOpt('le')]),
      ...epb('le', 0, 0, 1, [1]),
      ...shb('be'),
      ...idb('be', 101, [...option(2, text('b:y'), 'be'), ...endOpt('be')]),
      ...idb('be', 276, [...option(2, text('b:z'), 'be'), ...option(9, [9], 'be'), ...endOpt('be')]),
      ...epb('be', 1, 0, 7, [2]),
      ...epb('be', 0, 0, 3, [3]),
    ]);
    const { records, interfaces } = parseCapture(bytes);
    expect(interfaces.map((i) => [i.index, i.section, i.name, i.linkType])).toEqual([
      [0, 0, 'a:x', 1],
      [1, 1, 'b:y', 101],
      [2, 1, 'b:z', 276],
    ]);
    expect(records.map((r) => [r.interfaceIndex, r.interfaceName, r.linkType, r.timestampNs, r.data[0]])).toEqual([
      [0, 'a:x', 1, 1000n, 1],
      [2, 'b:z', 276, 7n, 2],
      [1, 'b:y', 101, 3000n, 3],
    ]);
  });

  it('handles simple packet blocks, obsolete packet blocks, power-of-two resolution and if_tsoffset', () => {
    const o = 'le';
    const tsoffset = [...u32(100, o), ...u32(0, o)]; // +100 s
    const bytes = Uint8Array.from([
      ...shb(o),
      ...idb(o, 229, [...option(9, [0x80 | 10], o), ...option(14, tsoffset, o), ...endOpt(o)]),
      ...epb(o, 0, 0, 1024, [9]), // 1024/2^10 s = 1 s, +100 s
      ...block(3, [...u32(3, o), ...padded([7, 8, 9])], o), // SPB: no timestamp
      ...block(
        2,
        [...u16(0, o), ...u16(0, o), ...u32(0, o), ...u32(2048, o), ...u32(1, o), ...u32(1, o), ...padded([5]), ...option(1, text('old'), o), ...endOpt(o)],
        o,
      ),
    ]);
    const { records } = parseCapture(bytes);
    expect(records.map(summary)).toEqual([
      { ts: 101_000_000_000n, orig: 1, comments: [], data: [9], link: 229 },
      { ts: 101_000_000_000n, orig: 3, comments: [], data: [7, 8, 9], link: 229 },
      { ts: 102_000_000_000n, orig: 1, comments: ['old'], data: [5], link: 229 },
    ]);
  });

  const bad: { name: string; bytes: Uint8Array; message: RegExp; offset: number }[] = [
    { name: 'empty file', bytes: new Uint8Array(0), message: /empty file/, offset: 0 },
    { name: 'unknown magic', bytes: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), message: /not a pcap or pcapng file \(magic 0x01020304\)/, offset: 0 },
    { name: 'pcap header cut', bytes: pcap('le', false, 1, []).subarray(0, 20), message: /truncated \(20 of 24 bytes of the last header\)/, offset: 0 },
    {
      name: 'pcap record cut',
      bytes: pcap('be', false, 1, [{ sec: 1, frac: 2, data: PKT }]).subarray(0, 24 + 16 + 2),
      message: /truncated \(18 of 21 bytes/,
      offset: 24,
    },
    { name: 'pcapng block cut', bytes: pcapng('le', 9).subarray(0, pcapng('le', 9).length - 3), message: /truncated/, offset: pcapng('le', 9).length - 40 },
    { name: 'pcapng bad trailer', bytes: Uint8Array.from([...shb('le').slice(0, -1), 0x7f]), message: /trailer does not repeat its length/, offset: 24 },
    { name: 'pcapng bad byte-order magic', bytes: Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4]), message: /byte-order magic/, offset: 8 },
    { name: 'EPB on undeclared interface', bytes: Uint8Array.from([...shb('le'), ...epb('le', 3, 0, 0, [1])]), message: /undeclared interface 3/, offset: 28 },
  ];
  it.each(bad)('rejects $name with a clear error', ({ bytes, message, offset }) => {
    let error: unknown;
    try {
      parseCapture(bytes, {}, 'x.pcap');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CaptureFormatError);
    expect((error as CaptureFormatError).message).toMatch(message);
    expect((error as CaptureFormatError).message).toMatch(/^x\.pcap: /);
    expect((error as CaptureFormatError).offset).toBe(offset);
    expect((error as CaptureFormatError).code).toBe('E_INPUT');
  });

  it('stops before a truncated record when asked to', () => {
    const full = pcap('le', true, 1, [
      { sec: 1, frac: 0, data: PKT },
      { sec: 2, frac: 0, data: PKT },
    ]);
    const { records } = parseCapture(full.subarray(0, full.length - 1), { truncated: 'stop' });
    expect(records.map((r) => r.timestampNs)).toEqual([1_000_000_000n]);
  });
});

describe('readCapture (streaming from a file)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-reader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases)('$name read in 7-byte chunks equals the in-memory parse', async (c) => {
    const file = path.join(dir, `${c.name.replace(/\W+/g, '-')}.cap`);
    writeFileSync(file, c.bytes);
    const streamed: CaptureRecord[] = [];
    for await (const r of readCapture(file, { chunkSize: 7 })) streamed.push(r);
    expect(streamed.map(summary)).toEqual(parseCapture(c.bytes).records.map(summary));
  });

  it('exposes the interfaces after open and ends with undefined', async () => {
    const file = path.join(dir, 'ifaces.pcapng');
    writeFileSync(file, pcapng('be', 9));
    const reader = await openCapture(file);
    expect(reader.format).toBe('pcapng');
    expect(reader.interfaces.map((i) => i.name)).toEqual(['mr11:core']);
    expect((await reader.next())?.timestampNs).toBe(NS);
    expect((await reader.next())?.timestampNs).toBe(NS + 1n);
    expect(await reader.next()).toBeUndefined();
    expect(await reader.next()).toBeUndefined();
  });

  it('reports a truncated file with its path and offset', async () => {
    const file = path.join(dir, 'cut.pcap');
    const full = pcap('le', false, 1, [
      { sec: 1, frac: 0, data: PKT },
      { sec: 2, frac: 0, data: PKT },
    ]);
    writeFileSync(file, full.subarray(0, full.length - 2));
    const seen: bigint[] = [];
    const run = async () => {
      for await (const r of readCapture(file, { chunkSize: 16 })) seen.push(r.timestampNs);
    };
    await expect(run()).rejects.toThrow(`${file}: file is truncated (19 of 21 bytes of the last record) at byte 45`);
    expect(seen).toEqual([1_000_000_000n]);
  });

  it('rejects a missing file and an empty file', async () => {
    await expect(openCapture(path.join(dir, 'missing.pcap'))).rejects.toThrow(/cannot open capture/);
    writeFileSync(path.join(dir, 'empty.pcap'), '');
    await expect(openCapture(path.join(dir, 'empty.pcap'))).rejects.toThrow(/empty file/);
  });
});
