import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { scenarioSchema } from '../../../cli/scenario/schema.js';
import { renderJunit } from '../../../cli/report/junit.js';
import { renderRepeatMarkdown, renderRunMarkdown } from '../../../cli/report/report-md.js';
import { repeatReportSchema, runReportSchema, type RepeatReport, type RunReport } from '../../../cli/report/report-schema.js';
import { summarize } from '../../../cli/report/stats.js';
import { jsonSchemas } from '../../../cli/schemas.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A failed run of fig5-handover: one expectation held, one did not, one step failed. */
function report(over: Partial<RunReport> = {}): RunReport {
  return runReportSchema.parse({
    version: 1,
    kind: 'run',
    scenario: {
      name: 'fig5-handover',
      file: '/work/scenarios/fig5-handover.yaml',
      description: 'Handover with an active session.\n',
      topology: '/work/topologies/fig1.yaml',
    },
    lab: { name: 'fig5-handover-a1b2c', runtime: 'netns', tunnelDriver: 'ip6tnl', routeOptimization: 'query', mnMode: 'network', newPrefixOnHandover: true },
    startedAt: '2025-01-02T03:04:05.000Z',
    durationMs: 12345,
    ok: false,
    steps: [
      { index: 0, path: 'steps[0]', text: 'start udp flow f1 mn2 → mn1 at 1000 pkt/s', kind: 'flow', atMs: 0, durationMs: 12.5, ok: true },
      { index: 1, path: 'steps[1]', text: 'handover mn1 → mr2 (break-before-make)', kind: 'handover', atMs: 1000, durationMs: 48.5, ok: true },
      {
        index: 2,
        path: 'steps[2]',
        text: 'wait 1500ms',
        kind: 'wait',
        atMs: 1048.5,
        durationMs: 1500,
        ok: false,
        error: 'mr2 completing the attachment of mn1 did not arrive within 5000 ms',
      },
    ],
    handovers: [
      {
        index: 0,
        mn: 'mn1',
        from: ['mr11'],
        to: 'mr2',
        atMs: 1000,
        completedAfterMs: 8.5,
        signalling: { PBU: 1, PBA: 1, HI: 1, HAck: 1, LRI: 1 },
        signallingBytes: 392,
        signallingSteps: [
          { msg: 'PBU', from: 'mr2', to: 'lm1', sentAfterMs: 1.5, transitMs: 0.04, nextSend: { name: 'PBA', to: 'mr2', afterMs: 0.25 } },
          { msg: 'PBA', from: 'lm1', to: 'mr2', sentAfterMs: 1.79, transitMs: 0.05 },
        ],
      },
      { index: 1, mn: 'mn1', from: [], to: 'mr11', atMs: 2600, signalling: { PBU: 2 }, signallingBytes: 144 },
    ],
    flows: [
      {
        id: 'f1',
        kind: 'udp',
        from: 'mn2',
        to: 'mn1',
        source: '2001:db8:3:8000::10',
        destination: '2001:db8:1:8000::20',
        sent: 2500,
        received: 2431,
        lost: 69,
        lossPercent: 2.76,
        duplicates: 0,
        reordered: 3,
        keepsSource: true,
        sources: [{ address: '2001:db8:3:8000::10', packets: 2431 }],
        latencyMs: { p50: 0.21, p95: 1.75, offsetRemovedMs: 0 },
        settledPath: ['mn2', 'mr31', 'core', 'mr2', 'mn1'],
        settledMobilityPath: ['mn2', 'mr31', 'mr2', 'mn1'],
        shortestPath: ['mn2', 'mr31', 'core', 'mr2', 'mn1'],
        pathStretch: 1,
        paths: [
          {
            nodes: ['mn2', 'mr31', 'core', 'mr11', 'mn1'],
            packets: 1000,
            fromMs: 0,
            toMs: 999.5,
            tunnels: [{ link: 'mr31–core', outerSrc: '2001:db8:3::1', outerDst: '2001:db8:1::1' }],
          },
          { nodes: ['mn2', 'mr31', 'core', 'mr2', 'mn1'], packets: 1431, fromMs: 1062.4, toMs: 2500, tunnels: [] },
        ],
        handovers: [{ handover: 0, interruptionMs: 62.4, attachToFirstPacketMs: 14.125, lostDuring: 62 }],
        plot: 'flow-f1.svg',
        handoverPlots: ['flow-f1-handover-0.svg'],
      },
    ],
    signalling: { totals: { PBU: { count: 3, bytes: 216 }, HI: { count: 1, bytes: 80 }, LRI: { count: 1, bytes: 64 } }, undecodable: 0 },
    sourceValidation: { checked: 40, violations: 0, forwarded: 0, examples: [] },
    expectations: [
      {
        name: 'the session survives the handover',
        at: 'end',
        ok: false,
        checks: [
          { what: 'duplicates', expected: '== 0', measured: '0', ok: true },
          { what: 'interruption (worst handover)', expected: '<= 50ms', measured: '62.40 ms', ok: false },
          { what: 'loss', expected: '<= 5%', measured: '2.76%', ok: true },
        ],
        durationMs: 1.5,
      },
      {
        name: 'signalling HI in handover 0',
        at: 'end',
        ok: true,
        checks: [{ what: 'HI messages from mr2 to mr11 during handover 0', expected: '== 1', measured: '1', ok: true }],
      },
    ],
    artifacts: {
      pcapng: 'capture.pcapng',
      captures: [{ node: 'mn1', iface: 'mr2', file: 'captures/mn1-mr2.pcap' }],
      events: 'events.jsonl',
      logs: [],
      markdown: 'report.md',
      junit: 'junit.xml',
    },
    warnings: ['2 packets could not be decoded', 'step steps[2] failed: mr2 completing the attachment of mn1 did not arrive within 5000 ms'],
    ...over,
  });
}

/** A passing run: every expectation held, every step ran. */
function passed(): RunReport {
  const r = report();
  return runReportSchema.parse({
    ...r,
    ok: true,
    steps: r.steps.map((s) => ({ index: s.index, path: s.path, text: s.text, kind: s.kind, atMs: s.atMs, durationMs: s.durationMs, ok: true })),
    expectations: r.expectations.map((e) => ({ ...e, ok: true, checks: e.checks.map((c) => ({ ...c, ok: true })) })),
    warnings: [],
  });
}

/** The rows of the first Markdown table after the line `heading`, as lists of cells (the |---| line left out). */
function tableAfter(md: string, heading: string): string[][] {
  const lines = md.split('\n');
  const start = lines.indexOf(heading);
  expect(start, `no line ${heading}`).toBeGreaterThanOrEqual(0);
  const first = lines.findIndex((l, i) => i > start && l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = first; i < lines.length && (lines[i] as string).startsWith('|'); i++) {
    if (i !== first + 1) rows.push((lines[i] as string).slice(2, -2).split(' | '));
    else expect(lines[i]).toMatch(/^\|(---\|)+$/);
  }
  return rows;
}

describe('renderRunMarkdown', () => {
  it('titles the report PASSED or FAILED', () => {
    expect(renderRunMarkdown(report()).split('\n')[0]).toBe('# fig5-handover: FAILED');
    expect(renderRunMarkdown(passed()).split('\n')[0]).toBe('# fig5-handover: PASSED');
  });

  it('says what ran, where and for how long', () => {
    expect(renderRunMarkdown(report())).toContain(
      '\n\nHandover with an active session.\n\nLab `fig5-handover-a1b2c` (netns runtime, ip6tnl tunnels, route optimisation query, network-based mobility) from `/work/topologies/fig1.yaml`; started 2025-01-02T03:04:05.000Z, took 12.3 s.\n',
    );
  });

  it('lists every check with ✔ or ✘, what was expected and what was measured', () => {
    expect(tableAfter(renderRunMarkdown(report()), '## Expectations')).toEqual([
      ['', 'expectation', 'checked', 'expected', 'measured'],
      ['✔', 'the session survives the handover', 'duplicates', '== 0', '0'],
      ['✘', '', 'interruption (worst handover)', '<= 50ms', '62.40 ms'],
      ['✔', '', 'loss', '<= 5%', '2.76%'],
      ['✔', 'signalling HI in handover 0', 'HI messages from mr2 to mr11 during handover 0', '== 1', '1'],
    ]);
    expect(renderRunMarkdown(report({ expectations: [] }))).toContain('## Expectations\n\nNone declared.\n');
  });

  it('gives each flow its figures, handovers, paths and plots', () => {
    const md = renderRunMarkdown(report());
    expect(md).toContain('### f1: udp mn2 → mn1\n\nSource 2001:db8:3:8000::10 (kept for the whole flow), destination 2001:db8:1:8000::20.\n');
    const [figures, handovers, paths] =
      md
        .split('### f1')[1]
        ?.split('\n\n')
        .filter((b) => b.startsWith('|')) ?? [];
    expect(tableAfter(`x\n${figures}`, 'x')).toEqual([
      ['sent', 'received', 'lost', 'loss', 'duplicates', 'reordered', 'latency p50 / p95', 'settled path', 'stretch'],
      ['2500', '2431', '69', '2.76 %', '0', '3', '0.21 ms / 1.75 ms', 'mn2 → mr31 → mr2 → mn1', '1.00'],
    ]);
    expect(tableAfter(`x\n${handovers}`, 'x')).toEqual([
      ['handover', 'interruption', 'attach → first packet', 'lost during'],
      ['0', '62.4 ms', '14.1 ms', '62'],
    ]);
    expect(tableAfter(`x\n${paths}`, 'x')).toEqual([
      ['path', 'packets', 'from', 'to', 'tunnels'],
      ['mn2 → mr31 → core → mr11 → mn1', '1000', '0.00 ms', '999.5 ms', 'mr31–core (2001:db8:3::1 → 2001:db8:1::1)'],
      ['mn2 → mr31 → core → mr2 → mn1', '1431', '1062.4 ms', '2500.0 ms', '–'],
    ]);
    expect(md).toContain('Paths taken:');
    expect(md).toContain('![f1: sequence number at the receiver](flow-f1.svg)');
    expect(md).toContain('![f1 zoomed on a handover](flow-f1-handover-0.svg)');
  });

  it('says how a flow changed its source, and leaves out what was not measured', () => {
    const r = report();
    const f = r.flows[0] as RunReport['flows'][number];
    const changed = {
      ...f,
      keepsSource: false,
      sources: [
        { address: '2001:db8:1:8000::20', packets: 10 },
        { address: '2001:db8:2:8000::20', packets: 20 },
      ],
      latencyMs: undefined,
      settledPath: undefined,
      settledMobilityPath: undefined,
      pathStretch: undefined,
      handovers: [],
      paths: [],
      plot: undefined,
      handoverPlots: undefined,
    };
    const md = renderRunMarkdown(report({ flows: [changed] }));
    expect(md).toContain('Source 2001:db8:3:8000::10 (changed: 2001:db8:1:8000::20 × 10, 2001:db8:2:8000::20 × 20), destination');
    expect(tableAfter(md, '### f1: udp mn2 → mn1')[1]).toEqual(['2500', '2431', '69', '2.76 %', '0', '3', '–', '–', '–']);
    expect(md).not.toContain('Paths taken:');
    expect(md).not.toContain('| handover | interruption |');
    expect(md).not.toContain('![');
  });

  it('tabulates the handovers with a column per signalling message', () => {
    expect(tableAfter(renderRunMarkdown(report()), '## Handovers')).toEqual([
      ['#', 'node', 'from → to', 'at', 'complete after', 'HAck', 'HI', 'LRI', 'PBA', 'PBU', 'bytes'],
      ['0', 'mn1', 'mr11 → mr2', '1000.0 ms', '8.50 ms', '1', '1', '1', '1', '1', '392'],
      ['1', 'mn1', '(none) → mr11', '2600.0 ms', '–', '0', '0', '0', '0', '2', '144'],
    ]);
    expect(renderRunMarkdown(report({ handovers: [] }))).not.toContain('## Handovers');
    expect(tableAfter(renderRunMarkdown(report()), 'Handover 0 on the wire (ms after the radio change):')).toEqual([
      ['message', 'from → to', 'sent', 'on the wire', "receiver's next message", 'after'],
      ['PBU', 'mr2 → lm1', '1.50 ms', '0.04 ms', 'PBA → mr2', '0.25 ms'],
      ['PBA', 'lm1 → mr2', '1.79 ms', '0.05 ms', '', '–'],
    ]);
  });

  it('says whether packets left MRs with a foreign source', () => {
    expect(renderRunMarkdown(report())).toContain('Source-address validation: 0 of 40 native home-address packets');
    const bad = renderRunMarkdown(
      report({
        sourceValidation: {
          checked: 41,
          violations: 1,
          forwarded: 1,
          examples: [{ atMs: 1003.2, node: 'mr2', iface: 'core', src: '2001:db8:1:8000::1', dst: '2001:db8:3:8000::2', anchor: 'mr11' }],
          forwardedExamples: [{ atMs: 1010.5, node: 'mr12', iface: 'mr11', src: '2001:db8:3:8000::2', dst: '2001:db8:1:8000::1', anchor: 'mr31' }],
        },
      }),
    );
    expect(bad).toContain('- at 1003.2 ms: mr2 sent 2001:db8:1:8000::1 → 2001:db8:3:8000::2 out of core (anchored at mr11)');
    expect(bad).toContain('(1 more with a foreign source were decapsulated or transit traffic, not uplink)');
    expect(bad).toContain('- at 1010.5 ms: mr12 sent 2001:db8:3:8000::2 → 2001:db8:1:8000::1 out of mr11 (anchored at mr31; decapsulated or transit)');
  });

  it('totals the signalling', () => {
    expect(tableAfter(renderRunMarkdown(report()), '## Signalling')).toEqual([
      ['message', 'count', 'bytes'],
      ['HI', '1', '80'],
      ['LRI', '1', '64'],
      ['PBU', '3', '216'],
    ]);
  });

  it('shows the timeline with the failed step and its error', () => {
    expect(tableAfter(renderRunMarkdown(report()), '## Timeline')).toEqual([
      ['at', 'step', 'took', 'result'],
      ['0.00 ms', 'start udp flow f1 mn2 → mn1 at 1000 pkt/s', '12.5 ms', 'ok'],
      ['1000.0 ms', 'handover mn1 → mr2 (break-before-make)', '48.5 ms', 'ok'],
      ['1048.5 ms', 'wait 1500ms', '1500.0 ms', 'FAILED: mr2 completing the attachment of mn1 did not arrive within 5000 ms'],
    ]);
  });

  it('lists the warnings, and has no such section without any', () => {
    expect(renderRunMarkdown(report())).toContain(
      '## Warnings\n\n- 2 packets could not be decoded\n- step steps[2] failed: mr2 completing the attachment of mn1 did not arrive within 5000 ms\n',
    );
    expect(renderRunMarkdown(passed())).not.toContain('## Warnings');
  });

  it('names the files of the run', () => {
    const md = renderRunMarkdown(report());
    expect(md).toContain('- `capture.pcapng`: every interface in one pcapng');
    expect(md).toContain('- `captures/`: one pcap per interface (1 files)');
    expect(md).toContain('- `events.jsonl`: every agent and orchestrator event');
    expect(renderRunMarkdown(report({ artifacts: { ...report().artifacts, pcapng: undefined } }))).not.toContain('.pcapng`');
  });

  it('keeps a "|" or a line break inside its table cell', () => {
    const r = report();
    const steps = r.steps.map((s) => (s.ok ? s : { ...s, text: 'mark: a | b', error: 'ip: RTNETLINK answers: File exists\nexit status 2' }));
    const rows = tableAfter(renderRunMarkdown(report({ steps })), '## Timeline');
    expect(rows).toHaveLength(1 + steps.length);
    expect(rows[3]).toEqual(['1048.5 ms', 'mark: a \\| b', '1500.0 ms', 'FAILED: ip: RTNETLINK answers: File exists<br>exit status 2']);
  });
});

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict parser for the XML subset renderJunit writes (declaration, elements,
 * double-quoted attributes, the five entities and character references).
 * Throws on anything not well-formed: unbalanced tags, a raw "<" or "&" in a
 * value, a control character XML 1.0 forbids, a second root.
 */
function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed XML at offset ${i}: ${why}: ${JSON.stringify(text.slice(i, i + 40))}`);
  };
  // eslint-disable-next-line no-control-regex -- characters XML 1.0 does not allow
  const control = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.exec(text);
  if (control) {
    i = control.index;
    fail('a control character');
  }
  const decode = (s: string) => {
    if (s.includes('<')) fail('a raw "<" in a value');
    return s.replace(/&([^;]*);?/g, (m, e: string) => {
      const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
      if (!m.endsWith(';')) fail(`a raw "&"`);
      if (e in named) return named[e] as string;
      const ref = /^#(\d+)$|^#x([0-9a-fA-F]+)$/.exec(e);
      return ref ? String.fromCodePoint(ref[1] ? Number(ref[1]) : parseInt(ref[2] as string, 16)) : fail(`an unknown entity &${e};`);
    });
  };
  const name = '[A-Za-z_][\\w.-]*';
  const element = (): XmlElement => {
    const open = new RegExp(`^<(${name})((?:\\s+${name}="[^"]*")*)\\s*(/?)>`).exec(text.slice(i)) ?? fail('expected a start tag');
    i += open[0].length;
    const el: XmlElement = { name: open[1] as string, attrs: {}, children: [], text: '' };
    for (const m of (open[2] as string).matchAll(new RegExp(`(${name})="([^"]*)"`, 'g'))) {
      if ((m[1] as string) in el.attrs) fail(`attribute ${m[1]} twice`);
      el.attrs[m[1] as string] = decode(m[2] as string);
    }
    if (open[3]) return el;
    for (;;) {
      const chars = /^[^<]*/.exec(text.slice(i))?.[0] ?? '';
      el.text += decode(chars);
      i += chars.length;
      if (i >= text.length) fail(`<${el.name}> never closed`);
      if (text.startsWith(`</${el.name}>`, i)) {
        i += el.name.length + 3;
        return el;
      }
      if (text.startsWith('</', i)) fail(`an end tag that does not close <${el.name}>`);
      el.children.push(element());
    }
  };
  const decl = '<?xml version="1.0" encoding="UTF-8"?>\n';
  if (!text.startsWith(decl)) fail('no XML declaration');
  i = decl.length;
  const rootElement = element();
  if (text.slice(i).trim() !== '') fail('content after the root element');
  return rootElement;
}

describe('parseXml (the checker below)', () => {
  it.each(['<a>', '<a></b>', '<a x="1<2"/>', '<a>x & y</a>', '<a/><b/>', '<a x="1" x="2"/>', '<a>\x1b[31m</a>', '<a>&nbsp;</a>'])('refuses %j', (body) => {
    expect(() => parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`)).toThrow('not well-formed XML');
  });
});

describe('renderJunit', () => {
  it('writes one suite per run and one test case per expectation and per failed step', () => {
    const doc = parseXml(renderJunit([report()]));
    expect(doc.name).toBe('testsuites');
    expect(doc.children).toHaveLength(1);
    const suite = doc.children[0] as XmlElement;
    expect(suite).toMatchObject({
      name: 'testsuite',
      attrs: { name: 'fig5-handover', tests: '3', failures: '2', time: '12.345', timestamp: '2025-01-02T03:04:05.000Z' },
    });
    expect(suite.children.map((c) => [c.name, c.attrs.classname, c.attrs.name, c.children.map((f) => f.name)])).toEqual([
      ['testcase', 'fig5-handover', 'the session survives the handover (end)', ['failure']],
      ['testcase', 'fig5-handover', 'signalling HI in handover 0 (end)', []],
      ['testcase', 'fig5-handover', 'step steps[2]: wait 1500ms', ['failure']],
    ]);
    // Each case is timed: checking an expectation, or running a failed step.
    expect(suite.children.map((c) => c.attrs.time)).toEqual(['0.002', '0.000', expect.stringMatching(/^\d+\.\d{3}$/)]);
  });

  it('carries expected and measured values in the failure message', () => {
    const suite = parseXml(renderJunit([report()])).children[0] as XmlElement;
    expect(suite.children[0]?.children[0]?.attrs.message).toBe('interruption (worst handover): expected <= 50ms, measured 62.40 ms');
    expect(suite.children[2]?.children[0]?.attrs.message).toBe('mr2 completing the attachment of mn1 did not arrive within 5000 ms');
    const twoFailed = report({
      expectations: [
        {
          name: 'e',
          at: 'end',
          ok: false,
          checks: [
            { what: 'lost', expected: '== 0', measured: '69', ok: false },
            { what: 'sent', expected: '>= 1', measured: '2500', ok: true },
            { what: 'loss', expected: '<= 1%', measured: '2.76%', ok: false },
          ],
        },
      ],
    });
    expect((parseXml(renderJunit([twoFailed])).children[0] as XmlElement).children[0]?.children[0]?.attrs.message).toBe(
      'lost: expected == 0, measured 69; loss: expected <= 1%, measured 2.76%',
    );
  });

  it('has no failure in a passing run', () => {
    const suite = parseXml(renderJunit([passed()])).children[0] as XmlElement;
    expect(suite.attrs).toMatchObject({ tests: '2', failures: '0' });
    expect(suite.children.flatMap((c) => c.children)).toEqual([]);
  });

  it('numbers the suites of repeated runs', () => {
    const doc = parseXml(renderJunit([passed(), report()]));
    expect(doc.children.map((s) => [s.attrs.name, s.attrs.failures])).toEqual([
      ['fig5-handover#1', '0'],
      ['fig5-handover#2', '2'],
    ]);
    expect(parseXml(renderJunit([])).children).toEqual([]);
  });

  it('escapes <, &, > and quotes', () => {
    const nasty = `latency < 5 ms & "jitter" > 'none'`;
    const r = report({
      scenario: { ...report().scenario, name: 'a&b' },
      expectations: [{ name: nasty, at: 'steps[3]', ok: false, checks: [{ what: 'x', expected: '< 1%', measured: '<none> & "n/a"', ok: false }] }],
    });
    const xml = renderJunit([r]);
    expect(xml).toContain("latency &lt; 5 ms &amp; &quot;jitter&quot; &gt; 'none' (steps[3])");
    const suite = parseXml(xml).children[0] as XmlElement;
    expect(suite.attrs.name).toBe('a&b');
    expect(suite.children[0]?.attrs).toEqual({ classname: 'a&b', name: `${nasty} (steps[3])`, time: '0.000' });
    expect(suite.children[0]?.children[0]?.attrs.message).toBe('x: expected < 1%, measured <none> & "n/a"');
  });

  it('keeps line breaks and drops terminal colours from an error', () => {
    const steps = report().steps.map((s) => (s.ok ? s : { ...s, error: 'ip: RTNETLINK answers: File exists\n\x1b[31mexit status 2\x1b[0m\tdone' }));
    const xml = renderJunit([report({ steps })]);
    expect(xml).toContain('File exists&#10;exit status 2&#9;done');
    const suite = parseXml(xml).children[0] as XmlElement;
    expect(suite.children[2]?.children[0]?.attrs.message).toBe('ip: RTNETLINK answers: File exists\nexit status 2\tdone');
  });
});

describe('summarize', () => {
  it('is undefined for nothing to summarize', () => {
    expect(summarize([])).toBeUndefined();
    expect(summarize([Number.NaN, Number.POSITIVE_INFINITY])).toBeUndefined();
  });

  it.each<[number[], { n: number; min: number; median: number; p95: number; max: number }]>([
    [[5], { n: 1, min: 5, median: 5, p95: 5, max: 5 }],
    // Odd count: the middle value; even count: the mean of the two middle values.
    [[3, 1, 2], { n: 3, min: 1, median: 2, p95: 3, max: 3 }],
    [[4, 1, 3, 2], { n: 4, min: 1, median: 2.5, p95: 4, max: 4 }],
    [[10, 0], { n: 2, min: 0, median: 5, p95: 10, max: 10 }],
    // p95 by nearest rank: the ceil(0.95 n)-th smallest.
    [Array.from({ length: 20 }, (_, k) => 20 - k), { n: 20, min: 1, median: 10.5, p95: 19, max: 20 }],
    [Array.from({ length: 21 }, (_, k) => k + 1), { n: 21, min: 1, median: 11, p95: 20, max: 21 }],
    [Array.from({ length: 100 }, (_, k) => k + 1), { n: 100, min: 1, median: 50.5, p95: 95, max: 100 }],
    [Array.from({ length: 10 }, (_, k) => k + 1), { n: 10, min: 1, median: 5.5, p95: 10, max: 10 }],
    // Numeric order, not string order; non-finite values left out.
    [[100, 9, 20, Number.NaN, Number.NEGATIVE_INFINITY], { n: 3, min: 9, median: 20, p95: 100, max: 100 }],
    [[-1.5, 2.25, 0], { n: 3, min: -1.5, median: 0, p95: 2.25, max: 2.25 }],
  ])('%j', (values, stat) => {
    expect(summarize(values)).toEqual(stat);
  });

  it('leaves its input alone', () => {
    const values = [3, 1, 2];
    summarize(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('renderRepeatMarkdown', () => {
  const stat = (xs: number[]) => summarize(xs) as NonNullable<ReturnType<typeof summarize>>;
  const repeat = (ok: boolean[]): RepeatReport =>
    repeatReportSchema.parse({
      version: 1,
      kind: 'repeat',
      scenario: { name: 'fig5-handover', file: '/work/scenarios/fig5-handover.yaml' },
      runs: ok.map((o, k) => ({
        index: k + 1,
        dir: `run-0${k + 1}`,
        ok: o,
        durationMs: 12000 + 500 * k,
        failed: o ? [] : ['the session survives the handover', 'signalling HI in handover 0'],
      })),
      flows: {
        f1: { interruptionMs: stat([8, 11, 62.4]), lost: stat([0, 2, 62]), lossPercent: stat([0, 0.08, 2.48]) },
        f2: { lost: stat([0, 0, 0]), lossPercent: stat([0, 0, 0]), attachToFirstPacketMs: stat([5, 6, 7.5]) },
      },
      ok: ok.every(Boolean),
    });

  it('titles the summary with the runs that passed', () => {
    expect(renderRepeatMarkdown(repeat([true, true, false])).split('\n')[0]).toBe('# fig5-handover × 3: FAILED (2/3 runs passed)');
    expect(renderRepeatMarkdown(repeat([true, true])).split('\n')[0]).toBe('# fig5-handover × 2: PASSED (2/2 runs passed)');
  });

  it('gives median and p95 per flow', () => {
    const md = `x\n${renderRepeatMarkdown(repeat([true, true, false])).split('\n\n')[1]}`;
    expect(tableAfter(md, 'x')).toEqual([
      ['flow', 'interruption median (p95)', 'lost median (p95)', 'loss % median (p95)', 'attach → first packet median (p95)'],
      ['f1', '11.00 ms (p95 62.40 ms, n=3)', '2.00 (p95 62.00, n=3)', '0.08 % (p95 2.48 %, n=3)', '–'],
      ['f2', '–', '0.00 (p95 0.00, n=3)', '0.00 % (p95 0.00 %, n=3)', '6.00 ms (p95 7.50 ms, n=3)'],
    ]);
  });

  it('lists each run with its failed expectations and its report', () => {
    const md = `x\n${renderRepeatMarkdown(repeat([true, true, false])).split('\n\n')[2]}`;
    expect(tableAfter(md, 'x')).toEqual([
      ['run', 'result', 'took', 'failed expectations', 'report'],
      ['1', 'passed', '12.0 s', '–', 'run-01/report.md'],
      ['2', 'passed', '12.5 s', '–', 'run-02/report.md'],
      ['3', 'FAILED', '13.0 s', 'the session survives the handover; signalling HI in handover 0', 'run-03/report.md'],
    ]);
  });
});

describe('schema/*.schema.json', () => {
  const schemas: [string, z.ZodType, Parameters<typeof z.toJSONSchema>[1]][] = [
    ['report', runReportSchema, { target: 'draft-7' }],
    ['repeat-report', repeatReportSchema, { target: 'draft-7' }],
    ['scenario', scenarioSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }],
  ];

  it.each(schemas)('schema/%s.schema.json is the current zod schema (run `npm run build` after changing it)', async (name, schema, options) => {
    const text = await readFile(`${root}schema/${name}.schema.json`, 'utf8');
    expect(text, `schema/${name}.schema.json is stale`).toBe(JSON.stringify(jsonSchemas()[name], null, 2) + '\n');
    const { $id, title, ...body } = JSON.parse(text) as Record<string, unknown>;
    expect($id).toBe(`https://dmmlab.dev/schema/${name}.schema.json`);
    expect(title).toMatch(/^dmmlab /);
    expect(body).toEqual(JSON.parse(JSON.stringify(z.toJSONSchema(schema, options))));
    expect(body.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('requires at the top of report.json every key a report has', async () => {
    const onDisk = JSON.parse(await readFile(`${root}schema/report.schema.json`, 'utf8')) as { required: string[]; properties: Record<string, unknown> };
    expect(new Set(onDisk.required)).toEqual(new Set(Object.keys(report())));
    expect(Object.keys(onDisk.properties).sort()).toEqual(Object.keys(runReportSchema.shape).sort());
  });
});
