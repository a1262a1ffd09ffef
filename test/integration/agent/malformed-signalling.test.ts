/**
 * Malformed, truncated or unknown messages are counted and logged, never crash the agent. On
 * figure 1, node `cn` sends to UDP 5436 of LM1 and MR11: random bytes, an empty datagram, a valid
 * signed PBU cut short, MH types dmmlab does not speak, an option whose length runs past the end,
 * and a 60000-octet datagram. Each receiver counts every one as malformed and logs `mh.rejected`
 * with the decoder's reason; both still answer `state` on the control socket (same process), and a
 * handover of MN1 from MR11 to MR12 (which needs LM1 and MR11) still works afterwards.
 */
import { ensureBuilt } from '../../support/build.js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type ResultPromise, execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabSession } from '../../../cli/lab/session.js';
import { PURPOSE, hnp, mnId, purposeOption } from '../../../shared/protocol/dmm-options.js';
import { contains, parseAddress, parsePrefix } from '../../../shared/ipv6.js';
import { BU_FLAG_BITS, encodeMessage, makeFlags, timestampFromMillis } from '../../../shared/protocol/index.js';
import { ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';

type Json = Record<string, unknown>;

/** Runs inside a node: JSON lines {id, src, dst, hex} on stdin, one UDP datagram to dst:5436 each, an ack line per datagram. */
const SENDER = `
const dgram = require('node:dgram');
const rl = require('node:readline').createInterface({ input: process.stdin });
const socks = new Map();
async function sock(src) {
  if (!socks.has(src)) {
    const s = dgram.createSocket({ type: 'udp6', sendBufferSize: 1 << 20 });
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

beforeAll(async () => {
  await ensureBuilt();
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
  expect(problems).toEqual([]);
});

async function inspectJson(lab: string): Promise<{ agents: { node: string; status: string; why?: string; state?: Json }[] }> {
  const r = await dmmlab(['inspect', lab, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Awaited<ReturnType<typeof inspectJson>>;
}

async function logEvents(lab: string, node: string): Promise<Json[]> {
  const text = await readFile(`/run/dmmlab/${lab}/logs/${node}.log`, 'utf8').catch(() => '');
  return text.split('\n').flatMap((l) => {
    try {
      return l ? [JSON.parse(l) as Json] : [];
    } catch {
      return [];
    }
  });
}

async function homeAddressIn(lab: string, mn: string, aggregate: string): Promise<string> {
  const agg = parsePrefix(aggregate);
  for (let i = 0; i < 300; i++) {
    const r = await execa('ip', ['-j', '-n', `dmm-${lab}-${mn}`, '-6', 'address', 'show', 'scope', 'global']);
    const a = (JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[])
      .flatMap((l) => l.addr_info ?? [])
      .map((x) => x.local)
      .find((x) => contains(agg, parseAddress(x)));
    if (a) return a;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`${mn} has no address in ${aggregate}`);
}

/** A minimal MH: Payload Proto 59, Header Len, MH Type, Reserved, Checksum 0, then `body`; `total` octets. */
function rawMh(type: number, total: number, body: number[] = []): Uint8Array {
  const b = new Uint8Array(total);
  b.set([59, total / 8 - 1, type, 0, 0, 0, ...body]);
  return b;
}

describe('malformed signalling on figure 1 (netns)', () => {
  it('counts and logs malformed datagrams at LM1 and MR11, which keep answering and still hand MN1 over', { timeout: 300_000 }, async () => {
    const lab = uniqueLab('malf');
    created.push(lab);
    const dep = await dmmlab(['deploy', path.join(ROOT, 'topologies/fig1.yaml'), '--name', lab, '--runtime', 'netns']);
    expect(dep.exitCode, dep.stderr).toBe(0);
    const state = JSON.parse(await readFile(`/run/dmmlab/${lab}/state.json`, 'utf8')) as {
      signalling: { key: string; spi: number };
      plan: { nodes: { name: string; loopback?: string }[]; mobility: { mrs: { node: string; anchor: string }[] } };
    };
    const lo = Object.fromEntries(state.plan.nodes.filter((n) => n.loopback).map((n) => [n.name, n.loopback as string])) as Record<string, string>;
    const key = { spi: state.signalling.spi, key: Uint8Array.from(Buffer.from(state.signalling.key, 'base64')) };
    const anchorOf = (mr: string) => state.plan.mobility.mrs.find((m) => m.node === mr)!.anchor;
    const home = await homeAddressIn(lab, 'mn1', anchorOf('mr11'));

    const sender = execa('ip', ['netns', 'exec', `dmm-${lab}-cn`, 'node', '-e', SENDER], { reject: false, buffer: false, stdin: 'pipe' });
    procs.push(sender);
    let out = '';
    const acks = new Map<number, (a: { ok: boolean; error?: string }) => void>();
    let ready: () => void = () => {};
    const isReady = new Promise<void>((r) => (ready = r));
    sender.stdout?.on('data', (d: Buffer | string) => {
      out += d.toString();
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        const m = JSON.parse(out.slice(0, nl)) as { id?: number; ready?: boolean; ok: boolean; error?: string };
        out = out.slice(nl + 1);
        if (m.ready) ready();
        else if (m.id !== undefined) acks.get(m.id)?.(m);
      }
    });
    await isReady;
    let nextId = 1;
    const send = (dst: string, bytes: Uint8Array) =>
      new Promise<{ ok: boolean; error?: string }>((resolve) => {
        const id = nextId++;
        acks.set(id, resolve);
        sender.stdin?.write(JSON.stringify({ id, src: lo.cn, dst, hex: Buffer.from(bytes).toString('hex') }) + '\n');
      });

    const before = await inspectJson(lab);
    const pidOf = (v: Awaited<ReturnType<typeof inspectJson>>, n: string) => v.agents.find((a) => a.node === n)?.state?.pid;
    const countersOf = (v: Awaited<ReturnType<typeof inspectJson>>, n: string) =>
      v.agents.find((a) => a.node === n)?.state?.signalling as Record<string, number>;

    for (const node of ['lm1', 'mr11'] as const) {
      const dst = lo[node]!;
      const valid = encodeMessage(
        {
          type: 'PBU',
          sequence: 4242,
          flags: makeFlags(BU_FLAG_BITS, { A: true, P: true }),
          lifetime: 600,
          options: [
            purposeOption(PURPOSE.LOCATION_UPDATE),
            mnId(`mn1@net1.${lab}`),
            hnp('2001:db8:1:8000::/64'),
            { kind: 'timestamp', value: timestampFromMillis(Date.now()) },
          ],
        },
        { src: lo.cn!, dst, auth: key },
      );
      expect(valid.length).toBeGreaterThan(64);
      const huge = new Uint8Array(60_000);
      huge.set([59, 255, 5, 0]);
      const random = Uint8Array.from(randomBytes(97));
      // Each has its own length, so that the log line can be told apart.
      const cases: { what: string; bytes: Uint8Array; reason: RegExp }[] = [
        { what: 'random bytes', bytes: random, reason: /^malformed: / },
        { what: 'an empty datagram', bytes: new Uint8Array(0), reason: /^malformed: truncated$/ },
        { what: 'a signed PBU cut short', bytes: valid.slice(0, 37), reason: /^malformed: truncated$/ },
        { what: 'MH type 200', bytes: rawMh(200, 16, [0, 1]), reason: /^malformed: unknown-type$/ },
        { what: 'MH type 1 (HoTI, not spoken here)', bytes: rawMh(1, 32, [0, 0]), reason: /^malformed: unknown-type$/ },
        // A PBU whose MN-ID option says 200 octets in a 24-octet MH.
        {
          what: 'an option running past the end',
          bytes: rawMh(5, 24, [0x12, 0x34, 0x82, 0x00, 0x00, 0x96, 8, 200, 1, 0x6d]),
          reason: /^malformed: bad-option$/,
        },
        // An HNP option (type 22) with length 4 instead of 18, in a 40-octet PBU.
        {
          what: 'an HNP option of the wrong length',
          bytes: rawMh(5, 40, [0x12, 0x35, 0x82, 0x00, 0x00, 0x96, 1, 0, 22, 4, 0, 64, 0, 0]),
          reason: /^malformed: bad-option$/,
        },
        { what: 'a 60000-octet datagram', bytes: huge, reason: /^malformed: bad-length$/ },
      ];
      expect(new Set(cases.map((c) => c.bytes.length)).size).toBe(cases.length);
      for (const c of cases) expect(await send(dst, c.bytes), `sending ${c.what} to ${node}`).toMatchObject({ ok: true });

      // All counted as malformed and logged with the decoder's reason.
      let events: Json[] = [];
      for (let i = 0; i < 100; i++) {
        events = (await logEvents(lab, node)).filter((e) => e.kind === 'mh.rejected' && e.from === lo.cn);
        if (events.length >= cases.length) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      for (const c of cases) {
        const e = events.find((x) => x.bytes === c.bytes.length);
        expect(e, `${node} logged ${c.what}`).toBeDefined();
        expect(String(e!.reason), `${node}: reason for ${c.what}`).toMatch(c.reason);
      }
      const after = await inspectJson(lab);
      const c0 = countersOf(before, node);
      const c1 = countersOf(after, node);
      expect(c1.malformed! - c0.malformed!, `${node} malformed counter`).toBe(cases.length);
      expect(c1.unauthenticated, `${node} unauthenticated counter`).toBe(c0.unauthenticated);
      expect(c1.replayed).toBe(c0.replayed);
    }

    // Both still answer on the control socket, as the same process, and neither logged a crash.
    const view = await inspectJson(lab);
    for (const node of ['lm1', 'mr11']) {
      expect(view.agents.find((a) => a.node === node)?.status, `${node} answers state`).toBe('up');
      expect(pidOf(view, node)).toBe(pidOf(before, node));
      expect((await logEvents(lab, node)).filter((e) => e.kind === 'agent.crashed' || e.kind === 'agent.stopping')).toEqual([]);
      expect((await readFile(`/run/dmmlab/${lab}/logs/${node}.out`, 'utf8').catch(() => '')).trim(), `${node} process output`).toBe('');
    }
    expect(view.agents.filter((a) => a.status === 'down')).toEqual([]);

    // A handover still works: MR12 learns MN1's prefix from LM1, takes the context from MR11 (HI/HAck), binds at the anchor.
    const session = await LabSession.open(lab);
    try {
      expect(session.deadAgents).toEqual([]);
      expect(await session.agentState('lm1')).toMatchObject({ configured: true, pid: pidOf(before, 'lm1') });
      const done = session.waitFor(['handover.completed'], (e) => e.node === 'mr12' && e.mn === 'mn1', 20_000, 'handover of mn1 to mr12');
      const transferred = session.waitFor(['context.transferred'], (e) => e.node === 'mr12' && e.from === 'mr11', 20_000, 'context transfer from mr11');
      await session.handover('mn1', 'mr12');
      const [h] = await Promise.all([done, transferred]);
      expect(h.from).toBe('mr11');
      const newHome = await homeAddressIn(lab, 'mn1', anchorOf('mr12'));
      for (const target of [home, newHome]) {
        const p = await execa('ip', ['netns', 'exec', `dmm-${lab}-cn`, 'ping', '-c', '3', '-i', '0.2', '-W', '2', target], { reject: false });
        expect(p.exitCode, `ping ${target} after the handover:\n${p.stdout}`).toBe(0);
      }
      expect(session.deadAgents).toEqual([]);
      // A second handover to the same router is refused up front instead of waiting for an attachment that never comes.
      await expect(session.handover('mn1', 'mr12')).rejects.toThrow(/mn1 is already attached to mr12/);
    } finally {
      session.close();
    }
    sender.kill('SIGTERM');
    await sender;
  });
});
