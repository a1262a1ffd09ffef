/**
 * The rtnetlink requests the agent makes itself (agent/kernel/netlink-requests.ts) against the bytes
 * `ip -6` (iproute2, Debian's) sends for the same lines, taken with strace (the node's mn1 was
 * interface 3): header fields, flags and attributes in ip's order. The kernel's answers to both are
 * compared in test/integration/agent/netlink-kernel.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { netlinkRequest } from '../../../agent/kernel/netlink-requests.js';

const NEW = 0x505; // NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
const EXCL = 0x605; // NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
const DEL = 0x005; // NLM_F_REQUEST | NLM_F_ACK

/** [line, nlmsg_type, nlmsg_flags, body after the 16-byte header as strace printed it, in hex]. */
const FROM_IP: [string, number, number, string][] = [
  [
    'route replace 2001:db8:1:8000::/64 table 100 via fe80::1 dev mn1',
    24,
    NEW,
    '0a40000064030001000000001400010020010db800018000000000000000000014000500fe8000000000000000000000000000010800040003000000',
  ],
  ['route replace blackhole 2001:db8:1:8001::/64 table 100', 24, NEW, '0a40000064030006000000001400010020010db8000180010000000000000000'],
  ['route replace ::/0 table 1001 nhid 5436', 24, NEW, '0a0000000003000100000000140001000000000000000000000000000000000008000f00e903000008001e003c150000'],
  ['route del ::/0 table 1001', 25, DEL, '0a0000000000000000000000140001000000000000000000000000000000000008000f00e9030000'],
  [
    'route replace 2001:db8:9::/64 dev mn1 metric 10',
    24,
    NEW,
    '0a400000fe030001000000001400010020010db8000900000000000000000000080006000a0000000800040003000000',
  ],
  [
    'rule add pref 1100 from 2001:db8:1:8000::/64 iif mn1 lookup 1001',
    32,
    EXCL,
    '0a0040000000000100000000080006004c0400001400020020010db8000180000000000000000000080003006d6e310008000f00e9030000',
  ],
  [
    'rule add pref 950 from 2001:db8:2::/48 iif mn1 blackhole',
    32,
    EXCL,
    '0a003000000000060000000008000600b60300001400020020010db8000200000000000000000000080003006d6e3100',
  ],
  [
    'rule del pref 1100 from 2001:db8:1:8000::/64 iif mn1 lookup 1001',
    33,
    DEL,
    '0a0040000000000000000000080006004c0400001400020020010db8000180000000000000000000080003006d6e310008000f00e9030000',
  ],
  [
    'neigh replace fe80::1 lladdr 02:00:00:00:00:01 dev mn1 nud permanent',
    28,
    NEW,
    '0a000000030000008000000014000100fe8000000000000000000000000000010a0002000200000000010000',
  ],
  ['neigh del fe80::1 dev mn1', 29, DEL, '0a000000030000008000000014000100fe800000000000000000000000000001'],
];

const ifindex = (name: string) => (name === 'mn1' ? 3 : undefined);

describe('netlink requests of handover lines', () => {
  for (const [line, type, flags, body] of FROM_IP) {
    it(`are ip's bytes: ${line}`, () => {
      const req = netlinkRequest(line, ifindex, 77);
      expect(req).toBeInstanceOf(Uint8Array);
      const v = new DataView(req!.buffer);
      expect(v.getUint32(0, true)).toBe(req!.length);
      expect(v.getUint16(4, true)).toBe(type);
      expect(v.getUint16(6, true)).toBe(flags);
      expect(v.getUint32(8, true)).toBe(77);
      expect(v.getUint32(12, true)).toBe(0);
      expect(Buffer.from(req!.subarray(16)).toString('hex')).toBe(body);
    });
  }

  it('are not made for other forms, host bits, unknown interfaces or bad numbers (those go to ip)', () => {
    for (const line of [
      'route replace 2001:db8::/64 encap seg6 mode encap.red segs 2001:db8::1 dev mn1',
      'route replace 2001:db8::/64 dev mn1 mtu lock 65535',
      'route replace 2001:db8::/64 dev nosuch',
      'route replace 2001:db8::1/64 dev mn1',
      'route replace 2001:db8::/64 table x dev mn1',
      'route replace 2001:db8::/64 nhid -1',
      'route add 2001:db8::/64 dev mn1',
      'rule add pref 10 to 2001:db8::/64 ipproto 41 lookup 7',
      'rule add from 2001:db8::/64 lookup 7',
      'neigh replace fe80::1 lladdr 02:00:00:00:00:01 dev mn1',
      'neigh replace fe80::1 lladdr 02:00:00:00:01 dev mn1 nud permanent',
      'link set mn1 up',
      'address add 2001:db8::1/64 dev mn1',
    ])
      expect(netlinkRequest(line, ifindex, 1), line).toBeUndefined();
  });
});
