import type { AgentEvent } from '../../../shared/control/events.js';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../../cli/state/journal.js';
import { captureAdapter, type CaptureBackend } from '../../../cli/tui/capture-adapter.js';
import { PcapCounter } from '../../../cli/tui/pcap-count.js';
import { fig1Plan } from './fake-lab.js';
import type { CaptureFileRef } from '../../../cli/capture/capture-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-tui-capture-'));
const previousStateDir = process.env.DMMLAB_STATE_DIR;

beforeAll(() => {
  process.env.DMMLAB_STATE_DIR = path.join(dir, 'state');
});
afterAll(() => {
  if (previousStateDir === undefined) delete process.env.DMMLAB_STATE_DIR;
  else process.env.DMMLAB_STATE_DIR = previousStateDir;
  rmSync(dir, { recursive: true, force: true });
});

/** A classic little-endian pcap header, then `n` records of `len` bytes. */
function pcapHeader(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b23c4d, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(262144, 16);
  b.writeUInt32LE(1, 20);
  return b;
}
function records(n: number, len: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(len, 8);
    h.writeUInt32LE(len, 12);
    parts.push(h, Buffer.alloc(len, i));
  }
  return Buffer.concat(parts);
}

describe('pcap counter', () => {
  it('counts packets as the file grows, waiting for a record cut at the end', async () => {
    const f = path.join(dir, 'a.pcap');
    writeFileSync(f, pcapHeader());
    const c = new PcapCounter();
    expect(await c.count([f])).toBe(0);
    appendFileSync(f, records(3, 60));
    expect(await c.count([f])).toBe(3);
    const more = records(2, 100);
    appendFileSync(f, more.subarray(0, 150));
    expect(await c.count([f])).toBe(4);
    appendFileSync(f, more.subarray(150));
    expect(await c.count([f, path.join(dir, 'missing.pcap')])).toBe(5);
  });
});

describe('capture adapter', () => {
  it('starts a capture session on the lab, counts, stops and exports with the events', async () => {
    const plan = fig1Plan();
    await Journal.create({ lab: plan.lab, runtime: 'netns', status: 'running', source: 'x', plan });
    const file = path.join(dir, 'mr11_core.pcap');
    writeFileSync(file, Buffer.concat([pcapHeader(), records(7, 80)]));
    const files: CaptureFileRef[] = [{ node: 'mr11', iface: 'core', path: file }];
    const calls: string[] = [];
    let exported: { files: readonly CaptureFileRef[]; output: string; events: { timestampNs: bigint; text: string }[] } | undefined;
    const backend: CaptureBackend = {
      start: async (o) => {
        calls.push(`start ${path.relative(process.env.DMMLAB_STATE_DIR!, o.dir).split(path.sep).slice(0, 2).join('/')} ${o.journal.current.lab}`);
        return { files, stop: async () => (calls.push('stop'), files) };
      },
      exportPcapng: async (f, output, events) => void (exported = { files: f, output, events }),
    };
    const now = Date.now();
    const events = [
      { t: -60_000, node: 'mr2', kind: 'mn.attached', mn: 'mn1', iface: 'mn1' },
      { t: 1000, node: 'mr2', kind: 'handover.completed', mn: 'mn1', mnId: 'mn1@net1.fig1t', from: 'mr11', to: 'mr2', ms: 20, mode: 'handover', prefixes: [] },
      { t: 1001, node: 'mn1', kind: 'flow.stats', flowId: 'f1' },
    ] as unknown as AgentEvent[];
    const cap = captureAdapter({
      plan,
      access: () => {
        throw new Error('the fake backend enters no node');
      },
      events: () => events,
      monoToWallMs: now,
      exportDir: dir,
      backend,
    });
    await expect(cap.export()).rejects.toThrow(/nothing captured yet/);
    await cap.start();
    expect(calls).toEqual(['start fig1t/captures fig1t']);
    expect(await cap.stats()).toMatchObject({ on: true, packets: 7 });
    const out = await cap.export();
    expect(calls).toEqual(['start fig1t/captures fig1t', 'stop']);
    expect(out).toMatch(new RegExp(`^${dir}/fig1t-.*\\.pcapng$`));
    expect(exported?.files).toEqual(files);
    expect(exported?.events).toEqual([
      { timestampNs: BigInt(now + 1000) * 1_000_000n, text: 'mr2 handover.completed mn1 handover mr11→mr2 in 20.0 ms, prefixes ' },
    ]);
    expect(await cap.stats()).toEqual({ on: false, packets: 7, file: out });
  });
});
