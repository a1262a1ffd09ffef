/**
 * The datapath on a stock Debian kernel (in the VM): the figure-5 handover
 * scenario (its VM variant, test/fixtures/scenarios/fig5-vm.yaml: same steps
 * and functional expectations, no timing bounds under software emulation) on
 * every tunnel driver, and each driver's encapsulation on the wire.
 * Runs only inside the VM: `npm run test:vm`.
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

describe.skipIf(!inVm).each(['ip6tnl', 'seg6', 'bpf'] as const)('figure 5 on the %s driver (stock kernel)', (driver) => {
  it('passes every expectation, and MR31 tunnels to MR2 with the driver’s encapsulation', { timeout: 900_000 }, async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), `dmmvm-${driver}-`));
    dirs.push(out);
    const r = await execa(
      'node',
      [BIN, 'run', path.join(ROOT, 'test/fixtures/scenarios/fig5-vm.yaml'), '--runtime', 'netns', '--tunnel', driver, '--out', out],
      { reject: false },
    );
    const text = await readFile(path.join(out, 'report.json'), 'utf8').catch(() => '');
    expect(text, `no report: ${r.stdout}\n${r.stderr}`).not.toBe('');
    const report = JSON.parse(text) as RunReport;
    expect(report.lab.tunnelDriver).toBe(driver);
    const failed = failedExpectations(report);
    expect(failed, r.stdout + r.stderr).toEqual([]);
    expect(r.exitCode).toBe(0);

    // After the redirect, MN2's packets cross core→mr2 inside an outer IPv6 header from MR31.
    const cap = parseCapture(new Uint8Array(await readFile(path.join(out, 'captures', 'core_mr2.pcap'))));
    const tunnelled = cap.records
      .map((rec) => decodePacket(rec.linkType, rec.data))
      .filter((p) => p.layers.length === 2 && p.layers[0]!.src === '2001:db8:3::1');
    expect(tunnelled.length).toBeGreaterThan(50);
    const outer = tunnelled[0]!.layers[0]!;
    expect(outer.nextHeader).toBe(41);
    // ip6tnl with encaplimit none, seg6 encap.red with one segment and the bpf program put the same 40 bytes on the wire: no extension header.
    expect(outer.extHeaders).toEqual([]);
    expect(outer.dst).toBe(driver === 'ip6tnl' ? '2001:db8:2::1' : '2001:db8:2:1::1');
  });
});
