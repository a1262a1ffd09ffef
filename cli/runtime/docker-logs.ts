import type Dockerode from 'dockerode';
import { errorText } from '../errors.js';

/**
 * Text of a non-TTY container's log as the API sends it: frames of an 8-byte
 * header (stream, 0, 0, 0, big-endian length) and a payload. Input that does
 * not look framed (a TTY container) is returned as is.
 */
export function demuxDockerLog(buf: Buffer): string {
  const parts: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const stream = buf[off];
    if ((stream !== 0 && stream !== 1 && stream !== 2) || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) return buf.toString('utf8');
    const len = buf.readUInt32BE(off + 4);
    parts.push(buf.subarray(off + 8, off + 8 + len));
    off += 8 + len;
  }
  if (off < buf.length && parts.length === 0) return buf.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

/** The last `n` lines a container wrote (stdout and stderr), or a note saying why there are none. */
export async function containerLogTail(container: Dockerode.Container, n = 20): Promise<string[]> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, follow: false, tail: n })) as unknown;
    const text = Buffer.isBuffer(raw) ? demuxDockerLog(raw) : String(raw);
    const lines = text
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l.trim() !== '');
    return lines.length > 0 ? lines.slice(-n) : ['(no output)'];
  } catch (e) {
    return [`(logs unavailable: ${errorText(e)})`];
  }
}
