import { access } from 'node:fs/promises';
import path from 'node:path';
import { InputError, type InputIssue } from '../errors.js';
import { formatPath, loadYamlFile, type SourceMap } from '../input/load-yaml.js';
import type { Plan } from '../plan/types.js';
import { loadTopology } from '../plan/load.js';
import { isAddress } from '../../shared/ipv6.js';
import { EXPECTATION_KINDS, kindsOf, scenarioSchema, type Expectation, type ExpectationKind, type Scenario, type Step } from './schema.js';
import type { MobilitySettings } from '../topology/schema.js';

export interface LoadedScenario {
  scenario: Scenario;
  file: string;
  source: SourceMap;
  /** Absolute path of the topology the scenario names. */
  topologyFile: string;
  /** The topology's plan with the scenario's mobility overrides (lab name as given). */
  plan: Plan;
}

/**
 * Reads a scenario file, its topology (with the scenario's mobility
 * overrides), and checks every cross reference: nodes, cells, links and flows
 * that steps and expectations name. Problems are InputErrors with positions.
 */
export async function loadScenario(file: string, opts: { lab?: string; mobility?: Partial<MobilitySettings>; hosts?: number } = {}): Promise<LoadedScenario> {
  const { value: parsed, source } = await loadYamlFile(file, scenarioSchema);
  // Overrides from the caller (a benchmark sweeping route optimisation modes) win over the scenario's.
  const scenario: Scenario = opts.mobility ? { ...parsed, mobility: { ...parsed.mobility, ...opts.mobility } } : parsed;
  const topologyFile = path.resolve(path.dirname(file), scenario.topology);
  try {
    await access(topologyFile);
  } catch {
    const pos = source.locate(['topology']);
    throw new InputError([
      {
        file,
        ...(pos ? { line: pos.line, column: pos.column } : {}),
        path: 'topology',
        found: `${scenario.topology} (no such file: ${topologyFile})`,
        expected: 'a topology file, relative to the scenario file',
      },
    ]);
  }
  const { plan } = await loadTopology(topologyFile, {
    ...(opts.lab ? { lab: opts.lab } : {}),
    ...(scenario.mobility ? { mobility: scenario.mobility } : {}),
    ...(opts.hosts === undefined ? {} : { hosts: opts.hosts }),
  });
  const issues = checkScenario(scenario, plan, source);
  if (issues.length > 0) throw new InputError(issues);
  return { scenario, file, source, topologyFile, plan };
}

/** Expectation fields measured on one flow (they need `flow`). */
const FLOW_FIELDS = EXPECTATION_KINDS.flow.fields.filter((f) => f !== 'flow');
/** Kinds checked on the live lab. */
const STATE_KINDS = (Object.keys(EXPECTATION_KINDS) as ExpectationKind[]).filter((k) => EXPECTATION_KINDS[k].on === 'lab');

/** Cross-reference checks of a scenario against its topology's plan. */
export function checkScenario(s: Scenario, plan: Plan, source: SourceMap): InputIssue[] {
  const issues: InputIssue[] = [];
  const add = (p: (string | number)[], found: string, expected: string) => {
    const pos = source.locate(p);
    issues.push({ file: source.file, ...(pos ? { line: pos.line, column: pos.column } : {}), path: formatPath(p), found, expected });
  };
  const nodes = new Map(plan.nodes.map((n) => [n.name, n]));
  const names = plan.nodes.map((n) => n.name).join(', ');
  const node = (p: (string | number)[], name: string) => {
    if (!nodes.has(name)) add(p, `"${name}"`, `a node of the topology (${names})`);
    return nodes.get(name);
  };
  const mn = (p: (string | number)[], name: string) => {
    const n = node(p, name);
    if (n && !n.roles.includes('mn'))
      add(
        p,
        `"${name}", which is not a mobile node`,
        `a node with role mn (${plan.nodes
          .filter((x) => x.roles.includes('mn'))
          .map((x) => x.name)
          .join(', ')})`,
      );
    return n?.roles.includes('mn') ? n : undefined;
  };
  const cell = (p: (string | number)[], mnName: string, ar: string) => {
    const m = nodes.get(mnName);
    if (!m || !m.roles.includes('mn')) return;
    const cells = m.interfaces.filter((i) => i.kind === 'access').map((i) => i.peer.node);
    if (!cells.includes(ar)) add(p, `"${ar}"`, `one of ${mnName}'s access routers (${cells.join(', ')})`);
  };
  const started = new Set<string>();
  const stopped = new Set<string>();
  // Where each mobile node is attached as the steps go (its radios up at deploy to begin with), so that a
  // handover to the AR it is on, or an attach where it is attached, is caught before anything is deployed.
  const at = new Map(
    plan.nodes
      .filter((n) => n.roles.includes('mn'))
      .map((n) => [n.name, new Set(n.interfaces.filter((i) => i.kind === 'access' && i.up).map((i) => i.peer.node))]),
  );
  const where = (m: string) => [...(at.get(m) ?? [])].join(', ') || 'no access router';
  // Which parts of an expectation are evaluated where it stands: a step's expect checks state only
  // (evaluateState), the top-level one checks either state or traffic (run-once.ts); anything else would pass unchecked.
  const checkKinds = (e: Expectation, p: (string | number)[], inStep: boolean) => {
    const has = (k: keyof Expectation) => e[k] !== undefined;
    const kinds = kindsOf(e);
    const traffic = kinds.filter((k) => EXPECTATION_KINDS[k].on === 'capture').flatMap((k) => EXPECTATION_KINDS[k].fields.filter(has));
    const state = kinds.filter((k) => EXPECTATION_KINDS[k].on === 'lab');
    if (inStep)
      for (const k of traffic)
        add([...p, k], `${k} in a step's expect`, `state checks only (${STATE_KINDS.join(', ')}); traffic is checked at the end, in the top-level expect`);
    else {
      if (e.flow === undefined)
        for (const k of FLOW_FIELDS.filter(has)) add([...p, k], `${k} without a flow`, 'a flow: <id> in the same expectation (the flow it measures)');
      if (state.length && traffic.length)
        add(
          [...p, traffic[0] as string],
          `traffic checks (${traffic.join(', ')}) and state checks (${state.join(', ')}) in one expectation`,
          'separate expectations: state is checked on the live lab, traffic on the capture',
        );
    }
    if (!state.length && !traffic.length) add(p, 'an expectation that checks nothing', `at least one of flow, signalling, ${STATE_KINDS.join(', ')}`);
  };
  const checkExpect = (e: Expectation, p: (string | number)[], inStep = false) => {
    checkKinds(e, p, inStep);
    if (e.flow !== undefined && !started.has(e.flow))
      add([...p, 'flow'], `"${e.flow}"`, `a flow started by a step before this point (${[...started].join(', ') || 'none'})`);
    (e.path ?? []).forEach((n, k) => node([...p, 'path', k], n));
    if (e.sourceAnchoredAt) {
      const n = node([...p, 'sourceAnchoredAt'], e.sourceAnchoredAt);
      if (n && !n.roles.includes('mr')) add([...p, 'sourceAnchoredAt'], `"${e.sourceAnchoredAt}", which is not an MR`, 'an MR');
    }
    if (e.signalling?.from) node([...p, 'signalling', 'from'], e.signalling.from);
    if (e.signalling?.to) node([...p, 'signalling', 'to'], e.signalling.to);
    for (const k of ['attached', 'binding', 'released'] as const) {
      const v = e[k] as { mn: string; ar?: string; anchor?: string; at?: string } | undefined;
      if (!v) continue;
      mn([...p, k, 'mn'], v.mn);
      if (v.ar) cell([...p, k, 'ar'], v.mn, v.ar);
      if (v.anchor) {
        const a = node([...p, k, 'anchor'], v.anchor);
        if (a && !a.roles.includes('mr')) add([...p, k, 'anchor'], `"${v.anchor}", which is not an MR`, 'an MR that anchors home prefixes');
      }
      if (v.at) node([...p, k, 'at'], v.at);
    }
    if (e.homeBinding) {
      const h = e.homeBinding;
      mn([...p, 'homeBinding', 'mn'], h.mn);
      const ha = node([...p, 'homeBinding', 'ha'], h.ha);
      if (ha && !ha.roles.includes('mr'))
        add([...p, 'homeBinding', 'ha'], `"${h.ha}", which is not an MR`, 'the MR that anchors the node’s home prefix (its home agent)');
      cell([...p, 'homeBinding', 'at'], h.mn, h.at);
    }
    if (e.proxied) {
      mn([...p, 'proxied', 'mn'], e.proxied.mn);
      node([...p, 'proxied', 'at'], e.proxied.at);
      const proxy = node([...p, 'proxied', 'proxy'], e.proxied.proxy);
      const proxies = plan.networks.filter((n) => n.lmProxy).map((n) => n.lmProxy as string);
      if (proxy && !proxies.includes(proxy.name))
        add(
          [...p, 'proxied', 'proxy'],
          `"${proxy.name}", which is no network's LM proxy`,
          proxies.length ? `one of the LM proxies (${proxies.join(', ')})` : 'a network with lmProxy in the topology',
        );
    }
  };
  const walk = (steps: Step[], base: (string | number)[], inRepeat = false) => {
    steps.forEach((st, i) => {
      const p = [...base, i];
      if (inRepeat && (st.flow || st.stop !== undefined))
        add(p, 'a flow started or stopped inside repeat', 'flows started before the repeat block and stopped after it (a flow name names one session)');
      if (st.flow) {
        const f = st.flow;
        if (started.has(f.id)) add([...p, 'flow', 'id'], `flow "${f.id}" again`, 'a flow name not used before in this scenario');
        started.add(f.id);
        node([...p, 'flow', 'from'], f.from);
        node([...p, 'flow', 'to'], f.to);
        if (f.from === f.to) add([...p, 'flow', 'to'], `"${f.to}", the sender itself`, 'another node');
        if (f.source !== undefined && !isAddress(f.source)) add([...p, 'flow', 'source'], `"${f.source}"`, 'an IPv6 address to send from');
        if (f.address && !isAddress(f.address) && !/^home:[a-z][a-z0-9-]*$/.test(f.address))
          add([...p, 'flow', 'address'], `"${f.address}"`, 'an IPv6 address, or home:<mr> (the receiver’s home address anchored at that MR)');
        const m = /^home:(.+)$/.exec(f.address ?? '');
        if (m) {
          if (!nodes.get(f.to)?.roles.includes('mn'))
            add([...p, 'flow', 'address'], `"${f.address}" for ${f.to}, which is not a mobile node`, 'home:<mr> only for flows to a mobile node');
          const mr = node([...p, 'flow', 'address'], m[1] as string);
          if (mr && !mr.roles.includes('mr')) add([...p, 'flow', 'address'], `"${m[1]}", which is not an MR`, 'an MR that anchors home prefixes');
        }
      }
      if (st.stop !== undefined) {
        if (!started.has(st.stop)) add([...p, 'stop'], `"${st.stop}"`, `a flow started before (${[...started].join(', ') || 'none'})`);
        else if (stopped.has(st.stop)) add([...p, 'stop'], `"${st.stop}", stopped already`, 'a running flow');
        stopped.add(st.stop);
      }
      if (st.handover) {
        const h = st.handover;
        if (mn([...p, 'handover', 'mn'], h.mn)) {
          cell([...p, 'handover', 'to'], h.mn, h.to);
          const now = at.get(h.mn);
          if (now?.has(h.to)) add([...p, 'handover', 'to'], `"${h.to}", which ${h.mn} is attached to at this step`, `another of ${h.mn}'s access routers`);
          at.set(h.mn, new Set([h.to]));
        }
      }
      if (st.attach) {
        const a = st.attach;
        if (mn([...p, 'attach', 'mn'], a.mn)) {
          cell([...p, 'attach', 'ar'], a.mn, a.ar);
          if (at.get(a.mn)?.has(a.ar))
            add([...p, 'attach', 'ar'], `"${a.ar}", which ${a.mn} is attached to at this step`, `an access router ${a.mn} is not on (${where(a.mn)} now)`);
          at.get(a.mn)?.add(a.ar);
        }
      }
      if (st.detach) {
        const d = st.detach;
        if (mn([...p, 'detach', 'mn'], d.mn)) {
          if (d.ar) {
            cell([...p, 'detach', 'ar'], d.mn, d.ar);
            if (!at.get(d.mn)?.has(d.ar))
              add([...p, 'detach', 'ar'], `"${d.ar}", which ${d.mn} is not attached to at this step`, `an access router it is on (${where(d.mn)})`);
            at.get(d.mn)?.delete(d.ar);
          } else {
            if (at.get(d.mn)?.size === 0) add([...p, 'detach', 'mn'], `"${d.mn}", attached nowhere at this step`, 'a mobile node on some access router');
            at.get(d.mn)?.clear();
          }
        }
      }
      if (st.link) {
        const [a, b] = st.link.between;
        const na = node([...p, 'link', 'between', 0], a);
        node([...p, 'link', 'between', 1], b);
        if (na && nodes.has(b) && !na.interfaces.some((x) => x.peer.node === b))
          add([...p, 'link', 'between'], `${a}–${b}`, 'two nodes joined by a link of the topology');
      }
      if (st.expect) st.expect.forEach((e, j) => checkExpect(e, [...p, 'expect', j], true));
      if (st.repeat) {
        walk(st.repeat.steps, [...p, 'repeat', 'steps'], true);
        // A second round starts where the first ended: a block that does not bring its nodes back is caught too.
        if (st.repeat.times > 1) {
          const before = issues.length;
          walk(st.repeat.steps, [...p, 'repeat', 'steps'], true);
          const again = issues.splice(before).filter((x) => x.found.includes('at this step'));
          for (const x of again) issues.push({ ...x, found: `${x.found} (in the block's second round)` });
        }
      }
    });
  };
  walk(s.steps, ['steps']);
  if (s.capture) {
    (s.capture.nodes ?? []).forEach((n, k) => node(['capture', 'nodes', k], n));
    (s.capture.interfaces ?? []).forEach((x, k) => {
      const [n, i] = x.split(':') as [string, string];
      const found = node(['capture', 'interfaces', k], n);
      if (found && !found.interfaces.some((f) => f.name === i))
        add(['capture', 'interfaces', k], `"${x}"`, `an interface of ${n} (${found.interfaces.map((f) => f.name).join(', ')})`);
    });
  }
  s.expect.forEach((e, j) => checkExpect(e, ['expect', j]));
  return issues;
}
