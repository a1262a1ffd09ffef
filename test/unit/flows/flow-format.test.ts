import { describe, expect, it } from 'vitest';
import { FLOW_HEADER_BYTES, FLOW_MAGIC, decodeFlowHeader, encodeFlowHeader, flowHash, fnv1a32, writeFlowHeader } from '../../../shared/flow-format.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('FNV-1a 32', () => {
  // Vectors from the FNV reference (http://www.isthe.com/chongo/src/fnv/test_fnv.c).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['b', 0xe70c2de5],
    ['foobar', 0xbf9cf968],
    ['chongo was here!\n', 0xd49930d5],
  ])('hashes %j to %s', (text, want) => {
    expect(fnv1a32(text)).toBe(want);
    expect(fnv1a32(new TextEncoder().encode(text))).toBe(want);
  });

  it('hashes a flow name as its UTF-8 bytes, unsigned', () => {
    expect(flowHash('f1')).toBe(fnv1a32(Buffer.from('f1')));
    expect(flowHash('flöw')).toBe(fnv1a32(Buffer.from('flöw', 'utf8')));
    for (const name of ['f1', 'voice', 'x'.repeat(300)]) expect(flowHash(name)).toBeGreaterThanOrEqual(0);
  });
});

describe('flow header', () => {
  const h = { flowId: 0xdeadbeef, seq: 0x01020304, sendNs: 0x1122334455667788n, length: 40 };

  it('lays out magic, flow id, sequence, send time and length big-endian, then zeros', () => {
    const b = encodeFlowHeader(h);
    expect(b.length).toBe(40);
    expect(hex(b.subarray(0, 4))).toBe('444d4d46');
    expect(Buffer.from(b.subarray(0, 4)).toString('latin1')).toBe('DMMF');
    expect(hex(b.subarray(4, 8))).toBe('deadbeef');
    expect(hex(b.subarray(8, 12))).toBe('01020304');
    expect(hex(b.subarray(12, 20))).toBe('1122334455667788');
    expect(hex(b.subarray(20, 24))).toBe('00000028');
    expect([...b.subarray(24)].every((x) => x === 0)).toBe(true);
    expect(FLOW_MAGIC).toBe(0x444d4d46);
    expect(FLOW_HEADER_BYTES).toBe(24);
  });

  it('round-trips, including the largest values', () => {
    expect(decodeFlowHeader(encodeFlowHeader(h))).toEqual(h);
    const max = { flowId: 0xffffffff, seq: 0xffffffff, sendNs: 2n ** 64n - 1n, length: 24 };
    expect(decodeFlowHeader(encodeFlowHeader(max))).toEqual(max);
  });

  it('decodes a header inside a larger buffer (a view with an offset)', () => {
    const big = new Uint8Array(100);
    writeFlowHeader(big, { ...h, length: 32 }, 50);
    expect(decodeFlowHeader(big.subarray(50, 82))).toEqual({ ...h, length: 32 });
  });

  it('writes consecutive records of a TCP stream that cut at multiples of the size', () => {
    const size = 32;
    const stream = new Uint8Array(size * 3);
    for (let i = 0; i < 3; i++) writeFlowHeader(stream, { flowId: 7, seq: i + 1, sendNs: BigInt(i), length: size }, i * size);
    const seqs = [0, 1, 2].map((i) => decodeFlowHeader(stream.subarray(i * size, (i + 1) * size))?.seq);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['shorter than the header', encodeFlowHeader(h).subarray(0, 23)],
    ['wrong magic', Uint8Array.from(encodeFlowHeader(h), (x, i) => (i === 0 ? 0x45 : x))],
    ['length field larger than the payload', encodeFlowHeader(h).subarray(0, 39)],
    ['length field smaller than the payload', Uint8Array.from([...encodeFlowHeader(h), 0])],
    [
      'length field below the header size',
      (() => {
        const b = encodeFlowHeader(h);
        b[23] = 10;
        return b.subarray(0, 10 + 14);
      })(),
    ],
    ['random bytes', Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 255)],
  ])('answers undefined for %s, never throws', (_what, bytes) => {
    expect(decodeFlowHeader(bytes)).toBeUndefined();
  });

  it('accepts a payload cut short by the capture only when asked', () => {
    const cut = encodeFlowHeader(h).subarray(0, 30);
    expect(decodeFlowHeader(cut)).toBeUndefined();
    expect(decodeFlowHeader(cut, { truncated: true })).toEqual(h);
    expect(decodeFlowHeader(Uint8Array.from([...encodeFlowHeader(h), 0]), { truncated: true })).toBeUndefined();
  });

  it('refuses to encode a payload shorter than its header', () => {
    expect(() => encodeFlowHeader({ ...h, length: 23 })).toThrow(/shorter than the 24-byte header/);
  });
});
