import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorText, InputError, type InputIssue } from '../../../cli/errors.js';
import { loadScenario } from '../../../cli/scenario/load.js';
import { expectationSchema, type Expectation, type Step } from '../../../cli/scenario/schema.js';
import { stepKind } from '../../../cli/scenario/timeline.js';

/**
 * One row per file in test/fixtures/scenarios/invalid/: each file is a small
 * scenario on topologies/fig1.yaml with one mistake. Lines and columns were
 * counted in the fixtures by hand (1-based); `found` and `expected` list words
 * the issue must contain.
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

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = `${root}test/fixtures/scenarios/invalid/`;
const validDir = `${root}test/fixtures/scenarios/valid/`;
const fig1Nodes = 'core, cn, mr11, mr12, lm1, mr2, lm2, mr31, mr32, lm3, haa3, mn1, mn2';
const oneKind = ['exactly one step kind', 'wait, flow, stop, attach, detach, handover, link, mark, expect or repeat'];

const cases: Case[] = [
  // YAML and the schema
  { fixture: 'invalid-yaml', line: 6, column: 2, path: '', found: ['invalid YAML'], expected: ['well-formed YAML'], issues: 'some' },
  {
    fixture: 'unknown-key-top-level',
    line: 6,
    column: 1,
    path: 'expectations',
    found: ['unknown key', '"expectations"'],
    expected: ['steps', 'expect', 'mobility'],
  },
  { fixture: 'bad-scenario-name', line: 2, column: 7, path: 'name', found: ['"Fig5_Handover"'], expected: ['scenario name', 'lower-case'] },
  { fixture: 'empty-steps', line: 4, column: 8, path: 'steps', found: ['empty list'], expected: ['at least 1'] },
  { fixture: 'bad-duration', line: 5, column: 11, path: 'steps[0].wait', found: ['"5 minutes"'], expected: ['duration', '20ms', '1.5s'] },
  {
    fixture: 'bad-mobility-override',
    line: 5,
    column: 22,
    path: 'mobility.routeOptimization',
    found: ['"sometimes"'],
    expected: ['"query"', '"redirect"', '"off"'],
  },
  { fixture: 'repeat-zero-times', line: 6, column: 14, path: 'steps[0].repeat.times', found: ['0'], expected: ['at least 1'] },
  { fixture: 'bad-comparison', line: 9, column: 19, path: 'expect[0].interruption', found: ['"<= fast"'], expected: ['comparison', '"<= 50ms"'] },
  {
    fixture: 'unknown-signalling-message',
    line: 7,
    column: 28,
    path: 'expect[0].signalling.message',
    found: ['"PBQ"'],
    expected: ['"PBU"', '"HI"', '"LRI"', '"LMQ"'],
  },

  // Step kinds: a step is a mapping with exactly one known key
  // The typo is an unknown key and, as a consequence, a step with no kind.
  {
    fixture: 'unknown-step-kind',
    line: 6,
    column: 5,
    path: 'steps[1].handovr',
    found: ['unknown key', '"handovr"'],
    expected: ['handover', 'wait', 'repeat'],
    issues: 2,
  },
  { fixture: 'two-step-kinds', line: 5, column: 5, path: 'steps[0]', found: ['a mapping'], expected: oneKind },
  { fixture: 'no-step-kind', line: 6, column: 5, path: 'steps[1]', found: ['empty mapping'], expected: oneKind },
  // `too:` for `to:` is an unknown key and, as a consequence, a missing `to`.
  {
    fixture: 'unknown-key-in-step',
    line: 7,
    column: 7,
    path: 'steps[0].handover.too',
    found: ['unknown key', '"too"'],
    expected: ['mn', 'to', 'mode', 'gap'],
    issues: 2,
  },

  // Flows
  { fixture: 'unknown-node-in-flow', line: 5, column: 36, path: 'steps[0].flow.to', found: ['"cn2"'], expected: ['node of the topology', fig1Nodes] },
  { fixture: 'flow-to-itself', line: 8, column: 11, path: 'steps[0].flow.to', found: ['"mn1"', 'the sender itself'], expected: ['another node'] },
  { fixture: 'bad-flow-address', line: 5, column: 49, path: 'steps[0].flow.address', found: ['"10.0.0.1"'], expected: ['IPv6 address', 'home:<mr>'] },
  { fixture: 'home-not-an-mr', line: 5, column: 49, path: 'steps[0].flow.address', found: ['"lm1"', 'not an MR'], expected: ['MR', 'anchors home prefixes'] },
  {
    fixture: 'home-for-non-mn',
    line: 5,
    column: 49,
    path: 'steps[0].flow.address',
    found: ['"home:mr11"', 'cn', 'not a mobile node'],
    expected: ['home:<mr> only for flows to a mobile node'],
  },
  { fixture: 'duplicate-flow-id', line: 6, column: 17, path: 'steps[1].flow.id', found: ['"f1" again'], expected: ['flow name not used before'] },
  { fixture: 'stop-unknown-flow', line: 7, column: 11, path: 'steps[2].stop', found: ['"f2"'], expected: ['flow started before', '(f1)'] },
  { fixture: 'stop-twice', line: 8, column: 11, path: 'steps[3].stop', found: ['"f1"', 'stopped already'], expected: ['running flow'] },
  {
    fixture: 'flow-in-repeat',
    line: 9,
    column: 11,
    path: 'steps[0].repeat.steps[1]',
    found: ['flow started', 'inside repeat'],
    expected: ['before the repeat block', 'after it'],
  },

  // Mobility steps and links
  { fixture: 'handover-non-mn', line: 5, column: 21, path: 'steps[0].handover.mn', found: ['"mr11"', 'not a mobile node'], expected: ['role mn', 'mn1, mn2'] },
  {
    fixture: 'handover-outside-cells',
    line: 5,
    column: 30,
    path: 'steps[0].handover.to',
    found: ['"mr32"'],
    expected: ["mn1's access routers", 'mr11, mr12, mr2'],
  },
  { fixture: 'attach-to-non-cell', line: 8, column: 11, path: 'steps[1].attach.ar', found: ['"core"'], expected: ["mn1's access routers", 'mr11, mr12, mr2'] },
  {
    fixture: 'handover-to-current',
    line: 7,
    column: 30,
    path: 'steps[2].handover.to',
    found: ['"mr2"', 'attached to at this step'],
    expected: ["another of mn1's access routers"],
  },
  {
    fixture: 'repeat-not-round',
    line: 8,
    column: 36,
    path: 'steps[0].repeat.steps[0].handover.to',
    found: ['"mr12"', "block's second round"],
    expected: ["another of mn1's access routers"],
  },
  { fixture: 'detach-not-attached', line: 5, column: 28, path: 'steps[0].detach.ar', found: ['"mr12"', 'not attached'], expected: ['mr11'] },
  { fixture: 'link-not-linked', line: 5, column: 22, path: 'steps[0].link.between', found: ['mr11–mr2'], expected: ['joined by a link'] },

  // Expectations
  { fixture: 'expect-unknown-flow', line: 10, column: 11, path: 'expect[1].flow', found: ['"f2"'], expected: ['flow started', '(f1)'] },
  {
    fixture: 'released-unknown-anchor',
    line: 9,
    column: 15,
    path: 'expect[0].released.anchor',
    found: ['"mr13"'],
    expected: ['node of the topology', fig1Nodes],
  },
  {
    fixture: 'proxied-not-a-proxy',
    line: 9,
    column: 14,
    path: 'expect[0].proxied.proxy',
    found: ['"mr32"', "no network's LM proxy"],
    expected: ['one of the LM proxies (mr31)'],
  },
  {
    fixture: 'home-binding-not-a-cell',
    line: 10,
    column: 11,
    path: 'expect[0].homeBinding.at',
    found: ['"mr31"'],
    expected: ["one of mn1's access routers (mr11, mr12, mr2)"],
  },
  { fixture: 'path-unknown-node', line: 9, column: 23, path: 'expect[0].path[2]', found: ['"mr33"'], expected: ['node of the topology', fig1Nodes] },
  { fixture: 'source-anchored-at-non-mr', line: 9, column: 23, path: 'expect[0].sourceAnchoredAt', found: ['"lm1"', 'not an MR'], expected: ['an MR'] },
  { fixture: 'flow-field-without-flow', line: 9, column: 11, path: 'expect[0].lost', found: ['lost without a flow'], expected: ['flow: <id>'] },
  // Both traffic fields of the step's expectation are refused.
  {
    fixture: 'traffic-in-step-expect',
    line: 9,
    column: 35,
    path: 'steps[2].expect[1].interruption',
    found: ['interruption', "step's expect"],
    expected: ['state checks only', 'top-level expect'],
    issues: 2,
  },
  {
    fixture: 'state-and-traffic-mixed',
    line: 8,
    column: 11,
    path: 'expect[0].flow',
    found: ['traffic checks (flow, lost)', 'state checks (clean)'],
    expected: ['separate expectations'],
  },
  {
    fixture: 'expectation-checks-nothing',
    line: 8,
    column: 5,
    path: 'expect[1]',
    found: ['checks nothing'],
    expected: ['flow, signalling, clean, attached, binding, released'],
  },

  // Files
  {
    fixture: 'missing-topology',
    line: 3,
    column: 11,
    path: 'topology',
    found: ['../../../topologies/fig1.yaml', 'no such file', `${root}test/topologies/fig1.yaml`],
    expected: ['topology file', 'relative to the scenario file'],
  },
];

async function rejection(file: string): Promise<InputError> {
  const error: unknown = await loadScenario(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof InputError))
    throw new Error(`expected ${file} to be refused with an InputError, got ${error === undefined ? 'a loaded scenario' : errorText(error)}`);
  return error;
}

async function yamlFiles(d: string): Promise<string[]> {
  return (await readdir(d)).filter((f) => f.endsWith('.yaml')).sort();
}

describe('invalid scenarios', () => {
  it('has a row for every fixture and a fixture for every row', async () => {
    const files = (await yamlFiles(dir)).map((f) => f.slice(0, -'.yaml'.length));
    expect(new Set(cases.map((c) => c.fixture)).size).toBe(cases.length);
    expect(cases.map((c) => c.fixture).sort()).toEqual(files);
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

    expect(error.message).toContain(`${file}:${c.line}:${c.column}: ${c.path || '(top level)'}: found ${i.found}; expected ${i.expected}`);
  });

  it('names a shipped topology (fig1, or fig9 for LM proxies) in every fixture but the one about the path', async () => {
    // Schema mistakes are reported before the topology is read, so a wrong path there would go unnoticed.
    for (const f of await yamlFiles(dir)) {
      if (f === 'missing-topology.yaml') continue;
      const text = await readFile(`${dir}${f}`, 'utf8');
      expect(text, f).toMatch(/^topology: \.\.\/\.\.\/\.\.\/\.\.\/topologies\/fig[19]\.yaml$/m);
    }
    await expect(access(path.resolve(dir, '../../../../topologies/fig1.yaml'))).resolves.toBeUndefined();
    await expect(access(path.resolve(dir, '../../../../topologies/fig9.yaml'))).resolves.toBeUndefined();
  });
});

/** Every step in a timeline, repeat blocks included. */
function allSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) => [s, ...(s.repeat ? allSteps(s.repeat.steps) : [])]);
}

describe('valid scenarios', () => {
  const shipped: [name: string, ro: string, topology?: string][] = [
    ['dynamic-mobility', 'query'],
    ['fig5-across-hosts', 'query', 'fig1-hosts'],
    ['fig5-handover', 'query'],
    ['client-handover', 'query'],
    ['fig5-predictive', 'query'],
    ['ping-pong', 'query'],
    ['ro-off', 'off'],
    ['ro-query', 'query'],
    ['ro-redirect', 'redirect'],
    ['hierarchical-lm', 'query', 'fig9'],
    ['pmipv6-handover', 'off', 'pmipv6'],
    ['mipv6-handover', 'off', 'mipv6'],
    ['migrating-has', 'off', 'migrating-has'],
    ['anycast-query', 'query', 'gap-anycast'],
    ['anycast-push', 'redirect', 'gap-anycast'],
    ['hmipv6-handover', 'off', 'hmipv6'],
  ];

  it('lists every shipped scenario', async () => {
    expect(await yamlFiles(`${root}scenarios`)).toEqual(shipped.map(([n]) => `${n}.yaml`).sort());
  });

  // fig1 itself says query: ro-off and ro-redirect only differ from it through their mobility override.
  it.each(shipped)('scenarios/%s.yaml loads, with route optimisation %s in its plan', async (name, ro, topology = 'fig1') => {
    const loaded = await loadScenario(`${root}scenarios/${name}.yaml`);
    expect(loaded.scenario.name).toBe(name);
    expect(loaded.topologyFile).toBe(`${root}topologies/${topology}.yaml`);
    expect(loaded.plan.lab).toBe(topology);
    expect(loaded.plan.mobility.routeOptimization).toBe(ro);
    expect(loaded.plan.mobility.tunnel).toBe('auto');
  });

  it.each(['every-step.yaml', 'every-expectation.yaml', 'lm-proxy.yaml', 'mipv6.yaml', 'override-keeps-topology.yaml'])(
    'test/fixtures/scenarios/valid/%s loads',
    async (f) => {
      expect(await yamlFiles(validDir)).toContain(f);
      const loaded = await loadScenario(`${validDir}${f}`, { lab: 'valid-fixture' });
      expect(loaded.plan.lab).toBe('valid-fixture');
      expect(loaded.scenario.steps.length).toBeGreaterThan(0);
    },
  );

  it('has no valid fixture the row above does not load', async () => {
    expect(await yamlFiles(validDir)).toEqual(['every-expectation.yaml', 'every-step.yaml', 'lm-proxy.yaml', 'mipv6.yaml', 'override-keeps-topology.yaml']);
  });

  it('exercises every step kind and every expectation field in the valid fixtures', async () => {
    const loaded = await Promise.all((await yamlFiles(validDir)).map((f) => loadScenario(`${validDir}${f}`)));
    const steps = loaded.flatMap((l) => allSteps(l.scenario.steps));
    expect(new Set(steps.map(stepKind))).toEqual(new Set(['wait', 'flow', 'stop', 'attach', 'detach', 'handover', 'link', 'mark', 'expect', 'repeat']));
    const expectations: Expectation[] = loaded.flatMap((l) => [...l.scenario.expect, ...allSteps(l.scenario.steps).flatMap((s) => s.expect ?? [])]);
    const fields = new Set(expectations.flatMap((e) => Object.keys(e)));
    expect([...fields].sort()).toEqual(Object.keys(expectationSchema.shape).sort());
    const signalling = new Set(expectations.flatMap((e) => Object.keys(e.signalling ?? {})));
    expect(signalling).toEqual(new Set(['message', 'count', 'from', 'to', 'handover']));
  });

  it('applies the defaults of the steps', async () => {
    const { scenario } = await loadScenario(`${validDir}every-step.yaml`);
    const flows = allSteps(scenario.steps).flatMap((s) => (s.flow ? [s.flow] : []));
    expect(flows.map((f) => f.kind)).toEqual(['tcp', 'udp', 'icmp']);
    const handovers = allSteps(scenario.steps).flatMap((s) => (s.handover ? [s.handover] : []));
    expect(handovers.map((h) => [h.mode, h.wait])).toEqual([
      ['make', true],
      ['break', false],
      ['break', true],
      ['break', true],
    ]);
    const attach = allSteps(scenario.steps).flatMap((s) => (s.attach ? [s.attach] : []));
    expect(attach).toEqual([
      { mn: 'mn2', ar: 'mr32', wait: true },
      { mn: 'mn1', ar: 'mr12', wait: true },
    ]);
  });

  it('applies the scenario mobility overrides to the plan', async () => {
    const { plan, scenario } = await loadScenario(`${validDir}every-step.yaml`);
    expect(scenario.mobility).toEqual({ routeOptimization: 'redirect', newPrefixOnHandover: false });
    expect(plan.mobility).toMatchObject({ routeOptimization: 'redirect', newPrefixOnHandover: false, tunnel: 'auto', mnMode: 'network' });
  });

  it('overrides only the settings the scenario names: the topology keeps the rest', async () => {
    // link-params.yaml says redirect, seg6, client and leaseLifetime 120; the scenario says off and cacheLifetime 5.
    const { plan, scenario, topologyFile } = await loadScenario(`${validDir}override-keeps-topology.yaml`);
    expect(topologyFile).toBe(path.join(root, 'test/fixtures/topologies/valid/link-params.yaml'));
    expect(scenario.mobility).toEqual({ routeOptimization: 'off', cacheLifetime: 5 });
    expect(plan.mobility).toMatchObject({
      routeOptimization: 'off',
      cacheLifetime: 5,
      tunnel: 'seg6',
      mnMode: 'client',
      leaseLifetime: 120,
      bindingLifetime: 600,
    });
  });

  it("lets the caller's mobility settings win over the scenario's", async () => {
    const { plan, scenario } = await loadScenario(`${root}scenarios/ro-redirect.yaml`, { mobility: { routeOptimization: 'off', tunnel: 'seg6' } });
    expect(scenario.mobility).toEqual({ routeOptimization: 'off', tunnel: 'seg6' });
    expect(plan.mobility).toMatchObject({ routeOptimization: 'off', tunnel: 'seg6' });
  });
});
