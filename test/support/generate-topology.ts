/**
 * Generated labs for tests and benchmarks: `networks` local networks hung off a
 * core router; each has a gateway router, an LM+HAA node, MRs (also ARs) on a
 * ring behind the gateway, and mobile nodes in the MRs' cells. `size` nodes in
 * all (rounded to whole networks of 10 nodes: gw, lm, 6 MRs, 2 MNs).
 * `centralAnchor` makes each network's first MR its central anchor.
 */
export function generateTopology(opts: { name: string; size: number; mnsPerNetwork?: number; centralAnchor?: boolean }): string {
  const perNet = 10;
  const mnCount = opts.mnsPerNetwork ?? 2;
  const mrCount = perNet - 2 - mnCount;
  const nets = Math.max(1, Math.round((opts.size - 1) / perNet));
  const lines: string[] = [`name: ${opts.name}`, 'networks:', '  core: { prefix: "2001:db8:ff00::/48" }'];
  // centralAnchor: each network's first MR anchors all its prefixes (PMIPv6's LMA, Chan figure 2); the other MRs are MAGs.
  const anchor = (n: number) => (opts.centralAnchor ? `, anchor: m${n}x0` : '');
  for (let n = 0; n < nets; n++) lines.push(`  n${n}: { prefix: "2001:db8:${(n + 1).toString(16)}::/48"${anchor(n)} }`);
  lines.push('nodes:', '  core: { roles: [router], network: core }');
  const links: string[] = [];
  const access: string[] = [];
  for (let n = 0; n < nets; n++) {
    lines.push(`  g${n}: { roles: [router], network: n${n} }`, `  l${n}: { roles: [lm, haa], network: n${n} }`);
    links.push(`  - endpoints: [g${n}, core]`, `  - endpoints: [l${n}, g${n}]`);
    for (let m = 0; m < mrCount; m++) {
      lines.push(`  m${n}x${m}: { roles: [mr, ar], network: n${n} }`);
      links.push(`  - endpoints: [m${n}x${m}, g${n}]`);
      if (m > 0) links.push(`  - endpoints: [m${n}x${m}, m${n}x${m - 1}]`);
    }
    for (let k = 0; k < mnCount; k++) {
      lines.push(`  u${n}x${k}: { roles: [mn], network: n${n} }`);
      const ars = Array.from({ length: Math.min(3, mrCount) }, (_, i) => `m${n}x${(k + i) % mrCount}`);
      access.push(`  - { mn: u${n}x${k}, ars: [${ars.join(', ')}], start: ${ars[0]} }`);
    }
  }
  return [...lines, 'links:', ...links, 'access:', ...access, ''].join('\n');
}

/**
 * A chain of `size` plain routers in one network (`size - 1` links): the graph
 * Mininet users build first, and what bench/deploy compares with Mininet's own.
 */
export function generateChain(opts: { name: string; size: number }): string {
  const nodes = Array.from({ length: opts.size }, (_, i) => `r${i + 1}`);
  return [
    `name: ${opts.name}`,
    'networks:',
    '  core: { prefix: "2001:db8:c000::/40" }',
    'nodes:',
    ...nodes.map((n) => `  ${n}: { roles: [router], network: core }`),
    'links:',
    ...nodes.slice(1).map((n, i) => `  - endpoints: [${nodes[i]}, ${n}]`),
    '',
  ].join('\n');
}
