/**
 * The rtnetlink requests of the `ip` lines a handover writes (agent/kernel/mobility-routes.ts):
 * routes (`route replace|del`), policy rules (`rule add|del`) and neighbour entries (`neigh
 * replace|del`), encoded as `ip -6` would send them (same message, flags, header fields and
 * attributes), so that the agent can make them itself on a netlink socket in the node instead of
 * waking its `ip -batch` process. A line of any other form, or naming an interface the node does not
 * have, answers undefined: it goes to `ip` as before. Pure: the caller sends the bytes.
 */
import { parseAddress, parsePrefix } from '../../shared/ipv6.js';

const AF_INET6 = 10;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const RTM_NEWNEIGH = 28;
const RTM_DELNEIGH = 29;
const RTM_NEWRULE = 32;
const RTM_DELRULE = 33;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_TABLE = 15;
const RTA_NH_ID = 30;
const FRA_SRC = 2;
const FRA_IIFNAME = 3;
const FRA_PRIORITY = 6;
const FRA_TABLE = 15;
const FR_ACT_TO_TBL = 1;
const FR_ACT_BLACKHOLE = 6;
const NDA_DST = 1;
const NDA_LLADDR = 2;
const NUD_PERMANENT = 0x80;
const RTN_UNICAST = 1;
const RTN_BLACKHOLE = 6;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RT_TABLE_MAIN = 254;
const TABLE_NAMES: Record<string, number> = { main: RT_TABLE_MAIN, local: 255, default: 253 };

/** Interface index by name in the node (undefined: not there). */
export type IfIndex = (name: string) => number | undefined;

interface Attr {
  type: number;
  data: Uint8Array;
}

/** The request of one `ip -6` batch line, or undefined when it is of a form not encoded here. */
export function netlinkRequest(line: string, ifindex: IfIndex, seq: number): Uint8Array | undefined {
  const words = line.trim().split(/\s+/);
  try {
    if (words[0] === 'route') return route(words.slice(1), ifindex, seq);
    if (words[0] === 'rule') return rule(words.slice(1), ifindex, seq);
    if (words[0] === 'neigh') return neigh(words.slice(1), ifindex, seq);
  } catch {
    // an address or number that does not parse: ip says what is wrong
  }
  return undefined;
}

/** `replace|del [blackhole] PREFIX [table T] [via ADDR] [dev IF] [nhid N] [metric N]`. */
function route(w: string[], ifindex: IfIndex, seq: number): Uint8Array | undefined {
  const cmd = w.shift();
  if (cmd !== 'replace' && cmd !== 'del') return undefined;
  const blackhole = w[0] === 'blackhole';
  if (blackhole) w.shift();
  const dst = prefixOf(w.shift());
  if (!dst) return undefined;
  const kv = pairs(w, ['table', 'via', 'dev', 'nhid', 'metric']);
  if (!kv) return undefined;
  // Attributes in the line's order, the output interface last: as ip adds them.
  const attrs: Attr[] = [{ type: RTA_DST, data: dst.bytes }];
  let table = RT_TABLE_MAIN;
  for (const [k, v] of Object.entries(kv)) {
    if (k === 'table') {
      const t = tableOf(v);
      if (t === undefined) return undefined;
      table = t;
      if (table >= 256) attrs.push({ type: RTA_TABLE, data: u32(table) });
    } else if (k === 'via') attrs.push({ type: RTA_GATEWAY, data: addressBytes(v) });
    else if (k === 'metric') attrs.push({ type: RTA_PRIORITY, data: u32(integer(v)) });
    else if (k === 'nhid') attrs.push({ type: RTA_NH_ID, data: u32(integer(v)) });
  }
  if (kv.dev !== undefined) {
    const i = ifindex(kv.dev);
    if (i === undefined) return undefined;
    attrs.push({ type: RTA_OIF, data: u32(i) });
  }
  const del = cmd === 'del';
  const hdr = new Uint8Array(12);
  hdr[0] = AF_INET6;
  hdr[1] = dst.len;
  hdr[4] = table < 256 ? table : 0;
  hdr[5] = del ? 0 : RTPROT_BOOT;
  hdr[6] = RT_SCOPE_UNIVERSE;
  hdr[7] = blackhole ? RTN_BLACKHOLE : del ? 0 : RTN_UNICAST;
  return message(del ? RTM_DELROUTE : RTM_NEWROUTE, del ? 0 : NLM_F_CREATE | NLM_F_REPLACE, seq, hdr, attrs);
}

/** `add|del pref N [from PREFIX] [iif IF] [lookup T | blackhole]`. */
function rule(w: string[], _ifindex: IfIndex, seq: number): Uint8Array | undefined {
  const cmd = w.shift();
  if (cmd !== 'add' && cmd !== 'del') return undefined;
  const blackhole = w.includes('blackhole');
  const kv = pairs(
    w.filter((x) => x !== 'blackhole'),
    ['pref', 'from', 'iif', 'lookup'],
  );
  if (!kv || kv.pref === undefined) return undefined;
  // Attributes in the line's order, as ip adds them.
  const attrs: Attr[] = [];
  const hdr = new Uint8Array(12);
  hdr[0] = AF_INET6;
  // As ip: a rule with a type (blackhole) or a lookup names its table (none for blackhole); any other added rule looks up main.
  let table = cmd === 'add' && !blackhole ? RT_TABLE_MAIN : 0;
  for (const [k, v] of Object.entries(kv)) {
    if (k === 'pref') attrs.push({ type: FRA_PRIORITY, data: u32(integer(v)) });
    else if (k === 'from') {
      const src = prefixOf(v);
      if (!src) return undefined;
      hdr[2] = src.len;
      attrs.push({ type: FRA_SRC, data: src.bytes });
    } else if (k === 'iif') attrs.push({ type: FRA_IIFNAME, data: new TextEncoder().encode(`${v}\0`) });
    else if (k === 'lookup') {
      const t = tableOf(v);
      if (t === undefined) return undefined;
      table = t;
      if (table >= 256) attrs.push({ type: FRA_TABLE, data: u32(table) });
    }
  }
  hdr[4] = table < 256 ? table : 0;
  hdr[7] = blackhole ? FR_ACT_BLACKHOLE : cmd === 'add' ? FR_ACT_TO_TBL : 0;
  return message(cmd === 'add' ? RTM_NEWRULE : RTM_DELRULE, cmd === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0, seq, hdr, attrs);
}

/** `replace ADDR lladdr MAC dev IF nud permanent`, `del ADDR dev IF`. */
function neigh(w: string[], ifindex: IfIndex, seq: number): Uint8Array | undefined {
  const cmd = w.shift();
  if (cmd !== 'replace' && cmd !== 'del') return undefined;
  const dst = w.shift();
  const kv = pairs(w, ['lladdr', 'dev', 'nud']);
  if (!dst || !kv || kv.dev === undefined) return undefined;
  if (cmd === 'replace' && (kv.lladdr === undefined || kv.nud !== 'permanent')) return undefined;
  const i = ifindex(kv.dev);
  if (i === undefined) return undefined;
  const attrs: Attr[] = [{ type: NDA_DST, data: addressBytes(dst) }];
  if (kv.lladdr !== undefined) {
    const mac = kv.lladdr.split(':').map((h) => parseInt(h, 16));
    if (mac.length !== 6 || mac.some((b) => !(b >= 0 && b <= 255))) return undefined;
    attrs.push({ type: NDA_LLADDR, data: Uint8Array.from(mac) });
  }
  const hdr = new Uint8Array(12);
  const v = new DataView(hdr.buffer);
  hdr[0] = AF_INET6;
  v.setInt32(4, i, true);
  v.setUint16(8, NUD_PERMANENT, true);
  return message(cmd === 'replace' ? RTM_NEWNEIGH : RTM_DELNEIGH, cmd === 'replace' ? NLM_F_CREATE | NLM_F_REPLACE : 0, seq, hdr, attrs);
}

/** Key-value pairs, each key at most once and among `keys`; undefined otherwise. */
function pairs(w: string[], keys: readonly string[]): Record<string, string> | undefined {
  if (w.length % 2 !== 0) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < w.length; i += 2) {
    const k = w[i]!;
    if (!keys.includes(k) || k in out) return undefined;
    out[k] = w[i + 1]!;
  }
  return out;
}

function prefixOf(text: string | undefined): { bytes: Uint8Array; len: number } | undefined {
  if (text === undefined) return undefined;
  if (text === 'default') return { bytes: new Uint8Array(16), len: 0 };
  if (!text.includes('/')) return { bytes: addressBytes(text), len: 128 };
  const p = parsePrefix(text);
  // `ip` refuses a prefix with host bits set; so does this (it goes to ip, which says so).
  if (p.addr !== parseAddress(text.split('/')[0]!)) return undefined;
  return { bytes: bigintBytes(p.addr), len: p.len };
}

function addressBytes(text: string): Uint8Array {
  return bigintBytes(parseAddress(text));
}

function bigintBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function tableOf(text: string): number | undefined {
  const named = TABLE_NAMES[text];
  if (named !== undefined) return named;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function integer(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`not a number: ${text}`);
  return Number(text);
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, true);
  return out;
}

function message(type: number, flags: number, seq: number, hdr: Uint8Array, attrs: readonly Attr[]): Uint8Array {
  const align = (n: number) => (n + 3) & ~3;
  const size = 16 + hdr.length + attrs.reduce((s, a) => s + align(4 + a.data.length), 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, size, true);
  v.setUint16(4, type, true);
  v.setUint16(6, NLM_F_REQUEST | NLM_F_ACK | flags, true);
  v.setUint32(8, seq >>> 0, true);
  out.set(hdr, 16);
  let at = 16 + hdr.length;
  for (const a of attrs) {
    v.setUint16(at, 4 + a.data.length, true);
    v.setUint16(at + 2, a.type, true);
    out.set(a.data, at + 4);
    at += align(4 + a.data.length);
  }
  return out;
}
