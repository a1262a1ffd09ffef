/**
 * Initial attachment, end to end (draft-tu-dmm-with-mip 4.1) on the figure-1 lab, in real
 * namespaces, checked on the wire with tshark: MN1 attaches to MR11, MR11 registers it at LM1 and
 * gets a home network prefix for it from HAA1 (both PBU/PBA with the P flag, signed), advertises
 * the prefix on the access link, MN1 configures its home address from it; MN2 (behind MR31) and the
 * correspondent reach that address; with route optimisation `query` MR31 asks LM1 (LMQ/LMR) and
 * then tunnels straight to MR11. `dmmlab inspect --json` shows the binding, the lease, the cache,
 * the on-link route and the tunnel peers. A variant with `registerOnAttach: false` creates no
 * location binding at initial attachment, and the ping still works by anchored routing.
 */
import { ensureBuilt } from '../../support/build.js';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ResultPromise, execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PURPOSE, hnpsOf, purposeOf, altCoaOf } from '../../../shared/protocol/dmm-options.js';
import { canonical, contains, formatPrefix, linkLocalFromMac, parseAddress, parsePrefix } from '../../../shared/ipv6.js';
import { EXP_SUBTYPE, decodeMessage, verifyMessage, type MhMessage } from '../../../shared/protocol/index.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import type { TunnelDriverName } from '../../../shared/control/tunnel-drivers.js';

interface MrInfo {
  node: string;
  network: string;
  address: string;
  tunnelEndpoint: string;
  anchor: string;
}
interface LabFacts {
  tunnelDriver: TunnelDriverName;
  key: Uint8Array;
  spi: number;
  loopback: Record<string, string>;
  mrs: MrInfo[];
  /** MAC of `node`'s interface `iface`. */
  mac(node: string, iface: string): string;
}
type Row = Record<string, string>;
type Json = Record<string, unknown>;

const CAPTURES = ['lm1:mr12', 'mr11:core', 'mr11:mn1', 'mr31:core', 'core:mr11'] as const;

const created: string[] = [];
const captures: ResultPromise[] = [];
let dir = '';

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-attach-'));
});

afterAll(async () => {
  for (const c of captures) c.kill('SIGKILL');
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

/** Figure 1 with mn1 detached at start, and optional mobility settings. */
async function variant(name: string, mobility: Json = {}): Promise<string> {
  const topo = YAML.parse(await readFile(path.join(ROOT, 'topologies/fig1.yaml'), 'utf8')) as Json & { access: Json[]; mobility: Json };
  const mn1 = topo.access.find((a) => a.mn === 'mn1');
  if (!mn1) throw new Error('fig1 has no access entry for mn1');
  delete mn1.start;
  topo.mobility = { ...topo.mobility, ...mobility };
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, YAML.stringify(topo));
  return file;
}

async function deployLab(file: string, prefix: string): Promise<{ lab: string; facts: LabFacts }> {
  const lab = uniqueLab(prefix);
  created.push(lab);
  const dep = await dmmlab(['deploy', file, '--name', lab, '--runtime', 'netns', '--json']);
  expect(dep.exitCode, dep.stderr).toBe(0);
  const state = JSON.parse(await readFile(`/run/dmmlab/${lab}/state.json`, 'utf8')) as {
    tunnelDriver: TunnelDriverName;
    signalling: { key: string; spi: number };
    plan: { nodes: { name: string; loopback?: string; interfaces: { name: string; mac: string }[] }[]; mobility: { mrs: MrInfo[] } };
  };
  const facts: LabFacts = {
    tunnelDriver: state.tunnelDriver,
    key: Uint8Array.from(Buffer.from(state.signalling.key, 'base64')),
    spi: state.signalling.spi,
    loopback: Object.fromEntries(state.plan.nodes.filter((n) => n.loopback).map((n) => [n.name, n.loopback as string])),
    mrs: state.plan.mobility.mrs,
    mac: (node, iface) => state.plan.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === iface)?.mac ?? '?',
  };
  return { lab, facts };
}

/** Starts tcpdump on `node:iface` and waits until it listens. */
async function startCapture(lab: string, spec: string): Promise<{ file: string; proc: ResultPromise }> {
  const [node, iface] = spec.split(':') as [string, string];
  const file = path.join(dir, `${lab}-${node}-${iface}.pcap`);
  const proc = execa('nsenter', [`--net=/run/netns/dmm-${lab}-${node}`, 'tcpdump', '-i', iface, '-w', file, '-U', '--immediate-mode', '-n'], {
    reject: false,
    buffer: false,
  });
  captures.push(proc);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${spec} did not start: ${err}`)), 15_000);
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void proc.then((r) => reject(new Error(`tcpdump on ${spec} exited ${r.exitCode}: ${err}`)));
  });
  return { file, proc };
}

async function stopCaptures(list: { proc: ResultPromise }[]): Promise<void> {
  for (const c of list) c.proc.kill('SIGINT');
  await Promise.all(list.map((c) => c.proc));
}

/** tshark -T fields on a capture: one object per packet matching `filter`. */
async function tshark(file: string, filter: string, fields: string[]): Promise<Row[]> {
  const r = await execa(
    'tshark',
    ['-r', file, '-n', '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])],
    { reject: false },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i] as string, v])));
}

const flag = (v: string | undefined) => v === '1' || v === 'True' || v === 'true';
const bytesOf = (hex: string | undefined) => Uint8Array.from(Buffer.from((hex ?? '').replace(/:/g, ''), 'hex'));

/** Decodes the UDP payload tshark showed (our codec), failing loudly if it is not an MH. */
function mh(row: Row): MhMessage {
  const d = decodeMessage(bytesOf(row['udp.payload']));
  if (!d.ok) throw new Error(`frame ${row['frame.number']}: not an MH: ${d.error.reason}`);
  return d.message;
}

/** Waits until the mobile node has a global address in `aggregate` (the anchor of its MR). */
async function homeAddressIn(lab: string, mn: string, aggregate: string, timeoutMs = 15_000): Promise<string> {
  const agg = parsePrefix(aggregate);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await execa('ip', ['-j', '-n', `dmm-${lab}-${mn}`, '-6', 'address', 'show', 'scope', 'global'], { reject: false });
    const addrs = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[]).flatMap((l) => l.addr_info ?? []).map((a) => a.local);
    const home = addrs.find((a) => contains(agg, parseAddress(a)));
    if (home) return home;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`${mn} got no address in ${aggregate} within ${timeoutMs} ms`);
}

async function waitForEvent(lab: string, node: string, kind: string, pred: (e: Json) => boolean = () => true, timeoutMs = 15_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(`/run/dmmlab/${lab}/logs/${node}.log`, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.includes(`"${kind}"`)) continue;
      let e: Json;
      try {
        e = JSON.parse(line) as Json;
      } catch {
        continue; // a line being written
      }
      if (e.kind === kind && pred(e)) return e;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`${node} logged no ${kind} within ${timeoutMs} ms`);
}

async function ping(lab: string, from: string, to: string, count = 5): Promise<string> {
  const r = await execa('ip', ['netns', 'exec', `dmm-${lab}-${from}`, 'ping', '-c', String(count), '-i', '0.2', '-W', '2', to], { reject: false });
  expect(r.exitCode, `ping ${to} from ${from}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`${count} received`));
  return r.stdout;
}

async function inspectJson(lab: string): Promise<{
  agents: { node: string; status: string; state?: Json }[];
  nodeViews: { name: string; routes: string[]; interfaces: { name: string; addresses: string[] }[] }[];
}> {
  const r = await dmmlab(['inspect', lab, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Awaited<ReturnType<typeof inspectJson>>;
}

function roleState(view: Awaited<ReturnType<typeof inspectJson>>, node: string, role: string): Json {
  const a = view.agents.find((x) => x.node === node);
  expect(a?.status, `agent of ${node}`).toBe('up');
  return ((a?.state?.roles as Json | undefined)?.[role] ?? {}) as Json;
}
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** Attaches mn1 to mr11 with captures running; returns its home address, prefix and the capture files. */
async function attachWithCaptures(lab: string, facts: LabFacts, specs: readonly string[]) {
  const caps = Object.fromEntries(await Promise.all(specs.map(async (s) => [s, await startCapture(lab, s)] as const)));
  const mr11 = facts.mrs.find((m) => m.node === 'mr11') as MrInfo;
  // MN2 is attached at MR31 from the start, but deploy returns before its home address is configured.
  await homeAddressIn(lab, 'mn2', facts.mrs.find((m) => m.node === 'mr31')!.anchor);
  // MR31 watches MN2's first packets towards the domain once its observer's rules name MN2's prefix
  // (applied a moment after the attachment, off the path of a handover).
  await waitForEvent(lab, 'mr31', 'observer.filter', (e) => String(e.filter).includes('src net'));
  const up = await execa('ip', ['-n', `dmm-${lab}-mn1`, 'link', 'set', 'dev', 'mr11', 'up'], { reject: false });
  expect(up.exitCode, up.stderr).toBe(0);
  const home = await homeAddressIn(lab, 'mn1', mr11.anchor);
  const prefix = formatPrefix({ addr: parseAddress(home) & ~((1n << 64n) - 1n), len: 64 });
  await waitForEvent(lab, 'mr11', 'attachment.completed', (e) => e.mn === 'mn1');
  return { caps, home, prefix, mr11 };
}

describe('initial attachment on figure 1 (netns)', () => {
  it('registers at LM1, gets a prefix from HAA1, advertises it, and MN2 and CN reach MN1 over an optimised route', async () => {
    const { lab, facts } = await deployLab(await variant('detached'), 'ia');
    const lo = facts.loopback;
    const { caps, home, prefix, mr11 } = await attachWithCaptures(lab, facts, CAPTURES);
    const mr31 = facts.mrs.find((m) => m.node === 'mr31') as MrInfo;
    const base = prefix.split('/')[0] as string;

    await ping(lab, 'mn2', home);
    await ping(lab, 'cn', home);
    // MR31's query and LM1's reply are in its log before the captures stop (under load they may trail the pings).
    await waitForEvent(lab, 'mr31', 'mh.received', (e) => e.msg === 'LMR');
    await new Promise((r) => setTimeout(r, 300));
    const view = await inspectJson(lab);
    const text = await dmmlab(['inspect', lab]);
    await stopCaptures(Object.values(caps));

    // --- MR11 ↔ LM1/HAA1 on lm1:mr12 (LM1 and HAA1 are one node, reached through MR12) ---
    const mhFields = [
      'frame.number',
      'frame.time_epoch',
      'ipv6.src',
      'ipv6.dst',
      'mip6.mhtype',
      'mip6.bu.seqnr',
      'mip6.bu.p_flag',
      'mip6.bu.a_flag',
      'mip6.ba.seqnr',
      'mip6.ba.status',
      'mip6.ba.p_flag',
      'mip6.mnid.identifier',
      'mip6.nemo.mnp.mnp',
      'mip6.nemo.mnp.pfl',
      'mip6.vsm.vendorId',
      'mip6.vsm.subtype',
      'mip6.auth.mobility_spi',
      'mip6.timestamp_tmp',
      'udp.payload',
    ];
    const atLm = await tshark(caps['lm1:mr12']!.file, 'mipv6', mhFields);
    const mnId = `mn1@net1.${lab}`;
    // Every MH on the wire is signed with the lab's key (RFC 4285 shape, HMAC-SHA256) and carries a timestamp.
    expect(atLm.length).toBeGreaterThan(0);
    for (const r of atLm) {
      // tshark 4.0 leaves the options of an Experimental MH (LMQ/LMR) undissected; our verifier covers those.
      if (r['mip6.mhtype'] !== '11') {
        expect(r['mip6.auth.mobility_spi'], `frame ${r['frame.number']}`).toBe(String(facts.spi));
        expect(r['mip6.timestamp_tmp'], `frame ${r['frame.number']}`).not.toBe('');
      }
      const v = verifyMessage(bytesOf(r['udp.payload']), {
        src: r['ipv6.src'] as string,
        dst: r['ipv6.dst'] as string,
        keyForSpi: (s) => (s === facts.spi ? facts.key : undefined),
      });
      expect(v, `frame ${r['frame.number']} verifies with the lab key`).toEqual({ ok: true, spi: facts.spi });
    }
    const fromMr11 = (r: Row) => canonical(r['ipv6.src'] as string) === lo.mr11 && canonical(r['ipv6.dst'] as string) === lo.lm1;
    const toMr11 = (r: Row) => canonical(r['ipv6.src'] as string) === lo.lm1 && canonical(r['ipv6.dst'] as string) === lo.mr11;
    const pbas = atLm.filter((r) => r['mip6.mhtype'] === '6' && toMr11(r));
    const ackOf = (pbu: Row) => pbas.find((a) => a['mip6.ba.seqnr'] === pbu['mip6.bu.seqnr']);

    // The location PBU for mn1's prefix (P flag, our vendor PURPOSE option) and its PBA.
    const locPbu = atLm.find((r) => r['mip6.mhtype'] === '5' && fromMr11(r) && purposeOf(mh(r)) === PURPOSE.LOCATION_UPDATE && r['mip6.nemo.mnp.mnp'] === base);
    expect(locPbu, `a location PBU MR11 → LM1 for ${prefix}`).toBeDefined();
    expect(flag(locPbu!['mip6.bu.p_flag'])).toBe(true);
    expect(flag(locPbu!['mip6.bu.a_flag'])).toBe(true);
    expect(locPbu!['mip6.nemo.mnp.pfl']).toBe('64');
    expect(locPbu!['mip6.mnid.identifier']).toBe(mnId);
    expect(locPbu!['mip6.vsm.vendorId']).toBe('32473');
    expect(locPbu!['mip6.vsm.subtype']).toBe('1');
    const locPba = ackOf(locPbu!);
    expect(locPba, `the PBA of location PBU seq ${locPbu!['mip6.bu.seqnr']}`).toBeDefined();
    expect(locPba!['mip6.ba.status']).toBe('0');
    expect(flag(locPba!['mip6.ba.p_flag'])).toBe(true);
    expect(purposeOf(mh(locPba!))).toBe(PURPOSE.LOCATION_UPDATE);
    expect(locPba!['mip6.nemo.mnp.mnp']).toBe(base);

    // The HAA PBU asks for a prefix (HNP ::/0) and its PBA carries the one mn1 configured.
    const haaPbu = atLm.find((r) => r['mip6.mhtype'] === '5' && fromMr11(r) && purposeOf(mh(r)) === PURPOSE.HAA_ALLOCATION);
    expect(haaPbu, 'an HAA PBU MR11 → HAA1').toBeDefined();
    expect(flag(haaPbu!['mip6.bu.p_flag'])).toBe(true);
    expect(haaPbu!['mip6.nemo.mnp.mnp']).toBe('::');
    expect(haaPbu!['mip6.nemo.mnp.pfl']).toBe('0');
    expect(haaPbu!['mip6.mnid.identifier']).toBe(mnId);
    const haaPba = ackOf(haaPbu!);
    expect(haaPba, 'the PBA of the HAA PBU').toBeDefined();
    expect(haaPba!['mip6.ba.status']).toBe('0');
    expect(flag(haaPba!['mip6.ba.p_flag'])).toBe(true);
    expect(`${haaPba!['mip6.nemo.mnp.mnp']}/${haaPba!['mip6.nemo.mnp.pfl']}`).toBe(prefix);
    expect(hnpsOf(mh(haaPba!))).toEqual([prefix]);
    // The prefix is allocated before the location update that registers it.
    expect(Number(haaPba!['frame.number'])).toBeLessThan(Number(locPbu!['frame.number']));

    // --- The router advertisement on the access link carries the prefix (from MR11's side of it) ---
    const ras = await tshark(caps['mr11:mn1']!.file, 'icmpv6.type == 134', [
      'frame.number',
      'eth.src',
      'ipv6.src',
      'icmpv6.opt.prefix',
      'icmpv6.opt.prefix.length',
      'icmpv6.opt.prefix.valid_lifetime',
      'icmpv6.opt.prefix.preferred_lifetime',
    ]);
    const ra = ras.find((r) => (r['icmpv6.opt.prefix'] ?? '').split(',').includes(base));
    expect(ra, `an RA with ${prefix} on mr11:mn1 (RAs seen: ${JSON.stringify(ras)})`).toBeDefined();
    expect(ra!['eth.src']).toBe(facts.mac('mr11', 'mn1'));
    expect(ra!['ipv6.src']).toMatch(/^fe80::/);
    expect(ra!['icmpv6.opt.prefix.length']).toBe('64');
    expect(Number(ra!['icmpv6.opt.prefix.valid_lifetime'])).toBeGreaterThan(0);

    // --- Route optimisation `query`: LMQ/LMR between MR31 and LM1, then MR31 tunnels to MR11 ---
    const atMr31 = await tshark(caps['mr31:core']!.file, 'mipv6 || icmpv6.type == 128 || icmpv6.type == 129', [
      'frame.number',
      'frame.time_epoch',
      'ipv6.src',
      'ipv6.dst',
      'ipv6.nxt',
      'mip6.mhtype',
      'icmpv6.type',
      'udp.payload',
    ]);
    const exp = atMr31.filter((r) => r['mip6.mhtype'] === '11');
    const lmq = exp.find((r) => canonical(r['ipv6.src'] as string) === lo.mr31 && canonical(r['ipv6.dst'] as string) === lo.lm1);
    const lmr = exp.find((r) => canonical(r['ipv6.src'] as string) === lo.lm1 && canonical(r['ipv6.dst'] as string) === lo.mr31);
    expect(lmq, 'LMQ MR31 → LM1').toBeDefined();
    expect(lmr, 'LMR LM1 → MR31').toBeDefined();
    const q = mh(lmq!);
    const a = mh(lmr!);
    expect(q.type === 'EXP' && q.subtype).toBe(EXP_SUBTYPE.LM_LOCATION_QUERY);
    expect(hnpsOf(q)).toEqual([prefix]);
    expect(a.type === 'EXP' && a.subtype).toBe(EXP_SUBTYPE.LM_LOCATION_REPLY);
    expect(a.type === 'EXP' && a.status).toBe(0);
    expect(a.sequence).toBe(q.sequence);
    expect(altCoaOf(a)).toBe(lo.mr11);

    const home2 = canonical(home);
    const outerDst = facts.tunnelDriver === 'ip6tnl' ? mr11.address : mr11.tunnelEndpoint;
    const requests = atMr31.filter((r) => r['icmpv6.type'] === '128' && canonical((r['ipv6.dst'] as string).split(',').at(-1) as string) === home2);
    expect(requests.length).toBeGreaterThanOrEqual(5);
    const tunnelled = requests.filter((r) => (r['ipv6.src'] as string).split(',').length === 2);
    expect(tunnelled.length, 'echo requests MR31 → MR11 in the tunnel').toBeGreaterThanOrEqual(3);
    for (const r of tunnelled) {
      const [oSrc, iSrc] = (r['ipv6.src'] as string).split(',') as [string, string];
      const [oDst, iDst] = (r['ipv6.dst'] as string).split(',') as [string, string];
      expect((r['ipv6.nxt'] as string).split(',')[0], `frame ${r['frame.number']}: outer next header`).toBe('41');
      expect(canonical(oSrc)).toBe(lo.mr31);
      expect(canonical(oDst)).toBe(outerDst);
      expect(contains(parsePrefix(mr31.anchor), parseAddress(iSrc))).toBe(true);
      expect(canonical(iDst)).toBe(home2);
      // After the location query was answered.
      expect(Number(r['frame.time_epoch'])).toBeGreaterThan(Number(lmr!['frame.time_epoch']));
    }
    // The first packet went natively (anchored routing) and is what triggered the query.
    expect((requests[0]!['ipv6.src'] as string).split(',')).toHaveLength(1);
    expect(Number(requests[0]!['frame.time_epoch'])).toBeLessThan(Number(lmq!['frame.time_epoch']));
    // The same tunnel on the core's link to MR11.
    const atCore = await tshark(caps['core:mr11']!.file, 'ipv6.nxt == 41 && icmpv6.type == 128', ['ipv6.src', 'ipv6.dst']);
    expect(
      atCore.some(
        (r) =>
          canonical((r['ipv6.src'] as string).split(',')[0] as string) === lo.mr31 && canonical((r['ipv6.dst'] as string).split(',')[0] as string) === outerDst,
      ),
    ).toBe(true);

    // --- MN1 answers from its home address ---
    const access = await tshark(caps['mr11:mn1']!.file, 'icmpv6.type == 128 || icmpv6.type == 129', ['icmpv6.type', 'ipv6.src', 'ipv6.dst']);
    const replies = access.filter((r) => r['icmpv6.type'] === '129');
    expect(access.filter((r) => r['icmpv6.type'] === '128')).toHaveLength(10);
    expect(replies).toHaveLength(10);
    for (const r of replies) expect(canonical(r['ipv6.src'] as string)).toBe(home2);
    const fromCn = await tshark(caps['mr11:core']!.file, 'icmpv6.type == 129 && !(ipv6.nxt == 41)', ['ipv6.src', 'ipv6.dst']);
    expect(fromCn.length).toBeGreaterThanOrEqual(5);
    for (const r of fromCn) expect(canonical(r['ipv6.src'] as string)).toBe(home2);

    // --- dmmlab inspect ---
    const lm = roleState(view, 'lm1', 'lm');
    expect(list(lm.bindings)).toContainEqual(expect.objectContaining({ prefix, mnId, mr: 'mr11', location: lo.mr11 }));
    expect(list(lm.bindings).find((b) => b.prefix === prefix)?.queriers).toContain('mr31');
    expect(list(roleState(view, 'lm1', 'haa').leases)).toContainEqual(expect.objectContaining({ prefix, mnId, anchor: 'mr11' }));
    const m31 = roleState(view, 'mr31', 'mr');
    expect(list(m31.prefixes)).toContainEqual(expect.objectContaining({ prefix, cachedAt: 'mr11', cacheSource: 'query', route: 'tunnel to mr11' }));
    expect(m31.tunnelPeers).toContain('mr11');
    const m11 = roleState(view, 'mr11', 'mr');
    const onLink = list(m11.prefixes).find((p) => p.prefix === prefix);
    expect(onLink).toMatchObject({ attached: 'mn1' });
    expect(onLink?.route).toMatch(/^on-link via fe80::\S+ dev mn1$/);
    expect(onLink?.servedBy).toBeUndefined();
    expect(m11.tunnelPeers).toContain('mr31');
    expect(list(roleState(view, 'mr11', 'ar').visitors)).toContainEqual(
      expect.objectContaining({ mn: 'mn1', state: 'attached', prefixes: [{ prefix, anchor: 'mr11' }] }),
    );
    // MR11's agent made its attachment's routes and rules itself, over netlink (agent/kernel/netlink-requests.ts).
    expect(view.agents.find((a) => a.node === 'mr11')?.state?.kernelNetlinkLines).toBeGreaterThan(0);
    // The kernel agrees: the on-link route in MR11's mobility table, the home address on mn1's radio.
    const mr11View = view.nodeViews.find((n) => n.name === 'mr11');
    expect(mr11View?.routes.some((r) => r.startsWith(`${prefix} via fe80::`) && r.includes('dev mn1') && r.includes('table 100'))).toBe(true);
    expect(view.nodeViews.find((n) => n.name === 'mn1')?.interfaces.find((i) => i.name === 'mr11')?.addresses).toContain(`${home}/64`);
    // The text form shows the same, with its roles.
    expect(text.exitCode, text.stderr).toBe(0);
    for (const section of ['LM bindings', 'HAA leases', 'MR routes and caches', 'Tunnels', 'Mobile nodes at access routers'])
      expect(text.stdout).toContain(section);
    expect(text.stdout).toMatch(new RegExp(`lm1\\s+${prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+${mnId.replace(/\./g, '\\.')}\\s+mr11`));
    expect(text.stdout).toMatch(new RegExp(`mr31\\s+${prefix.replace(/[/]/g, '\\/')}\\s+tunnel to mr11\\s+cache \\(query`));
    expect(text.stdout).toMatch(/mr11\s+mr,ar\s+net1/);
  });

  it('an access router listens on an access link’s link-local address before the link has a carrier (a client-based node’s first BU finds it)', async () => {
    const { lab, facts } = await deployLab(await variant('client-early', { mnMode: 'client' }), 'ic');
    const ns = ['netns', 'exec', `dmm-${lab}-mr11`];
    const link = JSON.parse((await execa('ip', [...ns, 'ip', '-j', 'link', 'show', 'mn1'])).stdout) as { flags: string[] }[];
    expect(link[0]?.flags, 'mn1 is detached: no carrier on MR11’s side').toContain('NO-CARRIER');
    const addrs = (await execa('ip', [...ns, 'ip', '-6', '-br', 'address', 'show', 'dev', 'mn1'])).stdout;
    expect(addrs, 'the kernel has not assigned the link-local address yet').not.toContain('fe80');
    const ll = linkLocalFromMac(facts.mac('mr11', 'mn1'));
    // Bound to the address the link will get, scoped to the link.
    const sockets = (await execa('ip', [...ns, 'ss', '-Hnlu'])).stdout;
    expect(sockets).toContain(`[${ll}]%mn1:5436`);
  });

  it('with registerOnAttach: false creates no location binding at initial attachment, and routing by the anchor still delivers', async () => {
    const { lab, facts } = await deployLab(await variant('no-register', { registerOnAttach: false }), 'ib');
    const lo = facts.loopback;
    const { caps, home, prefix } = await attachWithCaptures(lab, facts, ['lm1:mr12', 'mr31:core']);
    const mnId = `mn1@net1.${lab}`;
    await ping(lab, 'mn2', home);
    await ping(lab, 'cn', home);
    // MR31's query and LM1's reply are in its log before the captures stop (under load they may trail the pings).
    await waitForEvent(lab, 'mr31', 'mh.received', (e) => e.msg === 'LMR');
    await new Promise((r) => setTimeout(r, 300));
    const view = await inspectJson(lab);
    await stopCaptures(Object.values(caps));

    // No location binding for the prefix at LM1, though the HAA lease exists.
    const lm = roleState(view, 'lm1', 'lm');
    expect(list(lm.bindings).filter((b) => b.prefix === prefix)).toEqual([]);
    expect(list(roleState(view, 'lm1', 'haa').leases)).toContainEqual(expect.objectContaining({ prefix, mnId, anchor: 'mr11' }));
    // MR31 asked and was told there is none (status 128): no cache, no tunnel.
    const atMr31 = await tshark(caps['mr31:core']!.file, 'mipv6 || icmpv6.type == 128', [
      'frame.number',
      'ipv6.src',
      'ipv6.dst',
      'mip6.mhtype',
      'icmpv6.type',
      'udp.payload',
    ]);
    const lmr = atMr31.filter((r) => r['mip6.mhtype'] === '11' && canonical(r['ipv6.src'] as string) === lo.lm1).map(mh);
    expect(lmr.length, 'an LMR from LM1').toBeGreaterThan(0);
    for (const m of lmr) {
      expect(m.type === 'EXP' && m.subtype).toBe(EXP_SUBTYPE.LM_LOCATION_REPLY);
      expect(m.type === 'EXP' && m.status).toBe(128);
      expect(altCoaOf(m)).toBeUndefined();
    }
    const m31 = roleState(view, 'mr31', 'mr');
    expect(list(m31.prefixes).filter((p) => p.prefix === prefix)).toEqual([]);
    expect(m31.tunnelPeers).not.toContain('mr11');
    const requests = atMr31.filter((r) => r['icmpv6.type'] === '128' && canonical((r['ipv6.dst'] as string).split(',').at(-1) as string) === canonical(home));
    expect(requests).toHaveLength(5);
    for (const r of requests) expect((r['ipv6.src'] as string).split(','), 'native, not tunnelled').toHaveLength(1);
    // MR11 delivers on the access link as the prefix's anchor.
    const m11 = list(roleState(view, 'mr11', 'mr').prefixes).find((p) => p.prefix === prefix);
    expect(m11).toMatchObject({ attached: 'mn1' });
    expect(m11?.route).toMatch(/^on-link via fe80::\S+ dev mn1$/);
    // The location update still went out (LM1 keeps the node's context), and was accepted.
    const atLm = await tshark(caps['lm1:mr12']!.file, 'mip6.mhtype == 5 || mip6.mhtype == 6', [
      'mip6.mhtype',
      'mip6.bu.seqnr',
      'mip6.ba.seqnr',
      'mip6.ba.status',
      'mip6.nemo.mnp.mnp',
      'udp.payload',
    ]);
    const loc = atLm.find((r) => r['mip6.mhtype'] === '5' && purposeOf(mh(r)) === PURPOSE.LOCATION_UPDATE && r['mip6.nemo.mnp.mnp'] === prefix.split('/')[0]);
    expect(loc).toBeDefined();
    expect(atLm.find((r) => r['mip6.mhtype'] === '6' && r['mip6.ba.seqnr'] === loc!['mip6.bu.seqnr'])?.['mip6.ba.status']).toBe('0');
    expect(list(lm.contexts)).toContainEqual(expect.objectContaining({ mnId, serving: 'mr11', prefixes: [prefix] }));
  });
});
