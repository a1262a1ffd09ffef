/**
 * The agent's own rtnetlink changes (agent/kernel/netlink-requests.ts, `netlinkTalk` in
 * native/netns-helper.c) against `ip -6 -force -batch`, on real namespaces: the same handover lines
 * applied both ways to two identically built nodes leave the same routes, rules and neighbour
 * entries (as `ip -d -j` shows them: protocol, scope, type and table included), fail with the same
 * messages, and a batch with a line of another form goes to `ip` whole.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../../agent/events.js';
import { Kernel } from '../../../agent/kernel/kernel.js';
import { netlinkRequest } from '../../../agent/kernel/netlink-requests.js';
import { namespaceSpawner } from '../../../agent/io/netns-helper.js';
import { namespaceNetlink } from '../../../agent/io/netns-io.js';
import { commandRunner } from '../../../agent/util/process.js';
import { ensureBuilt } from '../../support/build.js';

const viaIp = `dmmt-nl${process.pid}i`;
const viaNetlink = `dmmt-nl${process.pid}n`;

const ip = (ns: string, ...args: string[]) => execa('ip', ['-n', ns, ...args]);

beforeAll(async () => {
  await ensureBuilt();
  for (const ns of [viaIp, viaNetlink]) {
    await execa('ip', ['netns', 'add', ns]);
    await ip(ns, 'link', 'add', 'mn1', 'type', 'veth', 'peer', 'name', 'mn1p');
    await ip(ns, 'link', 'add', 'dmm0', 'type', 'veth', 'peer', 'name', 'dmm1');
    for (const dev of ['lo', 'mn1', 'mn1p', 'dmm0', 'dmm1']) await ip(ns, 'link', 'set', dev, 'up');
    await ip(ns, '-6', 'nexthop', 'add', 'id', '5436', 'dev', 'dmm0');
  }
});

afterAll(async () => {
  for (const ns of [viaIp, viaNetlink]) await execa('ip', ['netns', 'del', ns], { reject: false });
});

/** A handover's lines as mobility-routes.ts writes them (bpf driver: nexthop ids), then their removal, then failures. */
const SETUP = [
  'rule add pref 1000 lookup 100',
  'rule add pref 900 from 2001:db8:1::/48 iif mn1 lookup main',
  'rule add pref 950 from 2001:db8:2::/48 iif mn1 blackhole',
  'route replace 2001:db8:1:8000::/64 table 100 via fe80::1 dev mn1',
  'route replace blackhole 2001:db8:1:8001::/64 table 100',
  'route replace 2001:db8:1:8002::/64 table 100 nhid 5436',
  'route replace ::/0 table 1001 nhid 5436',
  'rule add pref 1100 from 2001:db8:1:8000::/64 iif mn1 lookup 1001',
  'neigh replace fe80::1 lladdr 02:00:00:00:00:01 dev mn1 nud permanent',
  'neigh replace fe80::2 lladdr 02:00:00:00:00:02 dev mn1 nud permanent',
  'route replace 2001:db8:9::/64 dev mn1 metric 10',
  'route replace 2001:db8:1:8000::/64 table 100 via fe80::2 dev mn1',
];
const TEARDOWN = [
  'route del 2001:db8:1:8001::/64 table 100',
  'rule del pref 950 from 2001:db8:2::/48 iif mn1 blackhole',
  'neigh del fe80::2 dev mn1',
  'route del ::/0 table 1001',
];
const FAILING = [
  'route del 2001:db8:77::/64 table 100',
  'rule add pref 1000 lookup 100',
  'rule del pref 4242 from 2001:db8:1:8000::/64 iif mn1 lookup 1001',
  'route replace 2001:db8:1:8003::/64 table 100 nhid 9999',
];

async function state(ns: string): Promise<unknown> {
  const read = async (...args: string[]) => JSON.parse((await ip(ns, '-6', '-d', '-j', ...args)).stdout || '[]') as unknown;
  return {
    routes: await read('route', 'show', 'table', 'all'),
    rules: await read('rule', 'show'),
    neighbours: await read('neigh', 'show', 'nud', 'permanent'),
  };
}

describe('route, rule and neighbour changes over netlink', () => {
  const events = new EventBus('t', undefined);
  const byIp = new Kernel(events, commandRunner(namespaceSpawner(`/run/netns/${viaIp}`)));
  const netlink = namespaceNetlink(`/run/netns/${viaNetlink}`);
  let sent = 0;
  const counting = { ...netlink, talk: (r: Uint8Array) => (sent++, netlink.talk(r)) };
  const byNetlink = new Kernel(events, commandRunner(namespaceSpawner(`/run/netns/${viaNetlink}`)), counting);
  afterAll(() => {
    byIp.stop();
    byNetlink.stop();
  });

  it('leave the node as ip leaves it, and fail as ip fails', async () => {
    for (const lines of [SETUP, TEARDOWN]) {
      expect(await byNetlink.apply(lines)).toEqual([]);
      expect(await byIp.apply(lines)).toEqual([]);
    }
    expect(sent).toBe(SETUP.length + TEARDOWN.length);
    expect(await state(viaNetlink)).toEqual(await state(viaIp));
    const fromIp = await byIp.apply(FAILING);
    const fromNetlink = await byNetlink.apply(FAILING);
    expect(fromIp.map((f) => f.command)).toEqual(FAILING);
    expect(fromNetlink).toEqual(fromIp);
    expect(await state(viaNetlink)).toEqual(await state(viaIp));
  });

  it('send a batch with a line of another form to ip, whole and in order', async () => {
    const before = sent;
    const lines = ['route replace 2001:db8:5::/64 table 100 dev mn1 proto static', 'route replace 2001:db8:5::/64 table 100 via fe80::1 dev mn1'];
    expect(await byNetlink.apply(lines)).toEqual([]);
    expect(sent).toBe(before);
    const r = JSON.parse((await ip(viaNetlink, '-6', '-j', 'route', 'show', 'table', '100', '2001:db8:5::/64')).stdout) as { gateway?: string }[];
    expect(r).toEqual([expect.objectContaining({ gateway: 'fe80::1' })]);
  });

  it('encode nothing for forms ip alone knows, or for an interface the node does not have', () => {
    const ifindex = (name: string) => (name === 'mn1' ? 2 : undefined);
    for (const line of [
      'route replace 2001:db8::/64 encap seg6 mode encap.red segs 2001:db8::1 dev mn1',
      'route replace 2001:db8::/64 dev nosuch',
      'route replace 2001:db8::1/64 dev mn1',
      'rule add pref 10 to 2001:db8::/64 ipproto 41 lookup 7',
      'neigh replace fe80::1 lladdr 02:00:00:00:00:01 dev mn1',
      'link set mn1 up',
    ])
      expect(netlinkRequest(line, ifindex, 1), line).toBeUndefined();
    expect(netlinkRequest('route replace 2001:db8::/64 dev mn1', ifindex, 1)).toBeInstanceOf(Uint8Array);
  });
});
