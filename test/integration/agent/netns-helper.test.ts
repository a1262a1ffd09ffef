/**
 * The native helper an agent host uses to serve nodes from outside their namespaces
 * (native/netns-helper.c, agent/io/netns-helper.ts), on real namespaces: programs start inside the
 * node (they see its interfaces, not the host's), their output, exit codes and signals come back,
 * a program that does not exist fails cleanly; sockets opened in one node reach another over a
 * veth; the interface list and carrier are the node's.
 */
import dgram from 'node:dgram';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linksIn, namespaceSpawner, netnsHelper } from '../../../agent/io/netns-helper.js';
import { commandRunner } from '../../../agent/util/process.js';
import { ensureBuilt } from '../../support/build.js';

const a = `dmmt-nh${process.pid}a`;
const b = `dmmt-nh${process.pid}b`;

beforeAll(async () => {
  await ensureBuilt();
  for (const ns of [a, b]) await execa('ip', ['netns', 'add', ns]);
  await execa('ip', ['-n', a, 'link', 'add', 'toB', 'type', 'veth', 'peer', 'name', 'toA', 'netns', b]);
  for (const [ns, dev, addr] of [
    [a, 'toB', '2001:db8:77::1/64'],
    [b, 'toA', '2001:db8:77::2/64'],
  ] as const) {
    await execa('ip', ['-n', ns, 'addr', 'add', addr, 'dev', dev, 'nodad']);
    await execa('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
});

afterAll(async () => {
  for (const ns of [a, b]) await execa('ip', ['netns', 'del', ns], { reject: false });
});

describe('programs started in a namespace', () => {
  const run = commandRunner(namespaceSpawner(`/run/netns/${a}`));

  it('see the node’s interfaces, not the host’s', async () => {
    const r = await run.run(['ip', '-o', 'link', 'show']);
    expect(r.exitCode).toBe(0);
    const names = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':')[1]?.trim().split('@')[0]);
    expect(names.sort()).toEqual(['lo', 'toB']);
  });

  it('give back stdin, stdout, exit codes and signals', async () => {
    expect(await run.run(['sh', '-c', 'read x; echo "got $x"; exit 3'], { input: 'hello\n' })).toMatchObject({ exitCode: 3, stdout: 'got hello\n' });
    const slow = await run.run(['sleep', '5'], { timeoutMs: 100 });
    expect(slow).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: true });
    const lines: string[] = [];
    const p = run.lines(['sh', '-c', 'echo one; echo two; echo oops >&2; exit 1'], (l) => lines.push(l));
    expect(await p.done).toMatchObject({ exitCode: 1, stderr: 'oops\n' });
    expect(lines).toEqual(['one', 'two']);
  });

  it('feeds a long-lived ip -batch on stdin', async () => {
    const p = run.pipe(['ip', '-force', '-batch', '-']);
    p.stdin.end('address add 2001:db8:78::1/128 dev lo\n');
    expect(await p.exit).toMatchObject({ exitCode: 0 });
    expect((await execa('ip', ['-n', a, '-6', 'addr', 'show', 'dev', 'lo'])).stdout).toContain('2001:db8:78::1/128');
  });

  it('fails cleanly for a program that does not exist', async () => {
    const r = await run.run(['no-such-program-here']);
    expect(r.exitCode).toBeNull();
    expect(r.stderr).toMatch(/no-such-program-here.*No such file/);
  });
});

describe('sockets and links of a namespace', () => {
  it('opens UDP sockets in two nodes that talk over their veth; one node cannot bind the other’s address', async () => {
    const open = (ns: string, address: string) =>
      new Promise<dgram.Socket>((resolve) => {
        const s = dgram.createSocket('udp6');
        s.bind({ fd: netnsHelper().socketIn(`/run/netns/${ns}`, 0, address, 7777, null) }, () => resolve(s));
      });
    const [sa, sb] = await Promise.all([open(a, '2001:db8:77::1'), open(b, '2001:db8:77::2')]);
    const got = new Promise<string>((resolve) => sb.once('message', (m, rinfo) => resolve(`${String(m)} from ${rinfo.address}`)));
    sa.send('ping', 7777, '2001:db8:77::2');
    expect(await got).toBe('ping from 2001:db8:77::1');
    sa.close();
    sb.close();
    expect(() => netnsHelper().socketIn(`/run/netns/${a}`, 0, '2001:db8:77::2', 7777, null)).toThrow(/bind 2001:db8:77::2: Cannot assign requested address/);
  });

  it('lists the node’s interfaces with their carrier', async () => {
    const links = linksIn(`/run/netns/${a}`);
    expect(links.map((l) => l.ifname).sort()).toEqual(['lo', 'toB']);
    expect(links.find((l) => l.ifname === 'toB')?.carrier).toBe(true);
    await execa('ip', ['-n', b, 'link', 'set', 'toA', 'down']);
    expect(linksIn(`/run/netns/${a}`).find((l) => l.ifname === 'toB')?.carrier).toBe(false);
  });
});
