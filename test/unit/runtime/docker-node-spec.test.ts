import { describe, expect, it } from 'vitest';
import type { PlanNode } from '../../../cli/plan/types.js';
import { containerSpec, containerSysctls } from '../../../cli/runtime/docker-node-spec.js';
import { demuxDockerLog } from '../../../cli/runtime/docker-logs.js';

function node(over: Partial<PlanNode>): PlanNode {
  return { name: 'mr1', roles: ['mr', 'ar'], network: 'home', netns: 'dmm-lab1-mr1', agent: true, interfaces: [], routes: [], sysctls: {}, ...over };
}

describe('containerSpec', () => {
  it('names, labels and isolates a node the way cleanup and the shared wiring expect', () => {
    const spec = containerSpec('lab1', node({}), 'dmmlab/node:abc', '/run/dmmlab/lab1');
    expect(spec).toMatchObject({
      name: 'dmm-lab1-mr1',
      Hostname: 'mr1',
      NetworkDisabled: true,
      Image: 'dmmlab/node:abc',
      Labels: { 'dmmlab.lab': 'lab1', 'dmmlab.node': 'mr1', 'dmmlab.roles': 'mr,ar' },
      HostConfig: { NetworkMode: 'none', CapAdd: ['NET_ADMIN', 'NET_RAW'], Binds: ['/run/dmmlab/lab1:/run/dmmlab/lab1:rw'], Init: false },
    });
    expect(spec.HostConfig?.Privileged).toBeUndefined();
  });

  it("adds SYS_ADMIN (BPF programs, and tc's BPF file system) only for the bpf tunnel driver", () => {
    expect(containerSpec('lab1', node({}), 'i', '/d', { bpf: true }).HostConfig?.CapAdd).toEqual(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);
    expect(containerSpec('lab1', node({}), 'i', '/d', { bpf: false }).HostConfig?.CapAdd).toEqual(['NET_ADMIN', 'NET_RAW']);
  });

  it('turns IPv6 on and sets forwarding as the plan says, nothing per interface', () => {
    const router = node({ sysctls: { 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.forwarding': '1', 'net.ipv6.conf.mn1.accept_dad': '0' } });
    expect(containerSysctls(router)).toEqual({
      'net.ipv6.conf.all.disable_ipv6': '0',
      'net.ipv6.conf.default.disable_ipv6': '0',
      'net.ipv6.conf.all.forwarding': '1',
      'net.ipv6.conf.default.forwarding': '1',
    });
    expect(containerSysctls(node({ roles: ['mn'], sysctls: { 'net.ipv6.conf.all.forwarding': '0' } }))['net.ipv6.conf.all.forwarding']).toBe('0');
  });
});

describe('demuxDockerLog', () => {
  const frame = (stream: number, text: string) => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = stream;
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]);
  };

  it('joins stdout and stderr frames in order', () => {
    expect(demuxDockerLog(Buffer.concat([frame(1, 'boom\n'), frame(2, 'oops\n'), frame(1, 'bye')]))).toBe('boom\noops\nbye');
  });

  it('returns unframed (TTY) output as it is', () => {
    expect(demuxDockerLog(Buffer.from('plain text\nmore\n'))).toBe('plain text\nmore\n');
  });
});
