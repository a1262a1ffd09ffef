import type { FlowUnit, Sighting } from './capture-data.js';
import { DIR_IN, DIR_OUT, type CapturePoint } from './capture-points.js';
import type { HeaderTable } from './header-table.js';

/** Sightings closer in time than this (ms) are ordered by following the links rather than by their timestamps. */
export const TIE_MS = 0.02;

/** The route of one packet. */
export interface PacketPath {
  /** Nodes in order, consecutive duplicates merged. */
  nodes: string[];
  /** Links crossed encapsulated, with the outermost header's addresses. */
  tunnels: { link: string; outerSrc: string; outerDst: string }[];
  /** Identifies identical paths (nodes and tunnels). */
  key: string;
}

/** One crossing of a link by a packet: the sightings at both ends of it merged. */
interface Traversal {
  /** Undefined when the direction is unknown. */
  from: string | undefined;
  to: string | undefined;
  link: string;
  hopLimit: number;
  /** Both ends of the link (to orient a crossing whose direction is unknown). */
  ends: [string, string];
  t: number;
  headers: number;
}

/**
 * The path of a packet: its sightings grouped into link crossings (the same link,
 * direction, hop limit and address stack: the sender's and the receiver's capture
 * of one crossing), ordered by time; crossings within TIE_MS of each other are
 * chained (the one starting where the path stands goes first), since capture
 * timestamps have microsecond resolution. `origin` orients a first crossing of
 * unknown direction.
 */
export function packetPath(unit: FlowUnit, points: readonly CapturePoint[], headers: HeaderTable, origin?: string): PacketPath | undefined {
  const trs = traversals(unit.sightings, points);
  if (trs.length === 0) return undefined;
  const nodes: string[] = [];
  const tunnels: PacketPath['tunnels'] = [];
  const push = (n: string) => {
    if (nodes[nodes.length - 1] !== n) nodes.push(n);
  };
  while (trs.length > 0) {
    const cur = nodes[nodes.length - 1] ?? origin;
    const limit = (trs[0] as Traversal).t + TIE_MS;
    let pick = 0;
    for (let i = 0; i < trs.length && (trs[i] as Traversal).t <= limit; i++) {
      const tr = trs[i] as Traversal;
      if (tr.from === cur || (tr.from === undefined && tr.ends.includes(cur as string))) {
        pick = i;
        break;
      }
    }
    const tr = trs.splice(pick, 1)[0] as Traversal;
    const [from, to] = orient(tr, cur);
    push(from);
    push(to);
    const stack = headers.get(tr.headers);
    if (stack.length > 1) tunnels.push({ link: `${from}–${to}`, outerSrc: stack[0]?.src ?? '', outerDst: stack[0]?.dst ?? '' });
  }
  const key = `${nodes.join(',')}|${tunnels.map((x) => `${x.link}:${x.outerSrc}>${x.outerDst}`).join(',')}`;
  return { nodes, tunnels, key };
}

function orient(tr: Traversal, cur: string | undefined): [string, string] {
  if (tr.from !== undefined && tr.to !== undefined) return [tr.from, tr.to];
  const [a, b] = tr.ends;
  return cur === b ? [b, a] : [a, b];
}

/** Sightings merged into crossings: same link, direction (unknown is its own), hop limit and address stack. A packet has a handful, so a linear search is cheapest. */
function traversals(sightings: readonly Sighting[], points: readonly CapturePoint[]): Traversal[] {
  const out: Traversal[] = [];
  for (const s of sightings) {
    const p = points[s.point];
    if (p === undefined || p.peer === undefined || p.link === undefined) continue;
    const from = s.dir === DIR_OUT ? p.node : s.dir === DIR_IN ? p.peer : undefined;
    const to = s.dir === DIR_OUT ? p.peer : s.dir === DIR_IN ? p.node : undefined;
    let tr: Traversal | undefined;
    for (const x of out) {
      if (x.link === p.link && x.from === from && x.hopLimit === s.hopLimit && x.headers === s.headers) {
        tr = x;
        break;
      }
    }
    if (tr) tr.t = Math.min(tr.t, s.t);
    else out.push({ from, to, ends: [p.node, p.peer], t: s.t, headers: s.headers, link: p.link, hopLimit: s.hopLimit });
  }
  return out.sort((x, y) => x.t - y.t);
}
