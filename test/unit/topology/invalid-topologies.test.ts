import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorText, formatIssue, InputError, type InputIssue } from '../../../cli/errors.js';
import { loadTopology, parseTopology } from '../../../cli/plan/load.js';

/**
 * One row per file in test/fixtures/topologies/invalid/: each file is a small
 * topology with one mistake. Lines and columns were counted in the fixtures by
 * hand (1-based); `found` and `expected` list words the message must contain.
 */
interface Case {
  fixture: string;
  line: number;
  column: number;
  path: string;
  found: string[];
  expected: string[];
  /** How many issues the file yields: 1 unless the mistake necessarily shows up twice; 'some' for YAML errors. */
  issues?: number | 'some';
}

const dir = fileURLToPath(new URL('../../fixtures/topologies/invalid/', import.meta.url));

const cases: Case[] = [
  // YAML itself
  { fixture: 'invalid-yaml', line: 9, column: 2, path: '', found: ['invalid YAML', 'same column'], expected: ['well-formed YAML'], issues: 'some' },
  {
    fixture: 'invalid-yaml-unclosed-bracket',
    line: 11,
    column: 16,
    path: '',
    found: ['invalid YAML', '"["', 'never closed'],
    expected: ['"]"'],
    issues: 'some',
  },
  { fixture: 'empty-file', line: 1, column: 1, path: '', found: ['empty file'], expected: ['YAML mapping'] },
  { fixture: 'comments-only', line: 1, column: 1, path: '', found: ['empty file'], expected: ['YAML mapping'] },
  { fixture: 'duplicate-node-name', line: 9, column: 3, path: 'nodes.mr1', found: ['"mr1" a second time'], expected: ['each key once'] },
  { fixture: 'duplicate-network-name', line: 6, column: 3, path: 'networks.net1', found: ['"net1" a second time'], expected: ['each key once'] },

  // The schema: keys, types, values
  {
    fixture: 'unknown-key-top-level',
    line: 3,
    column: 1,
    path: 'descripton',
    found: ['unknown key', 'descripton'],
    expected: ['description', 'networks', 'nodes'],
  },
  // `role:` for `roles:` is an unknown key and, as a consequence, a missing roles list.
  {
    fixture: 'unknown-key-nested',
    line: 8,
    column: 5,
    path: 'nodes.mr1.role',
    found: ['unknown key', '"role"'],
    expected: ['roles', 'network', 'address'],
    issues: 2,
  },
  { fixture: 'unknown-key-in-link', line: 12, column: 5, path: 'links[0].latency', found: ['unknown key', 'latency'], expected: ['delay', 'endpoints'] },
  { fixture: 'missing-required', line: 2, column: 1, path: 'nodes', found: ['nothing'], expected: ['mapping'] },
  { fixture: 'empty-nodes', line: 6, column: 8, path: 'nodes', found: ['empty mapping'], expected: ['at least one node'] },
  { fixture: 'unknown-role', line: 7, column: 30, path: 'nodes.mr1.roles[3]', found: ['"hha"'], expected: ['"haa"', '"mr"', '"router"'] },
  { fixture: 'wrong-type', line: 8, column: 17, path: 'nodes.cn1.roles', found: ['"cn"'], expected: ['list'] },
  { fixture: 'bad-enum', line: 17, column: 11, path: 'mobility.tunnel', found: ['"gre"'], expected: ['"ip6tnl"', '"seg6"'] },
  { fixture: 'bad-link-param', line: 12, column: 12, path: 'links[0].delay', found: ['"10 seconds"'], expected: ['duration', '20ms'] },
  { fixture: 'bad-lab-name', line: 2, column: 7, path: 'name', found: ['"Smoke_Lab"'], expected: ['lab name', 'lower-case'] },
  // A bad node name is refused where it is defined and where a link uses it.
  { fixture: 'bad-node-name', line: 8, column: 3, path: 'nodes.Core_1', found: ['"Core_1"'], expected: ['lower-case'], issues: 2 },
  { fixture: 'reserved-node-name', line: 9, column: 3, path: 'nodes.lo', found: ['"lo"'], expected: ['other than lo'], issues: 2 },
  { fixture: 'prefix-not-ipv6', line: 5, column: 13, path: 'networks.home.prefix', found: ['"10.0.0.0/8"'], expected: ['IPv6 prefix'] },

  // Names that must exist
  { fixture: 'unknown-node-in-link', line: 11, column: 22, path: 'links[0].endpoints[1]', found: ['"cn2"'], expected: ['node name', 'mr1, cn1, mn1'] },
  { fixture: 'unknown-node-in-access', line: 16, column: 21, path: 'access[0].ars[2]', found: ['"mr3"'], expected: ['node name', 'mr1, mr2, cn1, mn1'] },
  { fixture: 'node-in-unknown-network', line: 8, column: 32, path: 'nodes.cn1.network', found: ['"hom"'], expected: ['networks', 'home'] },
  { fixture: 'start-not-in-ars', line: 15, column: 12, path: 'access[0].start', found: ['"mr2"'], expected: ['access routers', 'mr1'] },

  // Links and access entries
  { fixture: 'self-link', line: 12, column: 16, path: 'links[1].endpoints', found: ['mr1 to itself'], expected: ['two different nodes'] },
  { fixture: 'mn-in-link', line: 12, column: 17, path: 'links[1].endpoints[0]', found: ['mobile node', 'mn1'], expected: ['infrastructure node', 'access'] },
  {
    fixture: 'disconnected-graph',
    line: 15,
    column: 3,
    path: 'links',
    found: ['mr2, cn2', 'unreachable', 'mr1'],
    expected: ['connect every infrastructure node'],
  },
  {
    fixture: 'duplicate-access-entry',
    line: 16,
    column: 9,
    path: 'access[1].mn',
    found: ['second access entry', 'mn1'],
    expected: ['one access entry per mobile node'],
  },
  { fixture: 'access-ar-twice', line: 14, column: 21, path: 'access[0].ars[2]', found: ['mr1 twice'], expected: ['each access router once'] },
  { fixture: 'access-mn-lacks-role', line: 12, column: 9, path: 'access[0].mn', found: ['"cn1"', 'lacks role mn'], expected: ['role mn'] },

  // Roles that need other roles
  { fixture: 'mn-without-access', line: 10, column: 3, path: 'nodes.mn2', found: ['mn2', 'no access link'], expected: ['access', 'mn: mn2'] },
  { fixture: 'mn-reaches-no-ar', line: 14, column: 11, path: 'access[0].ars[0]', found: ['"cn1"', 'lacks role ar'], expected: ['access router', 'role ar'] },
  { fixture: 'mr-network-without-lm', line: 4, column: 3, path: 'networks.home', found: ['mr1, mr2', 'no LM'], expected: ['role lm', 'networks.home.lm'] },
  { fixture: 'mr-network-without-haa', line: 6, column: 3, path: 'networks.net2', found: ['mr2', 'no HAA'], expected: ['role haa', 'networks.net2.haa'] },
  { fixture: 'network-lm-lacks-role', line: 6, column: 9, path: 'networks.home.lm', found: ['"lm2"', 'lacks role lm'], expected: ['role lm'] },
  {
    fixture: 'lm-proxy-not-an-mr',
    line: 8,
    column: 14,
    path: 'networks.visited.lmProxy',
    found: ['"haa2"', 'lacks role mr'],
    expected: ['an MR of network visited'],
  },
  {
    fixture: 'lm-proxy-other-network',
    line: 8,
    column: 14,
    path: 'networks.visited.lmProxy',
    found: ['"mr1"', 'network home'],
    expected: ['an MR of network visited'],
  },
  { fixture: 'lm-proxy-is-the-lm', line: 8, column: 14, path: 'networks.visited.lmProxy', found: ['"mr2"', 'LM of visited'], expected: ['without role lm'] },
  { fixture: 'host-unknown', line: 10, column: 49, path: 'nodes.lm1.host', found: ['"h3"'], expected: ['one of the hosts: h1, h2'] },
  { fixture: 'host-without-hosts', line: 7, column: 49, path: 'nodes.lm1.host', found: ['host "h2"', 'lists no hosts'], expected: ['hosts: section'] },
  { fixture: 'host-address-taken', line: 5, column: 18, path: 'hosts.h2.address', found: ['192.0.2.1', "h1's"], expected: ['no other host'] },
  {
    fixture: 'central-anchor-other-network',
    line: 8,
    column: 13,
    path: 'networks.visited.anchor',
    found: ['"mr1"', 'network home'],
    expected: ['an MR of network visited'],
  },
  {
    fixture: 'mipv6-starts-away',
    line: 15,
    column: 12,
    path: 'access[0].start',
    found: ['"var1"', 'network visited', 'mipv6'],
    expected: ["mn's own network home", 'home link'],
  },
  {
    fixture: 'mipv6-no-home-link',
    line: 14,
    column: 10,
    path: 'access[0].ars',
    found: ['no access router', 'network home', 'mipv6'],
    expected: ['network home', 'home link'],
  },
  {
    fixture: 'migrating-without-mipv6',
    line: 21,
    column: 15,
    path: 'mobility.homeAgents',
    found: ['migrating', 'mnMode network'],
    expected: ['mnMode: mipv6'],
  },
  {
    fixture: 'map-network-based',
    line: 5,
    column: 45,
    path: 'networks.visited.map',
    found: ['a MAP with mnMode network'],
    expected: ['mnMode: mipv6', 'lmProxy'],
  },
  {
    fixture: 'anycast-with-mipv6',
    line: 18,
    column: 12,
    path: 'mobility.anycast',
    found: ['anycast with mnMode mipv6'],
    expected: ['homeAgents: migrating'],
  },
  {
    fixture: 'migrating-network-without-anchor',
    line: 5,
    column: 3,
    path: 'networks.net2',
    found: ['net2 has MR mr2 but no anchor', 'homeAgents migrating'],
    expected: ['networks.net2.anchor', 'home agent'],
  },
  {
    fixture: 'central-anchor-not-an-mr',
    line: 8,
    column: 13,
    path: 'networks.visited.anchor',
    found: ['"lm2"', 'lacks role mr'],
    expected: ['an MR of network visited'],
  },
  { fixture: 'lm-proxy-unknown-node', line: 8, column: 14, path: 'networks.visited.lmProxy', found: ['"mr3"'], expected: ['node name', 'mr1, lm1, mr2'] },
  { fixture: 'several-lms', line: 4, column: 3, path: 'networks.home', found: ['several', 'role lm', 'mr1, mr2'], expected: ['networks.home.lm'] },
  { fixture: 'ar-without-mr', line: 8, column: 17, path: 'nodes.ap1.roles', found: ['ar without mr'], expected: ['ar together with mr'] },
  { fixture: 'mn-with-other-roles', line: 9, column: 17, path: 'nodes.mn1.roles', found: ['mn, router'], expected: ['role mn alone'] },
  { fixture: 'agent-false-on-mr', line: 10, column: 12, path: 'nodes.mr1.agent', found: ['agent: false', 'mr'], expected: ['agent: true'] },

  // Interface names and the kernel's 15 characters
  {
    fixture: 'interface-name-too-long',
    line: 14,
    column: 16,
    path: 'links[1].endpoints',
    found: ['"distribution-r01"', 'mr1', '16 characters'],
    expected: ['15 characters'],
  },
  {
    fixture: 'interface-name-too-long-parallel',
    line: 15,
    column: 16,
    path: 'links[2].endpoints',
    found: ['"edge-router-one2"', 'mr1', '16 characters'],
    expected: ['15 characters'],
  },
  {
    fixture: 'interface-name-too-long-access',
    line: 15,
    column: 11,
    path: 'access[0].ars[0]',
    found: ['"handset-of-alice"', 'mr1', '16 characters'],
    expected: ['15 characters'],
  },
  {
    fixture: 'mr-name-too-long-for-tunnel',
    line: 9,
    column: 3,
    path: 'nodes.mobility-rtr-2',
    found: ['t-mobility-rtr-2', '16'],
    expected: ['at most 13 characters'],
  },
  { fixture: 'tunnel-name-clash', line: 10, column: 3, path: 'nodes.t-mr2', found: ['"t-mr2"', 'tunnel device', 'mr2'], expected: ['"t-"'] },

  // Prefixes, pools and addresses
  { fixture: 'bad-prefix-syntax', line: 5, column: 13, path: 'networks.home.prefix', found: ['"2001:db8::10::/48"'], expected: ['IPv6 prefix'] },
  { fixture: 'prefix-host-bits', line: 5, column: 13, path: 'networks.home.prefix', found: ['host bits'], expected: ['2001:db8:10::/48'] },
  { fixture: 'prefix-too-long', line: 5, column: 13, path: 'networks.home.prefix', found: ['/56'], expected: ['/52 or shorter'] },
  {
    fixture: 'overlapping-network-prefixes',
    line: 7,
    column: 13,
    path: 'networks.net2.prefix',
    found: ['2001:db8::/44', 'overlaps', 'net1'],
    expected: ['disjoint'],
  },
  {
    fixture: 'pool-outside-network',
    line: 6,
    column: 11,
    path: 'networks.home.pool',
    found: ['2001:db8:20:8000::/49', 'outside'],
    expected: ['inside', '2001:db8:10::/48'],
  },
  { fixture: 'pool-too-small', line: 6, column: 11, path: 'networks.home.pool', found: ['/62'], expected: ['/60 or shorter'] },
  {
    fixture: 'pool-holds-node-addresses',
    line: 7,
    column: 11,
    path: 'networks.home.pool',
    found: ['2001:db8:10::/49', 'node addresses'],
    expected: ['clear of the first two /64s'],
  },
  {
    fixture: 'pool-overlaps-planned-links',
    line: 7,
    column: 11,
    path: 'networks.home.pool',
    found: ['2001:db8:10:1000::/52', '2001:db8:10:1000::/64', 'links[0]'],
    expected: ['clear of the link subnets'],
  },
  {
    fixture: 'link-subnet-in-pool',
    line: 13,
    column: 13,
    path: 'links[0].subnet',
    found: ['2001:db8:10:c001::/64', 'pool of home'],
    expected: ['outside every home-prefix pool'],
  },
  {
    fixture: 'link-subnet-in-default-pool',
    line: 13,
    column: 13,
    path: 'links[0].subnet',
    found: ['2001:db8:10:8000::/64', 'pool of home', '2001:db8:10:8000::/49'],
    expected: ['outside every home-prefix pool'],
  },
  { fixture: 'link-subnet-not-64', line: 12, column: 13, path: 'links[0].subnet', found: ['/56'], expected: ['/64'] },
  {
    fixture: 'link-subnets-overlap',
    line: 15,
    column: 13,
    path: 'links[1].subnet',
    found: ['2001:db8:10:2000::/64', 'links[0].subnet'],
    expected: ['no other link'],
  },
  { fixture: 'bad-address-syntax', line: 8, column: 47, path: 'nodes.cn1.address', found: ['"2001:db8::10::5"'], expected: ['IPv6 address'] },
  {
    fixture: 'explicit-address-collision',
    line: 9,
    column: 47,
    path: 'nodes.cn1.address',
    found: ['2001:db8:10::1', 'nodes.mr1'],
    expected: ['no other node or link'],
  },
  { fixture: 'address-on-mn', line: 10, column: 47, path: 'nodes.mn1.address', found: ['2001:db8:10::99', 'mobile node'], expected: ['router advertisements'] },
];

async function rejection(file: string): Promise<InputError> {
  const error: unknown = await loadTopology(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof InputError))
    throw new Error(`expected ${file} to be refused with an InputError, got ${error === undefined ? 'a plan' : errorText(error)}`);
  return error;
}

describe('invalid topologies', () => {
  it('has a row for every fixture and a fixture for every row', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length));
    expect(new Set(cases.map((c) => c.fixture)).size).toBe(cases.length);
    expect(cases.map((c) => c.fixture).sort()).toEqual(files.sort());
  });

  it.each(cases)('$fixture: $path at $line:$column', async (c) => {
    const file = `${dir}${c.fixture}.yaml`;
    const error = await rejection(file);
    expect(error.code).toBe('E_INPUT');
    expect(error.exitCode).toBe(2);

    const issue = error.issues.find((i) => i.path === c.path && c.found.every((w) => i.found.includes(w)));
    expect(issue, `no issue at ${c.path} whose found has ${c.found.join(', ')}; got\n${error.message}`).toBeDefined();
    const i = issue as InputIssue;
    expect(i.file).toBe(file);
    expect({ line: i.line, column: i.column }).toEqual({ line: c.line, column: c.column });
    for (const word of c.expected) expect(i.expected).toContain(word);

    if (c.issues === 'some') expect(error.issues.every((x) => x.found.startsWith('invalid YAML'))).toBe(true);
    else expect(error.issues, error.message).toHaveLength(c.issues ?? 1);

    // The message is the issues in the CLI's `file:line:column: path: found X; expected Y` form.
    expect(error.message).toContain(`${file}:${c.line}:${c.column}: ${c.path || '(top level)'}: found ${i.found}; expected ${i.expected}`);
  });

  it('reports the same issues for text already in memory', async () => {
    const file = `${dir}unknown-node-in-link.yaml`;
    const fromFile = await rejection(file);
    const text = await readFile(file, 'utf8');
    let fromText: unknown;
    try {
      parseTopology(file, text);
    } catch (e) {
      fromText = e;
    }
    expect(fromText).toBeInstanceOf(InputError);
    expect((fromText as InputError).issues).toEqual(fromFile.issues);
  });

  it('refuses a file that does not exist, naming it', async () => {
    const file = `${dir}no-such-file.yaml`;
    const error = await rejection(file);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ file, found: 'no such file' });
    expect(formatIssue(error.issues[0] as InputIssue)).toBe(`${file}: (top level): found no such file; expected a readable YAML file`);
  });
});
