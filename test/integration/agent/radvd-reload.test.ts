import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandRunner, nodeSpawner } from '../../../agent/util/process.js';
import { Radvd } from '../../../agent/kernel/radvd.js';
import { EventBus } from '../../../agent/events.js';
import { labNamespaces, uniqueLab } from '../../support/lab-leftovers.js';

// The access router's radvd gets SIGHUP whenever its prefixes change. A SIGHUP
// that arrives before radvd has installed its handler kills it (the default
// action), and a mobile node attaching right after the access router started
// then never gets its home address: CI hit this under load. Here the prefix is
// set the instant radvd starts, many times over; radvd must survive every time
// and the node on the other end of the link must autoconfigure from the prefix.

const lab = uniqueLab('radvd');
const ar = `dmm-${lab}-ar`;
const mn = `dmm-${lab}-mn`;
let workDir = '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ipBatch = (lines: string[]) => execa('ip', ['-batch', '-'], { input: lines.join('\n') + '\n' });

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this integration test needs root (network namespaces)');
  workDir = await mkdtemp(path.join(os.tmpdir(), 'dmmlab-radvd-'));
  await ipBatch([`netns add ${ar}`, `netns add ${mn}`, `link add acc0 netns ${ar} type veth peer name wlan0 netns ${mn}`]);
  await execa('ip', ['-n', ar, 'link', 'set', 'acc0', 'up']);
  await execa('ip', ['-n', mn, 'link', 'set', 'wlan0', 'up']);
  await execa('ip', ['netns', 'exec', ar, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
  await execa('ip', ['netns', 'exec', mn, 'sysctl', '-qw', 'net.ipv6.conf.wlan0.accept_ra=2']);
});

afterAll(async () => {
  for (const n of await labNamespaces(lab)) await execa('ip', ['netns', 'del', n], { reject: false });
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('radvd on an access link', () => {
  it('survives a prefix change sent the instant it starts, and advertises the prefix', async () => {
    const errors: string[] = [];
    for (let round = 0; round < 10; round++) {
      const events = new EventBus('ar', undefined);
      events.subscribe((e) => {
        if (e.kind === 'agent.error') errors.push(String(e.message));
      });
      // A directory per round: the radvd stopped in the round before may still hold its pid file lock.
      const radvd = new Radvd(await mkdtemp(path.join(workDir, 'round-')), events, commandRunner(nodeSpawner(['ip', 'netns', 'exec', ar])));
      await radvd.start(['acc0']);
      await radvd.set('acc0', [{ prefix: `2001:db8:99:${round}::/64`, preferred: 3600, valid: 3600 }]);
      await sleep(100);
      expect(errors, `round ${round}`).toEqual([]);
      radvd.stop();
      await sleep(50);
    }
    const events = new EventBus('ar', undefined);
    const radvd = new Radvd(await mkdtemp(path.join(workDir, 'last-')), events, commandRunner(nodeSpawner(['ip', 'netns', 'exec', ar])));
    await radvd.start(['acc0']);
    await radvd.set('acc0', [{ prefix: '2001:db8:99:ff::/64', preferred: 3600, valid: 3600 }]);
    try {
      let addrs = '';
      for (let i = 0; i < 100 && !/2001:db8:99:ff:/.test(addrs); i++) {
        await sleep(100);
        addrs = (await execa('ip', ['-n', mn, '-6', 'addr', 'show', 'dev', 'wlan0', 'scope', 'global'])).stdout;
      }
      expect(addrs).toMatch(/inet6 2001:db8:99:ff:/);
      expect(errors).toEqual([]);
    } finally {
      radvd.stop();
    }
  });

  it('withdraws a prefix it stops advertising: the node drops its on-link route at once', async () => {
    const radvd = new Radvd(
      await mkdtemp(path.join(workDir, 'withdraw-')),
      new EventBus('ar', undefined),
      commandRunner(nodeSpawner(['ip', 'netns', 'exec', ar])),
    );
    await radvd.start(['acc0']);
    const routes = async () => (await execa('ip', ['-n', mn, '-6', 'route', 'show', 'dev', 'wlan0'])).stdout;
    const until = async (ok: (r: string) => boolean) => {
      for (let i = 0; i < 50; i++) {
        const r = await routes();
        if (ok(r)) return r;
        await sleep(100);
      }
      return routes();
    };
    try {
      await radvd.set('acc0', [
        { prefix: '2001:db8:98:1::/64', preferred: 3600, valid: 3600 },
        { prefix: '2001:db8:98:2::/64', preferred: 3600, valid: 3600 },
      ]);
      expect(await until((r) => r.includes('2001:db8:98:1::/64') && r.includes('2001:db8:98:2::/64'))).toMatch(/2001:db8:98:1::\/64 proto kernel .*expires/);
      await radvd.set('acc0', [{ prefix: '2001:db8:98:2::/64', preferred: 3600, valid: 3600 }]);
      const after = await until((r) => !r.includes('2001:db8:98:1::/64'));
      expect(after).not.toContain('2001:db8:98:1::/64');
      expect(after).toContain('2001:db8:98:2::/64');
      // Advertised here no more: state shows only what is offered.
      expect(radvd.current()).toEqual({ acc0: [{ prefix: '2001:db8:98:2::/64', preferred: 3600, valid: 3600 }] });
    } finally {
      radvd.stop();
    }
  });
});
