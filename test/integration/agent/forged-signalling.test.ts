/**
 * Signalling is authenticated (RFC 4285-shaped option, HMAC-SHA256 with the lab's key) and
 * replay-protected (timestamp window + remembered tuples). On figure 1 with MN1 at MR11 and a
 * ping flow MN2 → MN1 running over the optimised route (MR31 → MR11), node `cn` sends forged
 * signalling: location updates to LM1 signed with a wrong key, with an unknown SPI, unsigned;
 * an anchor binding and a revocation to MR11; then the exact bytes of a legitimate PBU from MR11
 * to LM1, caught on the wire, within the replay window and again after it. Each one must be
 * logged as `mh.rejected` with the right reason, counted in the receiver's signalling counters,
 * and change nothing: LM1's binding, MR11's route, MR31's cache, and the flow.
 *
 * Forged messages that matter come from an MR's (or the LM's) address: `cn` binds to addresses it
 * does not own (net.ipv6.ip_nonlocal_bind in its namespace), which is what an attacker on the
 * path could do. The legitimate PBU to replay is the periodic location refresh, so the lab uses
 * figure 1 with `bindingLifetime: 10` (a refresh every 5 s) and `cacheLifetime: 600`.
 */
import { ensureBuilt } from '../../support/build.js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ResultPromise, execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PURPOSE, handoff, hnp, hnpsOf, mnId, purposeOf, purposeOption } from '../../../shared/protocol/dmm-options.js';
import { canonical, contains, formatAddress, formatPrefix, parseAddress, parsePrefix } from '../../../shared/ipv6.js';
import {
  BR_FLAG_BITS,
  BU_FLAG_BITS,
  HANDOFF_INDICATOR,
  REVOCATION_TRIGGER,
  decodeMessage,
  encodeMessage,
  makeFlags,
  timestampFromMillis,
  timestampToMillis,
  verifyMessage,
  type MhMessage,
} from '../../../shared/protocol/index.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';

type Json = Record<string, unknown>;
interface Counters {
  sent: number;
  received: number;
  malformed: number;
  unauthenticated: number;
  replayed: number;
  unhandled: number;
}

/** Runs inside a node: JSON lines {id, src, dst, hex} on stdin, one UDP datagram to dst:5436 each, an ack line per datagram. */
const SENDER = `
const dgram = require('node:dgram');
const rl = require('node:readline').createInterface({ input: process.stdin });
const socks = new Map();
async function sock(src) {
  if (!socks.has(src)) {
    const s = dgram.createSocket({ type: 'udp6' });
    await new Promise((res, rej) => { s.once('error', rej); s.bind({ address: src, port: 0 }, res); });
    socks.set(src, s);
  }
  return socks.get(src);
}
rl.on('line', async (line) => {
  const m = JSON.parse(line);
  try {
    const s = await sock(m.src);
    s.send(Buffer.from(m.hex, 'hex'), 5436, m.dst, (e) => console.log(JSON.stringify({ id: m.id, ok: !e, error: e ? e.message : undefined })));
  } catch (e) {
    console.log(JSON.stringify({ id: m.id, ok: false, error: e.message }));
  }
});
console.log(JSON.stringify({ ready: true }));
`;

const created: string[] = [];
const procs: ResultPromise[] = [];
let dir = '';

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-forge-'));
});

afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  const problems: string[] = [];
  for (const lab of created) {
    if (existsSync(`/run/dmmlab/${lab}`)) {
      const d = await dmmlab(['destroy', lab]);
      if (d.exitCode !== 0) problems.push(`destroy ${lab} (exit ${d.exitCode}): ${d.stdout}${d.stderr}`);
    }
    problems.push(...(await leftovers(lab)));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
  expect(problems).toEqual([]);
});

/** A line-oriented child process: resolves lines matching `pred` as they come. */
function lines(proc: ResultPromise, stream: 'stdout' | 'stderr' = 'stdout') {
  const waiting: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  const seen: string[] = [];
  let buf = '';
  proc[stream]?.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      seen.push(l);
      for (const w of [...waiting]) {
        if (!w.pred(l)) continue;
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  return {
    seen,
    /** The first line (already seen, unless `onlyNew`) that matches. */
    next(pred: (l: string) => boolean, timeoutMs: number, what: string, onlyNew = false): Promise<string> {
      const old = onlyNew ? undefined : seen.find(pred);
      if (old) return Promise.resolve(old);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms (last lines: ${seen.slice(-5).join(' | ')})`)), timeoutMs);
        waiting.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
  };
}

interface Captured {
  src: string;
  dst: string;
  payload: Uint8Array;
}

/** Parses tcpdump's `-w -` output (pcap, Ethernet) as it comes: every IPv6/UDP packet to `onPacket`. */
function pcapPackets(proc: ResultPromise, onPacket: (p: Captured) => void): void {
  let buf = Buffer.alloc(0);
  let header = false;
  const addr = (b: Buffer) => formatAddress(b.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n));
  proc.stdout?.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (!header) {
      if (buf.length < 24) return;
      expect(buf.readUInt32LE(20), 'pcap link type Ethernet').toBe(1);
      buf = buf.subarray(24);
      header = true;
    }
    while (buf.length >= 16 && buf.length >= 16 + buf.readUInt32LE(8)) {
      const len = buf.readUInt32LE(8);
      const frame = buf.subarray(16, 16 + len);
      buf = buf.subarray(16 + len);
      if (frame.length < 14 + 40 + 8 || frame.readUInt16BE(12) !== 0x86dd || frame[14 + 6] !== 17) continue;
      const udpLen = frame.readUInt16BE(14 + 40 + 4);
      onPacket({ src: addr(frame.subarray(22, 38)), dst: addr(frame.subarray(38, 54)), payload: Uint8Array.from(frame.subarray(62, 54 + udpLen)) });
    }
  });
}

async function inspectJson(lab: string): Promise<{ agents: { node: string; status: string; state?: Json }[] }> {
  const r = await dmmlab(['inspect', lab, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { agents: { node: string; status: string; state?: Json }[] };
}
const agent = (v: Awaited<ReturnType<typeof inspectJson>>, node: string) => v.agents.find((a) => a.node === node)?.state ?? {};
const roles = (v: Awaited<ReturnType<typeof inspectJson>>, node: string) => (agent(v, node).roles ?? {}) as Record<string, Json>;
const counters = (v: Awaited<ReturnType<typeof inspectJson>>, node: string) => agent(v, node).signalling as Counters;
const list = (x: unknown): Json[] => (Array.isArray(x) ? (x as Json[]) : []);

/** `dmmlab logs <lab> <node> --json --kind <kind>`. */
async function logged(lab: string, node: string, kind: string): Promise<Json[]> {
  const r = await dmmlab(['logs', lab, node, '--json', '--kind', kind]);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);
}

/** mh.rejected events in the node's log file as it is now (quick to poll; `logged` reads the same through the CLI). */
async function rejectionsNow(lab: string, node: string): Promise<Json[]> {
  const text = await readFile(`/run/dmmlab/${lab}/logs/${node}.log`, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.includes('"mh.rejected"'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Json];
      } catch {
        return [];
      }
    });
}

/** Packets the MR sent on its access link towards the mobile node. */
async function accessTx(lab: string): Promise<number> {
  const r = await execa('ip', ['-j', '-s', '-n', `dmm-${lab}-mr11`, 'link', 'show', 'dev', 'mn1']);
  return Number((JSON.parse(r.stdout) as { stats64: { tx: { packets: number } } }[])[0]?.stats64.tx.packets);
}

describe('forged and replayed signalling on figure 1 (netns)', () => {
  it('rejects, logs and counts every forged or replayed message, and nobody’s traffic moves', { timeout: 300_000 }, async () => {
    const topo = YAML.parse(await readFile(path.join(ROOT, 'topologies/fig1.yaml'), 'utf8')) as Json & { mobility: Json };
    // A location refresh every 5 s to replay; caches that outlive the test, so MR31's route stays put unless something moves it.
    topo.mobility = { ...topo.mobility, bindingLifetime: 10, cacheLifetime: 600 };
    const file = path.join(dir, 'fig1-refresh.yaml');
    await writeFile(file, YAML.stringify(topo));
    const lab = uniqueLab('forge');
    created.push(lab);
    const dep = await dmmlab(['deploy', file, '--name', lab, '--runtime', 'netns']);
    expect(dep.exitCode, dep.stderr).toBe(0);
    const state = JSON.parse(await readFile(`/run/dmmlab/${lab}/state.json`, 'utf8')) as {
      signalling: { key: string; spi: number };
      plan: { nodes: { name: string; loopback?: string }[]; mobility: { mrs: { node: string; anchor: string }[] } };
    };
    const lo = Object.fromEntries(state.plan.nodes.filter((n) => n.loopback).map((n) => [n.name, n.loopback as string])) as Record<string, string>;
    const labKey = Uint8Array.from(Buffer.from(state.signalling.key, 'base64'));
    const spi = state.signalling.spi;
    const id = `mn1@net1.${lab}`;

    // mn1's home address (anchored at mr11) and prefix; mn2's (at mr31), the flow's source. Deploy returns before they are configured.
    const homeIn = async (mn: string, mr: string) => {
      const anchor = parsePrefix(state.plan.mobility.mrs.find((m) => m.node === mr)!.anchor);
      for (let i = 0; i < 300; i++) {
        const r = await execa('ip', ['-j', '-n', `dmm-${lab}-${mn}`, '-6', 'address', 'show', 'scope', 'global']);
        const a = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[])
          .flatMap((l) => l.addr_info ?? [])
          .map((x) => x.local)
          .find((x) => contains(anchor, parseAddress(x)));
        if (a) return a;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`${mn} got no home address from ${mr}`);
    };
    const home = await homeIn('mn1', 'mr11');
    await homeIn('mn2', 'mr31');
    const prefix = formatPrefix({ addr: parseAddress(home) & ~((1n << 64n) - 1n), len: 64 });

    // Live capture at LM1 of what MR11 sends it (to replay), and the forger in cn.
    const cap = execa(
      'nsenter',
      [
        `--net=/run/netns/dmm-${lab}-lm1`,
        'tcpdump',
        '-i',
        'mr12',
        '-w',
        '-',
        '-U',
        '--immediate-mode',
        '-n',
        `udp dst port 5436 and src host ${lo.mr11} and dst host ${lo.lm1}`,
      ],
      { reject: false, buffer: false, encoding: 'buffer' },
    );
    procs.push(cap);
    const fromMr11: { at: number; packet: Captured }[] = [];
    const packetWaiters = new Set<() => void>();
    pcapPackets(cap, (packet) => {
      fromMr11.push({ at: Date.now(), packet });
      for (const w of packetWaiters) w();
    });
    await lines(cap, 'stderr').next((l) => /listening on/.test(l), 20_000, 'tcpdump on lm1:mr12');
    expect((await execa('ip', ['netns', 'exec', `dmm-${lab}-cn`, 'sysctl', '-qw', 'net.ipv6.ip_nonlocal_bind=1'], { reject: false })).exitCode).toBe(0);
    const sender = execa('ip', ['netns', 'exec', `dmm-${lab}-cn`, 'node', '-e', SENDER], { reject: false, buffer: false, stdin: 'pipe' });
    procs.push(sender);
    const senderOut = lines(sender);
    await senderOut.next((l) => l.includes('"ready"'), 10_000, 'the sender in cn');
    let nextId = 1;
    const send = async (src: string, dst: string, bytes: Uint8Array): Promise<void> => {
      const n = nextId++;
      sender.stdin?.write(JSON.stringify({ id: n, src, dst, hex: Buffer.from(bytes).toString('hex') }) + '\n');
      const ack = JSON.parse(await senderOut.next((l) => l.includes(`"id":${n},`), 5000, `datagram ${n}`)) as { ok: boolean; error?: string };
      expect(ack, `sending from ${src} to ${dst}`).toMatchObject({ ok: true });
    };

    // The flow: MN2 pings MN1 20 times a second; it reaches MN1 through MR31's tunnel to MR11.
    const flow = execa('ip', ['netns', 'exec', `dmm-${lab}-mn2`, 'ping', '-i', '0.05', '-W', '1', home], { reject: false });
    procs.push(flow);
    let optimised = false;
    for (let i = 0; i < 100 && !optimised; i++) {
      await new Promise((res) => setTimeout(res, 100));
      optimised = list(roles(await inspectJson(lab), 'mr31').mr?.prefixes).some((p) => p.prefix === prefix && p.route === 'tunnel to mr11');
    }
    expect(optimised, 'MR31 tunnels the flow to MR11').toBe(true);

    const before = await inspectJson(lab);
    const binding = list(roles(before, 'lm1').lm?.bindings).find((b) => b.prefix === prefix);
    expect(binding).toMatchObject({ mnId: id, mr: 'mr11', location: lo.mr11 });
    const route11 = list(roles(before, 'mr11').mr?.prefixes).find((p) => p.prefix === prefix);
    expect(route11?.route).toMatch(/^on-link via fe80::\S+ dev mn1$/);
    const kernelRoute = async () => (await execa('ip', ['-n', `dmm-${lab}-mr11`, '-6', 'route', 'show', prefix, 'table', '100'])).stdout.trim();
    const kernel11 = await kernelRoute();
    expect(kernel11).toContain('dev mn1');

    const expected: Record<'lm1' | 'mr11', { from: string; seq: number; reason: string }[]> = { lm1: [], mr11: [] };
    /** After each forged message: rejected for `reason`, counted, nothing moved, the flow still arrives through MR11. */
    const expectRejected = async (node: 'lm1' | 'mr11', from: string, seq: number, reason: string, counter: keyof Counters, base: Counters, tx0: number) => {
      let ev: Json | undefined;
      for (let i = 0; i < 100 && !ev; i++) {
        ev = (await rejectionsNow(lab, node)).find((e) => e.from === from && e.seq === seq && e.reason === reason);
        if (!ev) await new Promise((res) => setTimeout(res, 50));
      }
      expect(
        ev,
        `${node} logged mh.rejected (${reason}) for seq ${seq} from ${from}; it logged: ${JSON.stringify((await rejectionsNow(lab, node)).slice(-3))}`,
      ).toBeDefined();
      expected[node].push({ from, seq, reason });
      const now = await inspectJson(lab);
      const c = counters(now, node);
      expect(c[counter] - base[counter], `${node} counted it as ${counter}`).toBe(1);
      for (const k of ['malformed', 'unauthenticated', 'replayed'] as const) if (k !== counter) expect(c[k], k).toBe(base[k]);
      expect(list(roles(now, 'lm1').lm?.bindings).find((b) => b.prefix === prefix)).toMatchObject({ mnId: id, mr: 'mr11', location: lo.mr11 });
      expect(list(roles(now, 'mr11').mr?.prefixes).find((p) => p.prefix === prefix)).toEqual(route11);
      expect(await kernelRoute()).toBe(kernel11);
      expect(list(roles(now, 'mr31').mr?.prefixes).find((p) => p.prefix === prefix)?.route).toBe('tunnel to mr11');
      await new Promise((res) => setTimeout(res, 200));
      expect(await accessTx(lab), 'the flow keeps arriving at mn1 through mr11').toBeGreaterThan(tx0);
      return c;
    };
    const ts = () => ({ kind: 'timestamp', value: timestampFromMillis(Date.now()) }) as const;
    const wrongKey = Uint8Array.from(randomBytes(32));
    const locationUpdate = (seq: number): MhMessage => ({
      type: 'PBU',
      sequence: seq,
      flags: makeFlags(BU_FLAG_BITS, { A: true, P: true }),
      lifetime: 600,
      options: [purposeOption(PURPOSE.LOCATION_UPDATE), mnId(id), hnp(prefix), handoff(HANDOFF_INDICATOR.BETWEEN_MAGS_SAME_INTERFACE), ts()],
    });
    const anchorBinding = (seq: number): MhMessage => ({
      type: 'PBU',
      sequence: seq,
      flags: makeFlags(BU_FLAG_BITS, { A: true, P: true }),
      lifetime: 600,
      options: [purposeOption(PURPOSE.ANCHOR_BINDING), mnId(id), hnp(prefix), ts()],
    });
    const revocation = (seq: number): MhMessage => ({
      type: 'BRI',
      sequence: seq,
      trigger: REVOCATION_TRIGGER.PER_PEER_POLICY,
      flags: makeFlags(BR_FLAG_BITS, { P: true }),
      options: [mnId(id), hnp(prefix), ts()],
    });

    // Each case: what goes where, from which address, signed how, and the expected verdict.
    const cases: {
      what: string;
      to: 'lm1' | 'mr11';
      from: string;
      msg: (seq: number) => MhMessage;
      auth?: { spi: number; key: Uint8Array };
      reason: string;
    }[] = [
      {
        what: '(a) location update, wrong key, from cn',
        to: 'lm1',
        from: lo.cn!,
        msg: locationUpdate,
        auth: { spi, key: wrongKey },
        reason: 'unauthenticated: bad-mac',
      },
      {
        what: '(a) location update, wrong key, posing as MR12',
        to: 'lm1',
        from: lo.mr12!,
        msg: locationUpdate,
        auth: { spi, key: wrongKey },
        reason: 'unauthenticated: bad-mac',
      },
      {
        what: '(a) location update, unknown SPI, posing as MR12',
        to: 'lm1',
        from: lo.mr12!,
        msg: locationUpdate,
        auth: { spi: spi === 0x7fffffff ? 256 : spi + 1, key: labKey },
        reason: 'unauthenticated: unknown-spi',
      },
      { what: '(b) location update, unsigned, from cn', to: 'lm1', from: lo.cn!, msg: locationUpdate, reason: 'unauthenticated: missing-auth' },
      { what: '(b) location update, unsigned, posing as MR12', to: 'lm1', from: lo.mr12!, msg: locationUpdate, reason: 'unauthenticated: missing-auth' },
      {
        what: '(c) anchor binding, wrong key, from cn',
        to: 'mr11',
        from: lo.cn!,
        msg: anchorBinding,
        auth: { spi, key: wrongKey },
        reason: 'unauthenticated: bad-mac',
      },
      {
        what: '(c) anchor binding, wrong key, posing as MR12',
        to: 'mr11',
        from: lo.mr12!,
        msg: anchorBinding,
        auth: { spi, key: wrongKey },
        reason: 'unauthenticated: bad-mac',
      },
      { what: '(c) anchor binding, unsigned, posing as MR12', to: 'mr11', from: lo.mr12!, msg: anchorBinding, reason: 'unauthenticated: missing-auth' },
      {
        what: 'revocation of the prefix, wrong key, posing as LM1',
        to: 'mr11',
        from: lo.lm1!,
        msg: revocation,
        auth: { spi, key: wrongKey },
        reason: 'unauthenticated: bad-mac',
      },
    ];
    let seq = 40_000 + Math.floor(Math.random() * 20_000);
    for (const c of cases) {
      const base = counters(await inspectJson(lab), c.to);
      const tx0 = await accessTx(lab);
      const s = seq++;
      const dst = lo[c.to]!;
      const bytes = encodeMessage(c.msg(s), { src: c.from, dst, ...(c.auth ? { auth: c.auth } : {}) });
      await send(c.from, dst, bytes);
      await expectRejected(c.to, c.from, s, c.reason, 'unauthenticated', base, tx0).catch((e: unknown) => {
        throw new Error(`${c.what}: ${e instanceof Error ? e.message : String(e)}`);
      });
    }

    // (d) Replay: the next periodic location refresh MR11 → LM1, caught on the wire, resent at once from cn
    // with MR11's address. On a loaded machine the copy can come too late for the window; then take the next refresh.
    const isRefresh = (p: Captured) => {
      const d = decodeMessage(p.payload);
      return d.ok && d.message.type === 'PBU' && purposeOf(d.message) === PURPOSE.LOCATION_UPDATE && hnpsOf(d.message).includes(prefix);
    };
    const nextRefresh = (after: number) =>
      new Promise<Captured>((resolve, reject) => {
        const check = () => {
          const hit = fromMr11.find((x) => x.at >= after && isRefresh(x.packet));
          if (!hit) return;
          packetWaiters.delete(check);
          clearTimeout(timer);
          resolve(hit.packet);
        };
        const timer = setTimeout(() => (packetWaiters.delete(check), reject(new Error('no location refresh from MR11 to LM1 within 15 s'))), 15_000);
        packetWaiters.add(check);
      });
    let original: Uint8Array | undefined;
    let sentAt = 0;
    let stampMs = 0;
    let base = counters(await inspectJson(lab), 'lm1');
    let tx0 = await accessTx(lab);
    for (let attempt = 0; attempt < 4 && !original; attempt++) {
      const p = await nextRefresh(Date.now());
      const d = decodeMessage(p.payload);
      if (!d.ok) throw new Error('captured PBU does not decode');
      const stamp = d.message.options.find((o) => o.kind === 'timestamp');
      stampMs = stamp?.kind === 'timestamp' ? timestampToMillis(stamp.value) : 0;
      if (Date.now() - stampMs > 1000) continue; // too late to be a replay inside the window
      await send(lo.mr11!, lo.lm1!, p.payload);
      sentAt = Date.now();
      original = p.payload;
      // Its signature is valid: it is the real thing, from MR11 to LM1.
      expect(canonical(p.src)).toBe(lo.mr11);
      expect(verifyMessage(p.payload, { src: p.src, dst: p.dst, keyForSpi: (x) => (x === spi ? labKey : undefined) })).toEqual({ ok: true, spi });
    }
    expect(original, 'a refresh caught early enough to replay inside the 1500 ms window').toBeDefined();
    expect(sentAt - stampMs).toBeLessThan(1500);
    const decoded = decodeMessage(original!);
    if (!decoded.ok) throw new Error('unreachable');
    await expectRejected('lm1', lo.mr11!, decoded.message.sequence, 'replay: replay', 'replayed', base, tx0);
    // LM1 accepted the original once.
    const received = await logged(lab, 'lm1', 'mh.received');
    expect(received.filter((e) => e.from === lo.mr11 && e.seq === decoded.message.sequence && e.msg === 'PBU')).toHaveLength(1);

    // (e) The same bytes once the window is over: stale.
    const wait = stampMs + 2500 - Date.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    base = counters(await inspectJson(lab), 'lm1');
    tx0 = await accessTx(lab);
    await send(lo.mr11!, lo.lm1!, original!);
    await expectRejected('lm1', lo.mr11!, decoded.message.sequence, 'replay: stale', 'replayed', base, tx0);

    // Every rejection, as `dmmlab logs` shows it.
    for (const node of ['lm1', 'mr11'] as const) {
      const shown = (await logged(lab, node, 'mh.rejected')).map((e) => ({ from: e.from, seq: e.seq, reason: e.reason }));
      for (const x of expected[node]) expect(shown, `dmmlab logs ${node}`).toContainEqual(x);
    }

    // The flow lost nothing to all this.
    flow.kill('SIGINT');
    const done = await flow;
    const m = /(\d+) packets transmitted, (\d+) received/.exec(String(done.stdout));
    expect(m, String(done.stdout)).not.toBeNull();
    const [sent, got] = [Number(m![1]), Number(m![2])];
    expect(sent).toBeGreaterThan(50);
    expect(got, `ping mn2 → mn1: ${m![0]}`).toBeGreaterThanOrEqual(sent - 1);
    cap.kill('SIGTERM');
    sender.kill('SIGTERM');
    await Promise.all([cap, sender]);
  });
});
