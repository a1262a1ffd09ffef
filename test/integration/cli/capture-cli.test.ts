import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { ensureBuilt } from '../../support/build.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePacket } from '../../../cli/capture/packet-decode.js';
import { parseCapture } from '../../../cli/capture/pcap-reader.js';
import type { Plan } from '../../../cli/plan/types.js';
import { readState } from '../../../cli/state/journal.js';
import { BIN, ROOT, dmmlab } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';

// `dmmlab capture` against a running smoke lab (mr1 — cn1 wired, mn1 on mr1's cell).

const lab = uniqueLab('capcli');
const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-capcli-'));
let plan: Plan;

/** Starts `dmmlab capture ...` with stdout as bytes, and resolves once tcpdump listens (wrapped: the child is a thenable). */
async function startCapture(args: string[]): Promise<{ child: ResultPromise<{ reject: false; encoding: 'buffer'; cwd: string }> }> {
  const child = execa('node', [BIN, 'capture', lab, ...args], { reject: false, encoding: 'buffer', cwd: ROOT });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`capture did not start: ${err}`)), 20_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (/listening on|capturing /.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void child.then(() => reject(new Error(`capture exited before listening: ${err}`)));
  });
  return { child };
}

/** execa's buffer output is a Uint8Array, whose toString() lists numbers. */
const text = (b: Uint8Array) => Buffer.from(b).toString();

/** cn1 pings mr1's loopback `count` times (wired link mr1:cn1). */
function pingMr1(count: number) {
  const target = (plan.nodes.find((n) => n.name === 'mr1')?.loopback as string).split('/')[0] as string;
  return execa('ip', ['netns', 'exec', `dmm-${lab}-cn1`, 'ping', '-6', '-c', String(count), '-i', '0.2', '-W', '1', target], { reject: false });
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this integration test needs root (namespaces, tcpdump)');
  await ensureBuilt();
  const dep = await dmmlab(['deploy', path.join(ROOT, 'topologies/smoke.yaml'), '--runtime', 'netns', '--name', lab]);
  if (dep.exitCode !== 0) throw new Error(`deploy failed: ${dep.stderr}`);
  plan = (await readState(lab)).plan as Plan;
}, 180_000);

afterAll(async () => {
  const des = await dmmlab(['destroy', lab]);
  rmSync(dir, { recursive: true, force: true });
  expect(des.exitCode, des.stderr).toBe(0);
  expect(await leftovers(lab)).toEqual([]);
});

describe('dmmlab capture', () => {
  it('streams nothing but pcap on stdout with -w - (node:iface, --count)', async () => {
    // Neighbour discovery and MLD may come first on the link: ten packets surely hold an echo request.
    const { child } = await startCapture(['mr1:cn1', '-w', '-', '--count', '10']);
    const ping = pingMr1(20);
    const r = await child;
    ping.kill('SIGTERM');
    await ping;
    expect(r.exitCode, text(r.stderr)).toBe(0);
    const capture = parseCapture(new Uint8Array(r.stdout), {}, 'stdout');
    expect(capture.format).toBe('pcap');
    expect(capture.interfaces.map((i) => i.linkType)).toEqual([1]);
    expect(capture.records).toHaveLength(10);
    const decoded = capture.records.map((rec) => decodePacket(rec.linkType, rec.data, rec.originalLength));
    expect(decoded.filter((p) => p.malformed)).toEqual([]);
    expect(decoded.some((p) => p.transport?.kind === 'icmpv6' && p.transport.type === 128)).toBe(true);
  });

  it('captures each interface of a node into one pcapng named node:iface (-w FILE --duration)', async () => {
    const file = path.join(dir, 'mr1.pcapng');
    const { child } = await startCapture(['mr1', '-w', file, '--duration', '2']);
    await pingMr1(4);
    const r = await child;
    expect(r.exitCode, text(r.stderr)).toBe(0);
    const capture = parseCapture(new Uint8Array(readFileSync(file)), {}, file);
    expect(capture.format).toBe('pcapng');
    const mr1 = plan.nodes.find((n) => n.name === 'mr1') as Plan['nodes'][number];
    expect(capture.interfaces.map((i) => i.name).sort()).toEqual(mr1.interfaces.map((i) => `mr1:${i.name}`).sort());
    const onCn1 = capture.records.filter((rec) => rec.interfaceName === 'mr1:cn1').map((rec) => decodePacket(rec.linkType, rec.data));
    expect(onCn1.filter((p) => p.transport?.kind === 'icmpv6' && p.transport.type === 128)).toHaveLength(4);
  });

  it('stops cleanly on Ctrl-C and leaves a complete file', async () => {
    const file = path.join(dir, 'int.pcapng');
    const { child } = await startCapture(['mr1:cn1', '-w', file]);
    await pingMr1(2);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, text(r.stderr)).toBe(0);
    const capture = parseCapture(new Uint8Array(readFileSync(file)), {}, file);
    expect(capture.interfaces.map((i) => i.name)).toEqual(['mr1:cn1']);
    expect(capture.records.filter((rec) => decodePacket(rec.linkType, rec.data).transport?.kind === 'icmpv6').length).toBeGreaterThanOrEqual(4);
  });

  it('prints the text decode without -w', async () => {
    const { child } = await startCapture(['mr1:cn1', '--count', '2', '--filter', 'icmp6 and ip6[40] == 128']);
    const ping = pingMr1(10);
    const r = await child;
    ping.kill('SIGTERM');
    await ping;
    expect(r.exitCode, text(r.stderr)).toBe(0);
    expect(
      text(r.stdout)
        .trim()
        .split('\n')
        .filter((l) => /echo request/.test(l)),
    ).toHaveLength(2);
  });

  it('names what exists when the lab, node or interface is unknown (exit 2)', async () => {
    const node = await dmmlab(['capture', lab, 'nosuch']);
    expect(node.exitCode).toBe(2);
    expect(node.stderr).toMatch(/no node "nosuch".*mr1, cn1, mn1/);
    const iface = await dmmlab(['capture', lab, 'mr1:nosuch']);
    expect(iface.exitCode).toBe(2);
    expect(iface.stderr).toMatch(/no interface "nosuch".*cn1.*mn1/);
    const noLab = await dmmlab(['capture', `${lab}x`, 'mr1']);
    expect(noLab.exitCode).toBe(2);
    expect(noLab.stderr).toContain(lab);
    const usage = await dmmlab(['capture', lab, 'mr1', '--count', 'many']);
    expect(usage.exitCode).toBe(2);
  });
});
