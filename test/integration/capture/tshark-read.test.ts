import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCaptures, syslogPacket } from '../../../cli/capture/merge.js';
import { buildPcapng, createPcapngFile } from '../../../cli/capture/pcapng-writer.js';
import { findProgram, run } from '../../../cli/util/exec.js';
import { parseAddress } from '../../../shared/ipv6.js';

// Wireshark is the consumer of our pcapng: these tests read what we write with tshark 4.x.
// Field names that work there: frame.interface_name, frame.interface_description,
// frame.comment (pkt_comment is only the protocol name), syslog.msg, _ws.col.Info.

const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  if (!findProgram('tshark')) throw new Error('tshark is not installed (apt-get install tshark)');
});

/** Rows of tab-separated fields, several values of one field joined by '|'. */
async function fields(file: string, names: string[], filter?: string): Promise<string[][]> {
  const argv = ['tshark', '-r', file, '-T', 'fields', '-E', 'aggregator=|', ...names.flatMap((n) => ['-e', n])];
  if (filter) argv.push('-Y', filter);
  const r = await run(argv);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

const addr = (text: string): number[] => {
  const v = parseAddress(text);
  return Array.from({ length: 16 }, (_, i) => Number((v >> BigInt(8 * (15 - i))) & 0xffn));
};
/** Raw IPv6/UDP packet (checksum left 0, which tshark does not verify by default). */
const udp6 = (src: string, dst: string, sport: number, dport: number, payload: string): Uint8Array => {
  const p = [...Buffer.from(payload)];
  const len = 8 + p.length;
  return Uint8Array.from([
    0x60,
    0,
    0,
    0,
    len >> 8,
    len & 0xff,
    17,
    64,
    ...addr(src),
    ...addr(dst),
    sport >> 8,
    sport & 0xff,
    dport >> 8,
    dport & 0xff,
    len >> 8,
    len & 0xff,
    0,
    0,
    ...p,
  ]);
};
/** The same packet inside an outer IPv6 header (IPv6-in-IPv6). */
const inOuter = (src: string, dst: string, inner: Uint8Array): Uint8Array =>
  Uint8Array.from([0x60, 0, 0, 0, inner.length >> 8, inner.length & 0xff, 41, 63, ...addr(src), ...addr(dst), ...inner]);

describe('tshark reads our pcapng', () => {
  it('keeps interface names, descriptions, nanosecond times and packet comments', async () => {
    const file = path.join(dir, 'written.pcapng');
    writeFileSync(
      file,
      buildPcapng(
        [
          { name: 'mr11:core', linkType: 101, description: 'mr11 side of the core link' },
          { name: 'core:mr11', linkType: 229 },
        ],
        [
          {
            interfaceId: 0,
            timestampNs: 1_700_000_000_123_456_789n,
            data: udp6('2001:db8:1::11', '2001:db8:2::1', 40000, 5001, 'x'),
            comments: ['handover mn1 mr11→mr2', 'second comment'],
          },
          {
            interfaceId: 1,
            timestampNs: 1_700_000_000_123_456_790n,
            data: inOuter('2001:db8:1:1::11', '2001:db8:1:1::1', udp6('2001:db8:8000::10', '2001:db8:2::1', 1, 2, 'y')),
          },
        ],
      ),
    );
    const rows = await fields(file, [
      'frame.interface_id',
      'frame.interface_name',
      'frame.interface_description',
      'frame.time_epoch',
      'frame.comment',
      'ipv6.src',
      'udp.dstport',
    ]);
    expect(rows).toEqual([
      ['0', 'mr11:core', 'mr11 side of the core link', '1700000000.123456789', 'handover mn1 mr11→mr2|second comment', '2001:db8:1::11', '5001'],
      ['1', 'core:mr11', '', '1700000000.123456790', '', '2001:db8:1:1::11|2001:db8:8000::10', '2'],
    ]);
  });

  it('shows merged event annotations as comments and as syslog packets on dmmlab:events', async () => {
    const a = path.join(dir, 'a.pcapng');
    const w = createPcapngFile(a);
    const id = w.addInterface({ name: 'ignored', linkType: 101 });
    for (let i = 0; i < 5; i++)
      w.writePacket({ interfaceId: id, timestampNs: 1_000_000_000n + BigInt(i) * 1_000_000n, data: udp6('2001:db8::1', '2001:db8::2', 5000, 5001, `p${i}`) });
    await w.close();
    const out = path.join(dir, 'merged.pcapng');
    await mergeCaptures({
      inputs: [{ path: a, interfaceName: 'mn1:mr11' }],
      output: out,
      events: [
        { timestampNs: 1_002_500_000n, text: 'handover mn1 mr11→mr2' },
        { timestampNs: 1_000_000_000n, text: 'flow cbr1 starts' },
      ],
    });
    const rows = await fields(out, ['frame.number', 'frame.interface_name', 'frame.comment', 'syslog.msg', '_ws.col.Info']);
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      ['1', 'dmmlab:events', 'flow cbr1 starts', 'dmmlab: flow cbr1 starts'],
      ['2', 'mn1:mr11', 'flow cbr1 starts', ''],
      ['3', 'mn1:mr11', '', ''],
      ['4', 'mn1:mr11', '', ''],
      ['5', 'dmmlab:events', 'handover mn1 mr11→mr2', 'dmmlab: handover mn1 mr11→mr2'],
      ['6', 'mn1:mr11', 'handover mn1 mr11→mr2', ''],
      ['7', 'mn1:mr11', '', ''],
    ]);
    expect(rows[4]?.[4]).toBe('LOCAL0.NOTICE: dmmlab: handover mn1 mr11→mr2');
    const checks = await fields(out, ['udp.checksum.status'], 'syslog');
    expect(checks.length).toBe(2);
    const verified = await run([
      'tshark',
      '-r',
      out,
      '-o',
      'udp.check_checksum:TRUE',
      '-Y',
      'syslog && udp.checksum.status == 1',
      '-T',
      'fields',
      '-e',
      'frame.number',
    ]);
    expect(verified.stdout.trim().split('\n')).toEqual(['1', '5']);
  });

  it('decodes a standalone syslog event packet', async () => {
    const file = path.join(dir, 'one.pcapng');
    writeFileSync(file, buildPcapng([{ name: 'dmmlab:events', linkType: 101 }], [{ interfaceId: 0, timestampNs: 1n, data: syslogPacket('a <b> & "c"') }]));
    expect(await fields(file, ['ipv6.src', 'ipv6.dst', 'udp.srcport', 'udp.dstport', 'syslog.msg'])).toEqual([
      ['::1', '::1', '514', '514', 'dmmlab: a <b> & "c"'],
    ]);
  });
});
