import type { RepeatReport, RunReport, Stat } from './report-schema.js';

const ms = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(x < 10 ? 2 : 1)} ms`);
/** A table cell: a "|" would end the cell and a line break the row. */
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
const table = (header: string[], rows: string[][]) =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');

/** report.md: the human summary of one run, a table per flow and per handover. */
export function renderRunMarkdown(r: RunReport): string {
  const out: string[] = [];
  out.push(`# ${r.scenario.name}: ${r.ok ? 'PASSED' : 'FAILED'}`, '');
  if (r.scenario.description) out.push(r.scenario.description.trim(), '');
  out.push(
    `Lab \`${r.lab.name}\` (${r.lab.runtime} runtime, ${r.lab.tunnelDriver} tunnels, route optimisation ${r.lab.routeOptimization}, ${r.lab.mnMode}-based mobility) from \`${r.scenario.topology}\`; started ${r.startedAt}, took ${(r.durationMs / 1000).toFixed(1)} s.`,
    '',
  );
  out.push('## Expectations', '');
  if (r.expectations.length === 0) out.push('None declared.');
  else
    out.push(
      table(
        ['', 'expectation', 'checked', 'expected', 'measured'],
        r.expectations.flatMap((e) => e.checks.map((c, i) => [c.ok ? '✔' : '✘', i === 0 ? e.name : '', c.what, c.expected, c.measured])),
      ),
    );
  out.push('', '## Flows', '');
  for (const f of r.flows) {
    out.push(`### ${f.id}: ${f.kind} ${f.from} → ${f.to}`, '');
    out.push(
      `Source ${f.source}${f.keepsSource ? ' (kept for the whole flow)' : ` (changed: ${f.sources.map((s) => `${s.address} × ${s.packets}`).join(', ')})`}, destination ${f.destination}.`,
      '',
    );
    out.push(
      table(
        ['sent', 'received', 'lost', 'loss', 'duplicates', 'reordered', 'latency p50 / p95', 'settled path', 'stretch'],
        [
          [
            String(f.sent),
            String(f.received),
            String(f.lost),
            `${f.lossPercent.toFixed(2)} %`,
            String(f.duplicates),
            String(f.reordered),
            f.latencyMs ? `${ms(f.latencyMs.p50)} / ${ms(f.latencyMs.p95)}` : '–',
            (f.settledMobilityPath ?? f.settledPath ?? []).join(' → ') || '–',
            f.pathStretch === undefined ? '–' : f.pathStretch.toFixed(2),
          ],
        ],
      ),
    );
    if (f.handovers.length) {
      out.push(
        '',
        table(
          ['handover', 'interruption', 'attach → first packet', 'lost during'],
          f.handovers.map((h) => [String(h.handover), ms(h.interruptionMs), ms(h.attachToFirstPacketMs), String(h.lostDuring)]),
        ),
      );
    }
    if (f.paths.length > 1) {
      out.push(
        '',
        'Paths taken:',
        '',
        table(
          ['path', 'packets', 'from', 'to', 'tunnels'],
          f.paths.map((p) => [
            p.nodes.join(' → '),
            String(p.packets),
            ms(p.fromMs),
            ms(p.toMs),
            p.tunnels.map((t) => `${t.link} (${t.outerSrc} → ${t.outerDst})`).join(', ') || '–',
          ]),
        ),
      );
    }
    if (f.plot) out.push('', `![${f.id}: sequence number at the receiver](${f.plot})`);
    for (const p of f.handoverPlots ?? []) out.push('', `![${f.id} zoomed on a handover](${p})`);
    out.push('');
  }
  if (r.handovers.length) {
    out.push('## Handovers', '');
    const names = [...new Set(r.handovers.flatMap((h) => Object.keys(h.signalling)))].sort();
    const sync = r.handovers.some((h) => h.synchronisation);
    out.push(
      table(
        ['#', 'node', 'from → to', 'at', 'complete after', ...names, 'bytes', ...(sync ? ['of which sync (messages, bytes)'] : [])],
        r.handovers.map((h) => [
          String(h.index),
          h.mn,
          `${h.from.join(',') || '(none)'} → ${h.to}`,
          ms(h.atMs),
          ms(h.completedAfterMs),
          ...names.map((n) => String(h.signalling[n] ?? 0)),
          String(h.signallingBytes),
          ...(sync ? [h.synchronisation ? `${h.synchronisation.messages}, ${h.synchronisation.bytes}` : '0'] : []),
        ]),
      ),
      '',
    );
    // The signalling of each handover as the wire saw it: when each message left, how long it travelled, how long its receiver took.
    for (const h of r.handovers.filter((x) => (x.signallingSteps ?? []).some((st) => st.sentAfterMs !== undefined && st.sentAfterMs < 1000))) {
      out.push(
        `Handover ${h.index} on the wire (ms after the radio change):`,
        '',
        table(
          ['message', 'from → to', 'sent', 'on the wire', "receiver's next message", 'after'],
          (h.signallingSteps ?? [])
            .filter((st) => st.sentAfterMs !== undefined && st.sentAfterMs < 1000)
            .map((st) => [
              st.msg,
              `${st.from} → ${st.to}`,
              ms(st.sentAfterMs),
              ms(st.transitMs),
              st.nextSend ? `${st.nextSend.name} → ${st.nextSend.to}` : '',
              ms(st.nextSend?.afterMs),
            ]),
        ),
        '',
      );
    }
  }
  if (r.hosts) {
    const span = (c: NonNullable<RunReport['hosts']>['clock'][number]) =>
      `${c.a}↔${c.b}: ${c.minMs === undefined ? '?' : ms(c.minMs)} to ${c.maxMs === undefined ? '?' : ms(c.maxMs)} (${c.packets.ab + c.packets.ba} packets)`;
    out.push(
      `Hosts: ${r.hosts.list.map((h) => `${h.name} (${h.address}: ${h.nodes.join(', ')})`).join('; ')}; ${r.hosts.vxlanLinks} links between them are VXLAN.`,
      r.hosts.clock.length
        ? `Capture clocks (offset of the second host's clock from the first's, bracketed by packets seen on both underlays): ${r.hosts.clock.map(span).join('; ')}. Figures that compare two hosts' stamps carry at most this error; interruptions, measured at one interface, none.`
        : "Capture clocks: no packet was seen on two hosts' underlays, so their offset is not bracketed.",
      '',
    );
  }
  const sv = r.sourceValidation;
  if (sv)
    out.push(
      `Source-address validation: ${sv.violations} of ${sv.checked} native home-address packets left an MR's uplink with a source another MR anchors` +
        (sv.forwarded ? ` (${sv.forwarded} more with a foreign source were decapsulated or transit traffic, not uplink).` : '.'),
      ...sv.examples.slice(0, 5).map((e) => `- at ${ms(e.atMs)}: ${e.node} sent ${e.src} → ${e.dst} out of ${e.iface} (anchored at ${e.anchor})`),
      ...(sv.forwardedExamples ?? [])
        .slice(0, 5)
        .map((e) => `- at ${ms(e.atMs)}: ${e.node} sent ${e.src} → ${e.dst} out of ${e.iface} (anchored at ${e.anchor}; decapsulated or transit)`),
      '',
    );
  out.push(
    '## Signalling',
    '',
    table(
      ['message', 'count', 'bytes'],
      Object.entries(r.signalling.totals)
        .sort()
        .map(([n, v]) => [n, String(v.count), String(v.bytes)]),
    ),
    '',
  );
  const parts = (label: string, p: { count: number; bytes: number; byName: Record<string, number> } | undefined) =>
    p && p.count > 0
      ? `${label}: ${p.count} messages, ${p.bytes} bytes (${Object.entries(p.byName)
          .map(([n, c]) => `${n} ${c}`)
          .join(', ')}), counted in no handover.`
      : undefined;
  const aside = [parts('Releases', r.signalling.releases), parts('Refreshes', r.signalling.refreshes)].filter((x): x is string => x !== undefined);
  if (aside.length) out.push(...aside, '');
  out.push(
    '## Timeline',
    '',
    table(
      ['at', 'step', 'took', 'result'],
      r.steps.map((s) => [ms(s.atMs), s.text, ms(s.durationMs), s.ok ? 'ok' : `FAILED: ${s.error ?? ''}`]),
    ),
    '',
  );
  if (r.warnings.length) out.push('## Warnings', '', ...r.warnings.map((w) => `- ${w}`), '');
  out.push('## Files', '');
  if (r.artifacts.pcapng)
    out.push(
      `- \`${r.artifacts.pcapng}\`: every interface in one pcapng (interfaces named node:iface, steps as comments and as syslog packets on dmmlab:events); open it in Wireshark.`,
    );
  out.push(
    `- \`captures/\`: one pcap per interface (${r.artifacts.captures.length} files)`,
    `- \`${r.artifacts.events}\`: every agent and orchestrator event on the lab's clock`,
    `- \`logs/\`: the agents' logs`,
    '- `report.json`: all of the above, machine-readable (schema/report.schema.json)',
  );
  return out.join('\n') + '\n';
}

const stat = (s: Stat | undefined, unit = '') => (s ? `${s.median.toFixed(2)}${unit} (p95 ${s.p95.toFixed(2)}${unit}, n=${s.n})` : '–');

/** summary.md of a repeated run: median and p95 per flow. */
export function renderRepeatMarkdown(r: RepeatReport): string {
  const passed = r.runs.filter((x) => x.ok).length;
  const out = [`# ${r.scenario.name} × ${r.runs.length}: ${r.ok ? 'PASSED' : 'FAILED'} (${passed}/${r.runs.length} runs passed)`, ''];
  out.push(
    table(
      ['flow', 'interruption median (p95)', 'lost median (p95)', 'loss % median (p95)', 'attach → first packet median (p95)'],
      Object.entries(r.flows).map(([id, f]) => [
        id,
        stat(f.interruptionMs, ' ms'),
        stat(f.lost),
        stat(f.lossPercent, ' %'),
        stat(f.attachToFirstPacketMs, ' ms'),
      ]),
    ),
    '',
  );
  out.push(
    table(
      ['run', 'result', 'took', 'failed expectations', 'report'],
      r.runs.map((x) => [
        String(x.index),
        x.ok ? 'passed' : 'FAILED',
        `${(x.durationMs / 1000).toFixed(1)} s`,
        x.failed.join('; ') || '–',
        `${x.dir}/report.md`,
      ]),
    ),
  );
  return out.join('\n') + '\n';
}
