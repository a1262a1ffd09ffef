/**
 * Mobile IPv6 (Chan framework figure 1) on a stock Debian kernel (in the VM)
 * with the ip6tnl driver: the mobile node is the tunnel's far end through an
 * ip6tnl device of its own. The scenario (test/fixtures/scenarios/mipv6-vm.yaml)
 * goes home → visited → visited → home; then the capture shows the home
 * agent's ip6ip6 packets reaching the node's care-of address on the visited
 * link. Runs only inside the VM: `npm run test:vm`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePacket } from '../../cli/capture/packet-decode.js';
import { parseCapture } from '../../cli/capture/pcap-reader.js';
import type { RunReport } from '../../cli/report/report-schema.js';
import { BIN, ROOT } from '../support/cli.js';
import { failedExpectations } from '../support/expectations.js';

const inVm = process.env.DMMLAB_IN_VM === '1';
const dirs: string[] = [];
afterAll(async () => {
  await execa('node', [BIN, 'cleanup', '--all'], { reject: false });
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.skipIf(!inVm)('Mobile IPv6 on the ip6tnl driver (stock kernel)', () => {
  it('binds, moves, comes home and leaves nothing; the home agent’s ip6ip6 reaches the node itself', { timeout: 900_000 }, async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'dmmvm-mipv6-'));
    dirs.push(out);
    const r = await execa(
      'node',
      [BIN, 'run', path.join(ROOT, 'test/fixtures/scenarios/mipv6-vm.yaml'), '--runtime', 'netns', '--tunnel', 'ip6tnl', '--out', out],
      { reject: false },
    );
    const text = await readFile(path.join(out, 'report.json'), 'utf8').catch(() => '');
    expect(text, `no report: ${r.stdout}\n${r.stderr}`).not.toBe('');
    const report = JSON.parse(text) as RunReport;
    expect(report.lab.tunnelDriver).toBe('ip6tnl');
    const failed = failedExpectations(report);
    expect(failed, r.stdout + r.stderr).toEqual([]);
    expect(r.exitCode).toBe(0);

    // On var1's cell the downlink arrives inside an outer header from the home agent to the node's care-of address.
    const cap = parseCapture(new Uint8Array(await readFile(path.join(out, 'captures', 'var1_mn.pcap'))));
    const tunnelled = cap.records
      .map((rec) => decodePacket(rec.linkType, rec.data))
      .filter((p) => p.layers.length === 2 && p.layers[0]!.src === '2001:db8:50::1');
    expect(tunnelled.length).toBeGreaterThan(20);
    const outer = tunnelled[0]!.layers[0]!;
    expect(outer.nextHeader).toBe(41);
    expect(outer.extHeaders).toEqual([]);
    expect(outer.dst.startsWith('2001:db8:60:')).toBe(true);
    expect(tunnelled[0]!.layers[1]!.dst.startsWith('2001:db8:50:')).toBe(true);
  });
});
