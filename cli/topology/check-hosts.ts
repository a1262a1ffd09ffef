import { IFNAME_MAX, type Topology } from './schema.js';

type Add = (path: (string | number)[], found: string, expected: string) => void;

/**
 * Checks a lab's placement on hosts: every `host` names a host of `hosts`,
 * underlay addresses are usable and distinct, and host names fit an
 * interface name (the underlay switch's port).
 */
export function checkHosts(t: Topology, add: Add): void {
  const hosts = t.hosts ? Object.keys(t.hosts) : [];
  for (const [name, node] of Object.entries(t.nodes)) {
    if (node.host === undefined) continue;
    if (hosts.length === 0) add(['nodes', name, 'host'], `host "${node.host}", but the topology lists no hosts`, `a hosts: section with ${node.host} in it`);
    else if (!hosts.includes(node.host)) add(['nodes', name, 'host'], `"${node.host}"`, `one of the hosts: ${hosts.join(', ')}`);
  }
  const addresses = new Map<string, string>();
  for (const [name, h] of Object.entries(t.hosts ?? {})) {
    if (name.length > IFNAME_MAX)
      add(
        ['hosts', name],
        `host name "${name}" (${name.length} characters)`,
        `a host name of at most ${IFNAME_MAX} characters (it names the host's underlay port)`,
      );
    if (h.address === undefined) continue;
    const octets = h.address.split('.').map(Number);
    if (octets.some((o) => o > 255) || octets[0] === 0 || octets[0] === 127 || (octets[0] as number) >= 224)
      add(['hosts', name, 'address'], `"${h.address}"`, 'a unicast IPv4 address (not 0.x, 127.x, multicast or reserved)');
    const prev = addresses.get(h.address);
    if (prev) add(['hosts', name, 'address'], `${h.address}, already host ${prev}'s`, 'an underlay address no other host has');
    addresses.set(h.address, name);
  }
}
