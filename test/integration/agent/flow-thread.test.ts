/**
 * The agent host's flow thread (agent/flows/flow-thread.ts), running the built agent bundle as a
 * worker, on real namespaces: sockets opened in two nodes by the namespace helper are handed over
 * by number; a sender there keeps its rate and finishes a limited flow, a receiver there reads every
 * packet; the figures replayed on this thread are complete once `stop` resolves; a socket that cannot
 * be taken over fails the open; flows whose thread goes away hear about it, and a socket handed to a
 * thread that is gone is closed.
 */
import { fstatSync, openSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowThread, ReportedProgress } from '../../../agent/flows/flow-thread.js';
import type { ReceiveSink, SendSink } from '../../../agent/flows/udp-loops.js';
import { netnsHelper } from '../../../agent/io/netns-helper.js';
import { ensureBuilt } from '../../support/build.js';
import { ROOT } from '../../support/cli.js';

const a = `dmmt-ft${process.pid}a`;
const b = `dmmt-ft${process.pid}b`;
const A = '2001:db8:78::1';
const B = '2001:db8:78::2';
const bundle = pathToFileURL(path.join(ROOT, 'dist/agent/flow-thread.mjs'));

beforeAll(async () => {
  await ensureBuilt();
  for (const ns of [a, b]) await execa('ip', ['netns', 'add', ns]);
  await execa('ip', ['-n', a, 'link', 'add', 'toB', 'type', 'veth', 'peer', 'name', 'toA', 'netns', b]);
  for (const [ns, dev, addr] of [
    [a, 'toB', `${A}/64`],
    [b, 'toA', `${B}/64`],
  ] as const) {
    await execa('ip', ['-n', ns, 'addr', 'add', addr, 'dev', dev, 'nodad']);
    await execa('ip', ['-n', ns, 'link', 'set', dev, 'up']);
  }
  // Neighbour discovery done before the flows (the first solicitation can go unanswered while the link comes up).
  await execa('ip', ['netns', 'exec', a, 'ping', '-6', '-c', '1', '-w', '5', B]);
});

afterAll(async () => {
  for (const ns of [a, b]) await execa('ip', ['netns', 'del', ns], { reject: false });
});

/** Sinks that keep everything they are told. */
function recorder() {
  const got = { sent: 0, bytes: 0, failed: [] as string[], finished: 0, arrivals: [] as number[], latencies: [] as number[], from: '', errors: [] as string[] };
  const send: SendSink = {
    sent: (n, bytes) => {
      got.sent += n;
      got.bytes += bytes;
    },
    failed: (code) => void got.failed.push(code),
    notice: (code) => void got.failed.push(code),
    behind: () => undefined,
    finished: () => void got.finished++,
  };
  const receive: ReceiveSink = {
    arrival: (seq, _bytes, latencyMs, from) => {
      got.arrivals.push(seq);
      got.latencies.push(latencyMs);
      got.from = from;
    },
    malformed: () => void got.errors.push('malformed'),
    foreign: () => void got.errors.push('foreign'),
    error: (e) => void got.errors.push(e.message),
  };
  return { got, send, receive };
}

const helper = () => netnsHelper();

describe('the flow thread', () => {
  it('sends and receives a limited flow between two nodes; every figure is here once stop resolves', async () => {
    const thread = new FlowThread(bundle);
    try {
      const { got, send, receive } = recorder();
      const lost: Error[] = [];
      const rx = await thread.receiver(helper().socketIn(`/run/netns/${b}`, 0, B, 7788, null), 4242, receive, (e) => lost.push(e));
      expect(rx.localPort).toBe(7788);
      const progress = new ReportedProgress();
      const t0 = Date.now();
      const tx = await thread.sender(
        helper().socketIn(`/run/netns/${a}`, 0, A, 0, null),
        { source: A, destination: B, port: 7788 },
        { wireId: 4242, rate: 500, size: 100, durationMs: 400 },
        send,
        progress,
        (e) => lost.push(e),
      );
      expect(tx.localPort).toBeGreaterThan(0);
      while (got.finished === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
      expect(got.finished).toBe(1);
      // 500/s for 400 ms: 200 packets, no sooner than the schedule allows.
      expect(got.sent).toBe(200);
      expect(got.bytes).toBe(20_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
      expect(progress.lastSeq).toBe(200);
      await tx.stop();
      await rx.stop();
      expect(got.arrivals).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(got.from).toBe(A);
      expect(Math.min(...got.latencies)).toBeGreaterThan(0);
      expect(Math.max(...got.latencies)).toBeLessThan(1000);
      expect(got.failed).toEqual([]);
      expect(got.errors).toEqual([]);
      expect(lost).toEqual([]);
    } finally {
      await thread.stop();
    }
  });

  it('fails an open whose descriptor is not a socket, and keeps serving', async () => {
    const thread = new FlowThread(bundle);
    try {
      const { receive } = recorder();
      await expect(thread.receiver(openSync(path.join(ROOT, 'package.json'), 'r'), 1, receive, () => undefined)).rejects.toThrow(
        /cannot take over socket \d+: .*fd type/i,
      );
      const rx = await thread.receiver(helper().socketIn(`/run/netns/${b}`, 0, B, 0, null), 1, receive, () => undefined);
      expect(rx.localPort).toBeGreaterThan(0);
      await rx.stop();
    } finally {
      await thread.stop();
    }
  });

  it('tells running flows when their thread goes away, and refuses new ones', async () => {
    const thread = new FlowThread(bundle);
    const { receive } = recorder();
    const lost: Error[] = [];
    await thread.receiver(helper().socketIn(`/run/netns/${b}`, 0, B, 0, null), 1, receive, (e) => lost.push(e));
    await thread.stop();
    expect(lost.map((e) => e.message)).toEqual([expect.stringMatching(/flow thread (was stopped|ended)/)]);
    // A descriptor meant for a thread that is gone is closed, not leaked.
    const fd = helper().socketIn(`/run/netns/${b}`, 0, B, 0, null);
    expect(() => thread.receiver(fd, 1, receive, () => undefined)).toThrow(/flow thread was stopped/);
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
  });
});
