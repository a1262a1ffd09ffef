import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../agent/events.js';
import { Radvd } from '../../../agent/kernel/radvd.js';
import type { CommandRunner } from '../../../agent/util/process.js';
import { QUIET_MS, signallingActivity } from '../../../agent/util/after-signalling.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('radvd configuration', () => {
  it('keeps every prefix when many nodes attach at once (no older write lands over a newer one)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-radvd-'));
    dirs.push(dir);
    // No radvd is started: set() only rewrites the file, which is what raced. The first write is
    // slow, as under load: a later one must not land first and then be overwritten by it.
    let first = true;
    const slowFirst = (async (file: string, data: string) => {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, 50));
      }
      await writeFile(file, data);
    }) as typeof writeFile;
    const radvd = new Radvd(dir, new EventBus('ar', undefined), {} as CommandRunner, { writeFile: slowFirst, rename });
    const ifaces = Array.from({ length: 10 }, (_, i) => `mn${i}`);
    await Promise.all(ifaces.map((iface, i) => radvd.set(iface, [{ prefix: `2001:db8:1:${(0x8000 + i).toString(16)}::/64`, preferred: 3600, valid: 3600 }])));
    const conf = await readFile(path.join(dir, 'radvd.conf'), 'utf8');
    for (const [i, iface] of ifaces.entries()) {
      expect(conf, iface).toContain(`interface ${iface} {`);
      expect(conf, iface).toContain(`prefix 2001:db8:1:${(0x8000 + i).toString(16)}::/64`);
    }
  });

  it('rewrites the file after the burst of signalling, once for every change asked for in it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dmmlab-radvd-'));
    dirs.push(dir);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const written: string[] = [];
      const radvd = new Radvd(dir, new EventBus('ar', undefined), {} as CommandRunner, {
        writeFile: async (file, data) => {
          written.push(data);
          await writeFile(file, data);
        },
        rename,
      });
      signallingActivity();
      const settled = [
        radvd.set('mn1', [{ prefix: '2001:db8:1:8000::/64', preferred: 3600, valid: 3600 }]),
        radvd.set('mn2', [{ prefix: '2001:db8:1:8001::/64', preferred: 3600, valid: 3600 }]),
      ];
      // A handover's messages keep coming: the file (a rename on the lab's disk, then a signal) waits.
      for (let i = 0; i < 10; i++) {
        signallingActivity();
        await vi.advanceTimersByTimeAsync(1);
      }
      expect(written).toEqual([]);
      await vi.advanceTimersByTimeAsync(QUIET_MS + 1);
      await Promise.all(settled);
      expect(written).toHaveLength(1);
      expect(written[0]).toContain('prefix 2001:db8:1:8000::/64');
      expect(written[0]).toContain('prefix 2001:db8:1:8001::/64');
      expect(await readFile(path.join(dir, 'radvd.conf'), 'utf8')).toBe(written[0]);
    } finally {
      vi.useRealTimers();
    }
  });
});
