import type { CaptureData, FlowUnit } from './capture-data.js';
import { mod32 } from './numbers.js';

/**
 * Turns TCP segments into record sightings. A TCP flow is a stream of records of
 * one size; record k (from 1) starts at stream byte (k-1)·size. A segment is a
 * sighting of every record whose first byte it carries (by TCP sequence number,
 * relative to the stream origin found from any captured record header), so a
 * record is identified across interfaces by (flow, record number) whatever the
 * segmentation, and a retransmitted segment is a second sighting of the same
 * records. Streams of more than 2 GiB (sequence wrap) are not unwrapped.
 */
export function tcpRecords(data: CaptureData): void {
  for (const stream of data.tcp.values()) {
    const { flow, base, size } = stream;
    if (flow === undefined || base === undefined || !size) continue;
    const units = data.units[flow] as Map<number, FlowUnit>;
    for (const seg of stream.segments) {
      const rel = mod32(seg.seq - base);
      if (rel >= 2 ** 31) continue; // before the stream origin
      const last = Math.floor((rel + seg.len - 1) / size);
      for (let k = Math.ceil(rel / size); k <= last; k++) {
        let u = units.get(k + 1);
        if (!u) units.set(k + 1, (u = { seq: k + 1, sightings: [] }));
        u.sightings.push(seg.sighting);
      }
    }
  }
  data.tcp.clear();
}
