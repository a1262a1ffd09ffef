/**
 * IPv6 addresses and prefixes as 128-bit bigints: parsing, RFC 5952 text,
 * containment and sub-prefix arithmetic. Pure; shared by the orchestrator and the agent.
 */

export interface Prefix {
  /** Network address (host bits zero). */
  addr: bigint;
  len: number;
}

const MAX = (1n << 128n) - 1n;

/** Parses an IPv6 address; throws on anything that is not one. */
export function parseAddress(text: string): bigint {
  const s = text.trim().toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(s) || s.includes(':::')) throw new Error(`not an IPv6 address: ${text}`);
  const halves = s.split('::');
  if (halves.length > 2) throw new Error(`not an IPv6 address: ${text}`);
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) throw new Error(`not an IPv6 address: ${text}`);
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) throw new Error(`not an IPv6 address: ${text}`);
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) throw new Error(`not an IPv6 address: ${text}`);
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

export function isAddress(text: string): boolean {
  try {
    parseAddress(text);
    return true;
  } catch {
    return false;
  }
}

/** RFC 5952 canonical text: lower case, longest run of two or more zero groups as "::". */
export function formatAddress(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

export function parsePrefix(text: string): Prefix {
  const [a, l, extra] = text.trim().split('/');
  if (a === undefined || l === undefined || extra !== undefined || !/^\d{1,3}$/.test(l)) throw new Error(`not an IPv6 prefix: ${text}`);
  const len = Number(l);
  if (len > 128) throw new Error(`not an IPv6 prefix: ${text}`);
  const addr = parseAddress(a);
  return { addr: addr & mask(len), len };
}

/** Whether the text's address has host bits set beyond its length (2001:db8::1/64). */
export function hasHostBits(text: string): boolean {
  const [a, l] = text.split('/');
  const addr = parseAddress(a ?? '');
  return (addr & ~mask(Number(l)) & MAX) !== 0n;
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.addr)}/${p.len}`;
}

export function mask(len: number): bigint {
  if (len <= 0) return 0n;
  return (MAX << BigInt(128 - len)) & MAX;
}

export function contains(outer: Prefix, addr: bigint): boolean {
  return (addr & mask(outer.len)) === outer.addr;
}

export function containsPrefix(outer: Prefix, inner: Prefix): boolean {
  return inner.len >= outer.len && contains(outer, inner.addr);
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return containsPrefix(a, b) || containsPrefix(b, a);
}

/** The `index`-th sub-prefix of length `len` inside `outer`. */
export function subPrefix(outer: Prefix, len: number, index: bigint | number): Prefix {
  if (len < outer.len) throw new Error(`/${len} does not fit inside ${formatPrefix(outer)}`);
  const i = BigInt(index);
  const count = 1n << BigInt(len - outer.len);
  if (i < 0n || i >= count) throw new Error(`sub-prefix ${i} of /${len} is outside ${formatPrefix(outer)}`);
  return { addr: outer.addr | (i << BigInt(128 - len)), len };
}

/** The address `outer.addr + offset` (host part), e.g. ::1 of a /64. */
export function hostAddress(outer: Prefix, offset: bigint | number): bigint {
  const o = BigInt(offset);
  if (o < 0n || o >= 1n << BigInt(128 - outer.len)) throw new Error(`host ${o} is outside ${formatPrefix(outer)}`);
  return outer.addr | o;
}

/** Canonical text of any address or prefix text (for comparisons and output). */
export function canonical(text: string): string {
  const known = canonicalCache.get(text);
  if (known !== undefined) return known;
  const c = text.includes('/') ? formatPrefix(parsePrefix(text)) : formatAddress(parseAddress(text));
  // A lab has a few thousand addresses at most; the signalling path canonicalises each peer's on every message.
  if (canonicalCache.size >= CANONICAL_CACHE_MAX) canonicalCache.clear();
  canonicalCache.set(text, c);
  return c;
}

const CANONICAL_CACHE_MAX = 4096;
const canonicalCache = new Map<string, string>();

/** EUI-64 interface identifier from a MAC (universal/local bit flipped), as the kernel derives SLAAC and link-local addresses. */
export function eui64(mac: string): bigint {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  if (b.length !== 6 || b.some((x) => Number.isNaN(x))) throw new Error(`not a MAC address: ${mac}`);
  const bytes = [(b[0] as number) ^ 0x02, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]] as number[];
  return bytes.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
}

/** The link-local address the kernel gives an interface with this MAC (addr_gen_mode eui64). */
export function linkLocalFromMac(mac: string): string {
  return formatAddress((0xfe80n << 112n) | eui64(mac));
}
