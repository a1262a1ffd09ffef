/**
 * Merges per-interface captures (pcap or pcapng, one per `node:iface`) into one
 * pcapng ordered by time: a streaming k-way merge over a binary heap, one IDB per
 * input interface (link types kept), and the run's events shown twice where they
 * happened: as an opt_comment on the first captured packet at or after the event,
 * and as a synthetic IPv6/UDP syslog packet (::1 → ::1 port 514, raw IP link type)
 * on an extra `dmmlab:events` interface, which also carries the comment. tshark
 * shows them with `-e frame.interface_name -e frame.comment -e syslog.msg`.
 */
import { unlink } from 'node:fs/promises';
import { DmmlabError } from '../errors.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { LinkType } from './packet-decode.js';
import { openCapture, type CaptureFileReader, type CaptureRecord, type CaptureReadOptions } from './pcap-reader.js';
import { createPcapngFile, type PcapngWriter } from './pcapng-writer.js';

/** One capture to merge. */
export interface MergeInput {
  /** pcap or pcapng file. */
  path: string;
  /** if_name to give it, e.g. `mr11:core`; default: the file's own if_name, else `<path>#<index>`. In a file with several interfaces, those after the first get `<name>/<their own name or index>`. */
  interfaceName?: string;
  /** if_description; default: the file's own. */
  description?: string;
}

/** Something that happened during the run, to show in the capture. */
export interface MergeEvent {
  /** When it happened, nanoseconds since the Unix epoch (same clock as the captures). */
  timestampNs: bigint;
  /** What happened, e.g. "handover mn1 mr11→mr2". */
  text: string;
}

export interface MergeOptions {
  /** Captures to merge. */
  inputs: readonly MergeInput[];
  /** pcapng file to write (replaced). */
  output: string;
  /** Events to annotate; need not be sorted. */
  events?: readonly MergeEvent[];
  /** Name of the interface carrying the synthetic event packets (default `dmmlab:events`). */
  eventsInterface?: string;
  /** Truncated inputs (tcpdump killed mid-write): throw (default) or keep what precedes the cut. */
  truncated?: CaptureReadOptions['truncated'];
  /** Progress reporting. */
  progress?: Progress;
}

/** What the merge wrote. */
export interface MergeResult {
  /** Captured packets written (synthetic event packets excluded). */
  packets: number;
  /** Synthetic event packets written. */
  eventPackets: number;
  /** Captured packets that received at least one event comment. */
  annotatedPackets: number;
  /** if_name of each output interface, in interface id order. */
  interfaces: string[];
  /** Time of the first packet written, if any. */
  firstTimestampNs?: bigint;
  /** Time of the last packet written, if any. */
  lastTimestampNs?: bigint;
}

/** Default name of the events interface. */
export const EVENTS_INTERFACE = 'dmmlab:events';
const MAX_TEXT = 8000;

interface Source {
  reader: CaptureFileReader;
  input: MergeInput;
  order: number;
  record: CaptureRecord;
  /** Output interface id per input interfaceIndex. */
  ids: Map<number, number>;
}

/** Merges `inputs` into `output`; on failure the partial output is removed. */
export async function mergeCaptures(options: MergeOptions): Promise<MergeResult> {
  const progress = options.progress ?? silentProgress;
  const readOpts: CaptureReadOptions = { truncated: options.truncated ?? 'throw' };
  const readers: CaptureFileReader[] = [];
  let writer: PcapngWriter | undefined;
  try {
    for (const input of options.inputs) readers.push(await openCapture(input.path, readOpts));
    progress.phase(`merging ${readers.length} captures into ${options.output}`);
    writer = createPcapngFile(options.output);
    const result = await mergeInto(writer, readers, options);
    await writer.close();
    progress.done(`${result.packets} packets, ${result.eventPackets} events`);
    return result;
  } catch (e) {
    await Promise.allSettled(readers.map((r) => r.close()));
    if (writer) {
      await writer.close().catch(() => {});
      await unlink(options.output).catch(() => {});
    }
    throw e;
  }
}

async function mergeInto(writer: PcapngWriter, readers: CaptureFileReader[], options: MergeOptions): Promise<MergeResult> {
  const names: string[] = [];
  const declare = (src: Pick<Source, 'reader' | 'input' | 'ids'>, index: number): number => {
    const all = src.reader.interfaces;
    const iface = all.find((i) => i.index === index);
    if (!iface) throw new DmmlabError('E_INPUT', `${src.input.path}: packet on undeclared interface ${index}`);
    const own = iface.name ?? `${src.input.path}#${index}`;
    const base = src.input.interfaceName;
    const name = base === undefined ? own : index === all[0]?.index ? base : `${base}/${iface.name ?? index}`;
    const description = src.input.description ?? iface.description;
    const id = writer.addInterface({ name, linkType: iface.linkType, snapLength: iface.snapLength, ...(description !== undefined ? { description } : {}) });
    names.push(name);
    src.ids.set(index, id);
    return id;
  };

  const heap: Source[] = [];
  for (const [order, reader] of readers.entries()) {
    const input = options.inputs[order] as MergeInput;
    const src = { reader, input, ids: new Map<number, number>() };
    for (const i of reader.interfaces) declare(src, i.index);
    const record = await reader.next(); // already buffered by open
    if (record) heapPush(heap, { ...src, order, record });
  }

  const events = [...(options.events ?? [])]
    .map((e, i) => ({ ...e, text: clip(e.text), i }))
    .sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : a.i - b.i));
  let eventsId = -1;
  if (events.length > 0) {
    eventsId = writer.addInterface({
      name: options.eventsInterface ?? EVENTS_INTERFACE,
      linkType: LinkType.RAW,
      description: 'dmmlab run events (syslog to ::1)',
    });
    names.push(options.eventsInterface ?? EVENTS_INTERFACE);
  }

  const result: MergeResult = { packets: 0, eventPackets: 0, annotatedPackets: 0, interfaces: names };
  const seen = (ts: bigint): void => {
    result.firstTimestampNs ??= ts;
    result.lastTimestampNs = ts;
  };
  let ei = 0;
  let waiting: string[] = [];
  const emitEvent = (e: MergeEvent): void => {
    writer.writePacket({ interfaceId: eventsId, timestampNs: e.timestampNs, data: syslogPacket(e.text), comments: [e.text] });
    waiting.push(e.text);
    result.eventPackets++;
    seen(e.timestampNs);
  };

  while (heap.length > 0) {
    const top = heap[0] as Source;
    const rec = top.record;
    while (ei < events.length && (events[ei] as MergeEvent).timestampNs <= rec.timestampNs) emitEvent(events[ei++] as MergeEvent);
    const id = top.ids.get(rec.interfaceIndex) ?? declare(top, rec.interfaceIndex);
    let comments = rec.comments;
    if (waiting.length > 0) {
      comments = comments.length > 0 ? [...comments, ...waiting] : waiting;
      waiting = [];
      result.annotatedPackets++;
    }
    writer.writePacket({ interfaceId: id, timestampNs: rec.timestampNs, data: rec.data, originalLength: rec.originalLength, comments });
    result.packets++;
    seen(rec.timestampNs);
    const next = await top.reader.next();
    if (next) {
      top.record = next;
      siftDown(heap, 0);
    } else {
      const last = heap.pop() as Source;
      if (heap.length > 0) {
        heap[0] = last;
        siftDown(heap, 0);
      }
    }
  }
  while (ei < events.length) emitEvent(events[ei++] as MergeEvent);
  return result;
}

function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}…`;
}

const before = (a: Source, b: Source): boolean =>
  a.record.timestampNs < b.record.timestampNs || (a.record.timestampNs === b.record.timestampNs && a.order < b.order);

function heapPush(heap: Source[], s: Source): void {
  heap.push(s);
  for (let i = heap.length - 1; i > 0;) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i] as Source, heap[parent] as Source)) break;
    [heap[i], heap[parent]] = [heap[parent] as Source, heap[i] as Source];
    i = parent;
  }
}

function siftDown(heap: Source[], i: number): void {
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < n && before(heap[l] as Source, heap[m] as Source)) m = l;
    if (r < n && before(heap[r] as Source, heap[m] as Source)) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m] as Source, heap[i] as Source];
    i = m;
  }
}

const encoder = new TextEncoder();
const SYSLOG_PREFIX = encoder.encode('<133>dmmlab: '); // facility local0, severity notice

/**
 * A raw IPv6/UDP syslog packet from ::1 port 514 to ::1 port 514 carrying `text`
 * (RFC 3164 style, tag `dmmlab:`); tshark's Info column shows "LOCAL0.NOTICE: dmmlab: <text>".
 */
export function syslogPacket(text: string): Uint8Array {
  const msg = encoder.encode(text);
  const udpLen = 8 + SYSLOG_PREFIX.length + msg.length;
  const b = new Uint8Array(40 + udpLen);
  b[0] = 0x60;
  b[4] = udpLen >> 8;
  b[5] = udpLen & 0xff;
  b[6] = 17;
  b[7] = 64;
  b[23] = 1; // src ::1
  b[39] = 1; // dst ::1
  b[40] = 514 >> 8;
  b[41] = 514 & 0xff;
  b[42] = 514 >> 8;
  b[43] = 514 & 0xff;
  b[44] = udpLen >> 8;
  b[45] = udpLen & 0xff;
  b.set(SYSLOG_PREFIX, 48);
  b.set(msg, 48 + SYSLOG_PREFIX.length);
  const sum = udpChecksum(b);
  b[46] = sum >> 8;
  b[47] = sum & 0xff;
  return b;
}

/** UDP checksum over the IPv6 pseudo-header and the datagram that starts at byte 40. */
function udpChecksum(b: Uint8Array): number {
  const udpLen = b.length - 40;
  let s = udpLen + 17;
  for (let i = 8; i < 40; i += 2) s += ((b[i] as number) << 8) | (b[i + 1] as number);
  for (let i = 40; i < b.length; i += 2) s += ((b[i] as number) << 8) | (i + 1 < b.length ? (b[i + 1] as number) : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  const c = ~s & 0xffff;
  return c === 0 ? 0xffff : c;
}
