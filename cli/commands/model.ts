import { renderTable } from '../output/table.js';
import { emit, jsonOption, type Command } from './command.js';
import { oneOf } from './choices.js';
import { usageError } from './usage-error.js';

export const modelCommand: Command = {
  name: 'model',
  interrupt: 'exit',
  summary: 'predict the signalling load at each LM, MR and anchor for a domain of any size',
  usage: 'model [--placement flat|central|both] [--mns N] [--rate R] [--networks M] [--mrs K] [--prefixes H] [--correspondents C] [--json]',
  help: [
    'Messages and bytes per second at one LM, one MR (mean) and one anchor, from the per-handover costs of',
    'cli/model/signalling-load.ts (checked against the agents’ counts by bench/model.ts; BENCHMARKS.md).',
    'Defaults: 100,000 mobile nodes, one handover per node per minute, 100 networks of 6 MRs, one prefix held.',
  ].join('\n'),
  options: {
    placement: { type: 'string', description: 'flat (flat DMM, each MR anchors), central (PMIPv6-like LMA per network) or both (default)' },
    mns: { type: 'string', description: 'mobile nodes in the domain (default 100000)' },
    rate: { type: 'string', description: 'handovers per mobile node per second (default 1/60)' },
    networks: { type: 'string', description: 'local networks, one LM each (default 100)' },
    mrs: { type: 'string', description: 'MRs per network (default 6)' },
    prefixes: { type: 'string', description: 'home prefixes a node holds when it moves (default 1)' },
    correspondents: { type: 'string', description: 'correspondent MRs caching each node (route optimisation by query; default 0)' },
    ...jsonOption,
  },
  async run({ values }, io) {
    const { predictLoad, PLACEMENTS } = await import('../model/signalling-load.js');
    const num = (name: string, raw: string | boolean | string[] | undefined, dflt: number, min: number): number => {
      if (raw === undefined) return dflt;
      const text = typeof raw === 'string' ? raw : '';
      const frac = /^(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(text);
      const v = frac ? Number(frac[1]) / Number(frac[2]) : Number(text);
      if (!Number.isFinite(v) || v < min)
        throw usageError(this, `--${name}: found ${JSON.stringify(text)}; expected a number ≥ ${min} (or a fraction such as 1/60)`);
      return v;
    };
    const which = oneOf(values.placement, ['flat', 'central', 'both'], '--placement') ?? 'both';
    const base = {
      mns: num('mns', values.mns, 100_000, 1),
      handoverRate: num('rate', values.rate, 1 / 60, 0),
      networks: num('networks', values.networks, 100, 1),
      mrsPerNetwork: num('mrs', values.mrs, 6, 1),
      prefixes: num('prefixes', values.prefixes, 1, 1),
      correspondents: num('correspondents', values.correspondents, 0, 0),
    };
    const predictions = (which === 'both' ? PLACEMENTS : [which]).map((placement) => predictLoad({ placement, ...base }));
    const rate = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(1) : n.toFixed(3));
    const kbps = (b: number) => (b * 8) / 1000;
    emit(io, { predictions }, () =>
      [
        `${base.mns} mobile nodes, ${rate(base.handoverRate)} handovers per node per second, ${base.networks} networks of ${base.mrsPerNetwork} MRs, ${base.prefixes} prefix(es) held, ${base.correspondents} correspondent MR(s)`,
        '',
        renderTable(predictions, [
          { header: 'placement', cell: (p) => p.params.placement },
          { header: 'handovers/s', cell: (p) => rate(p.handoversPerSecond), align: 'right' },
          { header: 'LM msg/s', cell: (p) => rate(p.perLm.messages), align: 'right' },
          { header: 'LM kbit/s', cell: (p) => rate(kbps(p.perLm.bytes)), align: 'right' },
          { header: 'MR msg/s', cell: (p) => rate(p.perMr.messages), align: 'right' },
          { header: 'MR kbit/s', cell: (p) => rate(kbps(p.perMr.bytes)), align: 'right' },
          { header: 'anchor msg/s', cell: (p) => rate(p.perAnchor.messages), align: 'right' },
          { header: 'domain msg/s', cell: (p) => rate(p.total.messages), align: 'right' },
        ]),
        '',
        'per LM, per MR (mean over MRs) and per anchor: messages sent plus received. Model: cli/model/signalling-load.ts; checked in BENCHMARKS.md.',
      ].join('\n'),
    );
    return 0;
  },
};
