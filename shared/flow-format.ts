/**
 * The payload of every packet (UDP) or record (TCP) of a flow the agents
 * generate, so that a receiver and a capture reader recognise it:
 *
 *   0-3   magic "DMMF" (0x444d4d46)
 *   4-7   flow id: FNV-1a 32-bit hash of the flow name
 *   8-11  sequence number (uint32, the first packet is 1)
 *   12-19 send time, nanoseconds on CLOCK_MONOTONIC (uint64; every node on the host shares it)
 *   20-23 total payload length (uint32, header included)
 *   24-   zero padding up to the length
 *
 * All fields are big-endian. A TCP stream is a sequence of such records of
 * one fixed length, so it can be cut at multiples of that length.
 */
export const FLOW_MAGIC = 0x444d4d46;
/** Bytes of the header; the smallest valid payload. */
export const FLOW_HEADER_BYTES = 24;

export interface FlowHeader {
  /** FNV-1a 32-bit hash of the flow name (`flowHash`). */
  flowId: number;
  /** Sequence number, uint32; the first packet of a flow is 1. */
  seq: number;
  /** Send time in nanoseconds on CLOCK_MONOTONIC (`process.hrtime.bigint()`). */
  sendNs: bigint;
  /** Total payload length in bytes, header included (at least FLOW_HEADER_BYTES). */
  length: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bits, over the bytes given (a string is hashed as UTF-8). */
export function fnv1a32(data: string | Uint8Array): number {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let h = FNV_OFFSET;
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  return h >>> 0;
}

/** The flow id carried in the header for a flow name. */
export function flowHash(name: string): number {
  return fnv1a32(name);
}

/** Writes the header into `target` at `offset` (the padding is left as it is). */
export function writeFlowHeader(target: Uint8Array, h: FlowHeader, offset = 0): void {
  const v = new DataView(target.buffer, target.byteOffset + offset, FLOW_HEADER_BYTES);
  v.setUint32(0, FLOW_MAGIC);
  v.setUint32(4, h.flowId >>> 0);
  v.setUint32(8, h.seq >>> 0);
  v.setBigUint64(12, BigInt.asUintN(64, h.sendNs));
  v.setUint32(20, h.length >>> 0);
}

/** A payload of `h.length` bytes: the header, then zeros. */
export function encodeFlowHeader(h: FlowHeader): Uint8Array {
  if (!Number.isInteger(h.length) || h.length < FLOW_HEADER_BYTES)
    throw new RangeError(`flow payload length ${h.length} is shorter than the ${FLOW_HEADER_BYTES}-byte header`);
  const out = new Uint8Array(h.length);
  writeFlowHeader(out, h);
  return out;
}

/**
 * Reads a header from a payload (or a record cut from a TCP stream).
 * Undefined when the magic is wrong, the header is cut short, the length
 * field is below the header size, or it differs from `bytes.length`; with
 * `truncated`, a payload shorter than its length field is accepted (a capture
 * taken with a small snap length). Never throws.
 */
export function decodeFlowHeader(bytes: Uint8Array, opts: { truncated?: boolean } = {}): FlowHeader | undefined {
  if (bytes.length < FLOW_HEADER_BYTES) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, FLOW_HEADER_BYTES);
  if (v.getUint32(0) !== FLOW_MAGIC) return undefined;
  const length = v.getUint32(20);
  if (length < FLOW_HEADER_BYTES) return undefined;
  if (opts.truncated ? bytes.length > length : bytes.length !== length) return undefined;
  return { flowId: v.getUint32(4), seq: v.getUint32(8), sendNs: v.getBigUint64(12), length };
}
