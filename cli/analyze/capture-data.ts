import type { SourceValidator } from './source-validation.js';
import type { CapturePoints, Direction } from './capture-points.js';
import type { HeaderTable } from './header-table.js';

/** One observation of a flow packet on one capture point. */
export interface Sighting {
  /** CapturePoint index. */
  point: number;
  /** Capture time, monotonic ms. */
  t: number;
  /** Sent or received by the point's node. */
  dir: Direction;
  /** Hop limit of the outermost IPv6 header (tells two passes over the same link apart). */
  hopLimit: number;
  /** HeaderTable id of the packet's address stack. */
  headers: number;
}

/** One packet of a flow (a UDP datagram, a TCP record, an echo request), with every sighting of it. */
export interface FlowUnit {
  /** Sequence number: flow header (UDP), record number (TCP), echo sequence (ICMP). */
  seq: number;
  /** Send time from the flow header, monotonic ms (undefined for ICMP and TCP records whose header was never captured whole). */
  sendMs?: number;
  /** Every capture of it. */
  sightings: Sighting[];
}

/** A TCP data segment as captured, mapped to records once its stream's origin is known. */
export interface TcpSegment {
  /** TCP sequence number of the first payload byte. */
  seq: number;
  /** Payload bytes the IP header declares. */
  len: number;
  /** Where and when it was captured. */
  sighting: Sighting;
}

/** One direction of a TCP connection (innermost addresses and ports). */
export interface TcpStream {
  /** Flow index, once a segment showed a record header of a known flow. */
  flow?: number;
  /** TCP sequence number of the stream's first record (byte 0 of record 1). */
  base?: number;
  /** Record size from the header's length field. */
  size?: number;
  /** Data segments in capture-file order. */
  segments: TcpSegment[];
}

/** Every capture of one MH message (same addresses and bytes). */
export interface MhSightings {
  /** Innermost source and destination addresses. */
  src: string;
  dst: string;
  /** The MH (UDP payload), copied. */
  bytes: Uint8Array;
  /** Capture times, monotonic ms (one per interface it crossed, and per retransmission). */
  times: number[];
  /** The same captures with where they were and which way the frame went (parallel to `times`). */
  seen: { point: number; dir: Direction }[];
}

/** What the analysis keeps of the captures: flow packets and MH messages, compactly. */
export interface CaptureData {
  /** The interfaces packets were seen on. */
  points: CapturePoints;
  /** Address stacks the sightings refer to. */
  headers: HeaderTable;
  /** Per flow (index into AnalysisInput.flows): its units by sequence number. */
  units: Map<number, FlowUnit>[];
  /** TCP streams by `src|sport|dst|dport`. */
  tcp: Map<string, TcpStream>;
  /** MH messages by `src|dst|hash`. */
  mh: Map<string, MhSightings>;
  /** Native home-address packets leaving MRs' uplinks, checked as they are read. */
  sources: SourceValidator;
  /** Addresses seen on access links, sent by or to a mobile node: address → mobile node. */
  accessAddresses: Map<string, string>;
  /** Capture points that had a readable file, or packets in one (merged pcapng, tcpdump -i any). */
  captured: Set<number>;
  /** Files read (wholly or in part) and packets in them. */
  files: number;
  packets: number;
  /** Files missing or damaged. */
  warnings: string[];
}
