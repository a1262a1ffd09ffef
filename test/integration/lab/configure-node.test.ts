/**
 * The one process that configures a node (cli/lab/configure-node.ts) on a real namespace: sysctls
 * first, an optional one (a leading "?") skipped where the kernel lacks it, a required one that
 * fails named in the error.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyNodeSetup } from '../../../cli/lab/configure-node.js';
import type { NodeAccess } from '../../../cli/runtime/runtime.js';
import type { PlanNode } from '../../../cli/plan/types.js';

const NS = `dmmt-cfg-${process.pid % 100000}`;
const node = { name: 'n1' } as PlanNode;
const access = {
  node,
  run: async (argv: readonly string[], opts?: { input?: string }) => {
    const r = await execa('ip', ['netns', 'exec', NS, ...argv], { reject: false, ...(opts?.input !== undefined ? { input: opts.input } : {}) });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  },
} as unknown as NodeAccess;
const read = async (key: string) => (await execa('ip', ['netns', 'exec', NS, 'cat', `/proc/sys/${key}`])).stdout.trim();

beforeAll(async () => {
  await execa('ip', ['netns', 'add', NS]);
});
afterAll(async () => {
  await execa('ip', ['netns', 'del', NS], { reject: false });
});

describe('configuring a node', () => {
  it('skips an optional sysctl the kernel lacks and sets the ones it has, in order', async () => {
    await applyNodeSetup(access, {
      sysctls: [
        ['net/ipv6/conf/all/forwarding', '0'],
        ['?net/ipv6/conf/all/no_such_knob_dmmlab', '1'],
        ['net/ipv6/conf/default/accept_dad', '0'],
      ],
      ip: ['link set dev lo up'],
    });
    expect(await read('net/ipv6/conf/default/accept_dad')).toBe('0');
    expect(await read('net/ipv6/conf/all/forwarding')).toBe('0');
  });

  it('names a required sysctl that could not be set', async () => {
    await expect(applyNodeSetup(access, { sysctls: [['net/ipv6/conf/all/no_such_knob_dmmlab', '1']], ip: [] })).rejects.toThrow(
      /configuring node n1 failed:\n {2}sysctl net\/ipv6\/conf\/all\/no_such_knob_dmmlab=1 failed/,
    );
  });
});
