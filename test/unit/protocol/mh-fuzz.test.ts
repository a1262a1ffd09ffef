import { describe, expect, it } from 'vitest';
import { type DecodeResult, decodeMessage, encodeMessage, withoutPadding } from '../../../shared/protocol/index.js';
import { DST, SAMPLES, SRC, prng } from './mh-samples.js';

const REASONS = ['truncated', 'bad-length', 'unknown-type', 'bad-payload-proto', 'bad-option'];

/** Decodes without letting an exception escape; whatever decodes must re-encode to the same message (padding aside). */
function probe(bytes: Uint8Array): DecodeResult {
  let r: DecodeResult;
  try {
    r = decodeMessage(bytes);
  } catch (e) {
    throw new Error(`decodeMessage threw on ${Buffer.from(bytes).toString('hex')}: ${String(e)}`, { cause: e });
  }
  if (!r.ok) {
    expect(REASONS).toContain(r.error.reason);
    return r;
  }
  const again = decodeMessage(encodeMessage(r.message));
  expect(again.ok && withoutPadding(again.message)).toEqual(withoutPadding(r.message));
  return r;
}

const valid = SAMPLES.map(([name, msg]) => [name, encodeMessage(msg, { src: SRC, dst: DST })] as const);

describe('decodeMessage on hostile input', () => {
  it('survives 20000 random byte strings, half of them with a plausible header', () => {
    const rnd = prng(0x5eed);
    for (let i = 0; i < 20000; i++) {
      const len = Math.floor(rnd() * 300);
      const b = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
      if (i % 2 === 0 && len >= 8) {
        b[0] = 59;
        b[1] = Math.floor(len / 8) - 1;
        b[2] = [5, 6, 11, 14, 15, 16, 17, 18][i % 8] as number;
        probe(b.slice(0, Math.floor(len / 8) * 8));
      } else {
        probe(b);
      }
    }
  });

  it.each(valid)('%s: every truncation fails cleanly', (_name, bytes) => {
    for (let n = 0; n < bytes.length; n++) {
      const r = probe(bytes.slice(0, n));
      expect(r.ok).toBe(false);
    }
  });

  it.each(valid)('%s: every single bit flip decodes or fails cleanly', (_name, bytes) => {
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const b = bytes.slice();
      b[bit >> 3] = (b[bit >> 3] as number) ^ (1 << (bit & 7));
      probe(b);
    }
  });

  it('survives option lengths set to every value in every sample', () => {
    for (const [, bytes] of valid) {
      for (let at = 12; at < bytes.length; at++) {
        for (const v of [0, 1, 2, 5, 16, 17, 18, 127, 255]) {
          const b = bytes.slice();
          b[at] = v;
          probe(b);
        }
      }
    }
  });
});
