/**
 * The MR's traffic observer (agent/kernel/traffic-observer.ts) on a real namespace: the kernel
 * (nftables) filters and counts, so a flow of hundreds of packets reaches the agent as one line per
 * (source, destination) pair and second; a destination the MR already handles reaches it not at
 * all; a tunnelled packet whose inner destination is in a handover context's prefix is seen with
 * its outer source. Without nftables the same spec falls back to a BPF filter on tcpdump.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../../agent/events.js';
import { TrafficObserver, type ObserverSpec, type Sighting } from '../../../agent/kernel/traffic-observer.js';
import { commandRunner, nodeSpawner } from '../../../agent/util/process.js';
import { encapRouteVia } from '../../support/tunnel-route.js';

const tag = `${process.pid % 100000}`;
const SND = `dmmt-obs-s${tag}`;
const OBS = `dmmt-obs-o${tag}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (script: string) => execa('sh', ['-e', '-c', script]);

beforeAll(async () => {
  await sh(`
    ip netns add ${SND}; ip netns add ${OBS}
    ip link add s0 netns ${SND} type veth peer name o0 netns ${OBS}
    ip -n ${SND} link set s0 up; ip -n ${OBS} link set o0 up
    ip -n ${SND} addr add 2001:db8:a::1/64 dev s0 nodad
    ip -n ${OBS} addr add 2001:db8:a::2/64 dev o0 nodad
    ip -n ${SND} -6 route add 2001:db8:2::/48 via 2001:db8:a::2
    ip -n ${SND} -6 route add 2001:db8:5:8000::/64 ${await encapRouteVia('2001:db8:a::1', '2001:db8:a::2', 's0')}
  `);
});

afterAll(async () => {
  await execa('ip', ['netns', 'del', SND], { reject: false });
  await execa('ip', ['netns', 'del', OBS], { reject: false });
});

const spec: ObserverSpec = {
  from: ['2001:db8:a::/64'],
  towards: ['2001:db8:2:8000::/49'],
  except: ['2001:db8:2:8100::/56'],
  anchoredAway: [],
  forwarded: ['2001:db8:5:8000::/64'],
};

/** `count` pings from the sender namespace to `dst`, 2 ms apart (nobody answers; the observer only looks). */
const ping = (dst: string, count: number) =>
  execa('ip', ['netns', 'exec', SND, 'ping', '-6', '-q', '-i', '0.002', '-c', String(count), '-W', '0.01', dst], { reject: false });

async function observe(prefix: string[], watch: ObserverSpec = spec): Promise<{ observer: TrafficObserver; seen: Sighting[]; bus: EventBus }> {
  const seen: Sighting[] = [];
  const bus = new EventBus('obs', undefined);
  const observer = new TrafficObserver(bus, commandRunner(nodeSpawner(prefix)), (s) => seen.push(s));
  observer.update(watch);
  for (let i = 0; i < 50 && observer.state().filter === '(off)'; i++) await sleep(20);
  await sleep(300); // tcpdump listening
  return { observer, seen, bus };
}

describe('the traffic observer', () => {
  it('has the kernel filter and count: one line per pair, nothing for what is handled, the inner destination of a tunnel', async () => {
    const { observer, seen } = await observe(['ip', 'netns', 'exec', OBS]);
    try {
      expect(observer.state().kernel).toBe('nft');
      const t0 = performance.now();
      await ping('2001:db8:2:8000::5', 200);
      const seconds = (performance.now() - t0) / 1000;
      await ping('2001:db8:2:8000::6', 50);
      await ping('2001:db8:2:8100::7', 50); // in `except`: handled already
      await ping('2001:db8:5:8000::9', 50); // tunnelled to the observer (a handover context's prefix)
      await sleep(300);
      // 200 packets to ::5: one line per second of them at most (ping paces itself: about 1 to 2 s).
      const five = seen.filter((s) => s.dst === '2001:db8:2:8000::5').length;
      expect(five).toBeGreaterThanOrEqual(1);
      expect(five).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
      const pairs = [...new Set(seen.map((s) => `${s.outerSrc ?? '-'} ${s.src} > ${s.dst}`))];
      expect(pairs.sort()).toEqual([
        '- 2001:db8:a::1 > 2001:db8:2:8000::5',
        '- 2001:db8:a::1 > 2001:db8:2:8000::6',
        '2001:db8:a::1 2001:db8:a::1 > 2001:db8:5:8000::9',
      ]);
      expect(observer.state().lines).toBe(five + 2);
      // A pair is logged again once a second has passed, at once (the kernel does not hold the log back).
      await sleep(1100);
      const before = seen.length;
      await ping('2001:db8:2:8000::5', 1);
      await sleep(100);
      expect(seen.length).toBe(before + 1);
    } finally {
      observer.stop();
    }
    await sleep(200);
    const tables = await execa('ip', ['netns', 'exec', OBS, 'nft', 'list', 'tables']);
    expect(tables.stdout).not.toContain('dmmlab_observe');
  });

  it('logs again a pair that entered the set of pairs seen before its reader listened', async () => {
    // A pair the kernel logged while no reader listened (a lab's first packets, right after the
    // observer's first rules): in the set, its log message dropped. Held for a minute here, so that
    // only the observer emptying the set once its reader listens lets the next packet through.
    const nft = (script: string) => execa('ip', ['netns', 'exec', OBS, 'nft', '-f', '-'], { input: script });
    await nft(
      [
        'add table ip6 dmmlab_observe',
        'add set ip6 dmmlab_observe seen { type ipv6_addr . ipv6_addr; flags dynamic,timeout; timeout 1s; size 65535; }',
        'add element ip6 dmmlab_observe seen { 2001:db8:a::1 . 2001:db8:2:8000::5 timeout 60s }',
      ].join('\n'),
    );
    const { observer, seen, bus } = await observe(['ip', 'netns', 'exec', OBS]);
    try {
      const filters: string[] = [];
      bus.subscribe((e) => void (e.kind === 'observer.filter' && filters.push(String(e.filter))), 100);
      expect(filters.length, 'the observer reported its filter once its reader listened').toBeGreaterThan(0);
      await ping('2001:db8:2:8000::5', 3);
      await sleep(200);
      expect(seen.map((s) => s.dst)).toEqual(['2001:db8:2:8000::5']);
    } finally {
      observer.stop();
    }
  });

  it.each([
    ['nft', ['ip', 'netns', 'exec', OBS]],
    ['bpf', ['ip', 'netns', 'exec', OBS, 'env', 'PATH=/nonexistent:/usr/bin:/bin']],
  ] as const)('with from ::/0 (anycast) it sees a source no attached prefix holds (%s)', async (kernel, prefix) => {
    // The sender's address is outside the spec's `from` above: only ::/0 lets it through.
    const { observer, seen } = await observe([...prefix], { ...spec, from: ['::/0'] });
    try {
      expect(observer.state().kernel).toBe(kernel);
      expect(observer.state().filter).not.toContain('src net');
      await execa('ip', ['-n', SND, 'addr', 'add', '2001:db8:77::1/128', 'dev', 'lo']).catch(() => undefined);
      await execa('ip', ['netns', 'exec', SND, 'ping', '-6', '-q', '-c', '3', '-i', '0.01', '-W', '0.01', '-I', '2001:db8:77::1', '2001:db8:2:8000::5'], {
        reject: false,
      });
      await sleep(300);
      expect(seen.some((x) => x.src === '2001:db8:77::1' && x.dst === '2001:db8:2:8000::5')).toBe(true);
      expect(seen.some((x) => x.dst.startsWith('2001:db8:2:81'))).toBe(false);
    } finally {
      observer.stop();
    }
  });

  it('falls back to tcpdump with a BPF filter where nft cannot run', async () => {
    // A PATH without nft: the same spec, every matching packet a line.
    const { observer, seen } = await observe(['ip', 'netns', 'exec', OBS, 'env', 'PATH=/nonexistent:/usr/bin:/bin']);
    try {
      expect(observer.state().kernel).toBe('bpf');
      await ping('2001:db8:2:8000::5', 20);
      await sleep(300);
      expect(seen.length).toBeGreaterThanOrEqual(15);
      expect(new Set(seen.map((s) => s.dst))).toEqual(new Set(['2001:db8:2:8000::5']));
    } finally {
      observer.stop();
    }
  });
});
