/**
 * Mobile IPv6 on a stock Debian kernel (in the VM) with the ip6tnl driver: the
 * mobile node is the tunnel's far end through an ip6tnl device of its own.
 * Chan framework figure 1 (test/fixtures/scenarios/mipv6-vm.yaml: one home
 * agent) and figure 6 (migrating-has-vm.yaml: the home agent nearest the
 * node, kept in sync with the others through the LM replicas) and figure 4
 * (hmipv6-vm.yaml: the MAP's tunnel around the home agent's) go home →
 * visited → visited → home; then the capture shows a home agent's ip6ip6
 * packets reaching the node's care-of address on the visited link. Runs only
 * inside the VM: `npm run test:vm`.
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

/** One placement: its VM scenario, the visited cell's capture, and the home agent whose tunnel reaches the node there. */
const CASES = [
  {
    name: 'figure 1, one home agent',
    scenario: 'test/fixtures/scenarios/mipv6-vm.yaml',
    capture: 'var1_mn.pcap',
    homeAgent: '2001:db8:50::1',
    careOf: '2001:db8:60:',
    home: '2001:db8:50:',
  },
  {
    name: 'figure 6, migrating home agents (the one nearest the correspondent)',
    scenario: 'test/fixtures/scenarios/migrating-has-vm.yaml',
    capture: 'mr3_mn11.pcap',
    homeAgent: '2001:db8:2::2',
    careOf: '2001:db8:3:',
    home: '2001:db8:1:',
  },
  {
    name: 'figure 4, HMIPv6 (the MAP’s tunnel around the home agent’s)',
    scenario: 'test/fixtures/scenarios/hmipv6-vm.yaml',
    capture: 'var1_mn.pcap',
    homeAgent: '2001:db8:60::1', // the MAP: the outer header on the visited cell is its
    careOf: '2001:db8:60:',
    home: '2001:db8:60:', // inside it, the home agent's header to the regional care-of address
    layers: 3,
  },
];

describe.skipIf(!inVm)('Mobile IPv6 on the ip6tnl driver (stock kernel)', () => {
  it.each(CASES)('$name: binds, moves, comes home and leaves nothing; a home agent’s ip6ip6 reaches the node itself', { timeout: 900_000 }, async (c) => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'dmmvm-mipv6-'));
    dirs.push(out);
    const r = await execa('node', [BIN, 'run', path.join(ROOT, c.scenario), '--runtime', 'netns', '--tunnel', 'ip6tnl', '--out', out], { reject: false });
    const text = await readFile(path.join(out, 'report.json'), 'utf8').catch(() => '');
    expect(text, `no report: ${r.stdout}\n${r.stderr}`).not.toBe('');
    const report = JSON.parse(text) as RunReport;
    expect(report.lab.tunnelDriver).toBe('ip6tnl');
    const failed = failedExpectations(report);
    expect(failed, r.stdout + r.stderr).toEqual([]);
    expect(r.exitCode).toBe(0);

    // On the visited cell the downlink arrives inside an outer header from the home agent to the node's care-of address.
    const cap = parseCapture(new Uint8Array(await readFile(path.join(out, 'captures', c.capture))));
    const layers = c.layers ?? 2;
    const tunnelled = cap.records
      .map((rec) => decodePacket(rec.linkType, rec.data))
      .filter((p) => p.layers.length === layers && p.layers[0]!.src === c.homeAgent);
    expect(tunnelled.length).toBeGreaterThan(20);
    const outer = tunnelled[0]!.layers[0]!;
    expect(outer.nextHeader).toBe(41);
    expect(outer.extHeaders).toEqual([]);
    expect(outer.dst.startsWith(c.careOf)).toBe(true);
    expect(tunnelled[0]!.layers[1]!.dst.startsWith(c.home)).toBe(true);
    // HMIPv6: the middle header is the home agent's (to the regional care-of address), around the packet to the home address.
    if (layers === 3) {
      expect(tunnelled[0]!.layers[1]!.src).toBe('2001:db8:50::1');
      expect(tunnelled[0]!.layers[2]!.dst.startsWith('2001:db8:50:')).toBe(true);
    }
  });
});
