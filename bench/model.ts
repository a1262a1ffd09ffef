/**
 * The signalling-load model (cli/model/signalling-load.ts) checked against
 * what the agents count: generated labs of growing size (to 1,000 nodes) on
 * the netns runtime, every mobile node moving twice, for flat DMM and central
 * anchoring; then the model's prediction for 100,000 mobile nodes, which no
 * single machine can run. Writes the `model` section of BENCHMARKS.md.
 *
 *   npx tsx bench/model.ts [--sizes 31,101,301,1001]
 */
import { parseArgs } from 'node:util';
import { predictLoad, PLACEMENTS, type Load } from '../cli/model/signalling-load.js';
import { runModelLab } from '../test/support/model-lab.js';
import { machineLine, mdTable, writeSection } from './lib/benchmarks-md.js';

const { values } = parseArgs({ options: { sizes: { type: 'string' } } });
const sizes = (values.sizes ?? '31,101,301,1001').split(',').map(Number);

const rows: string[][] = [];
let worstMessages = 0;
let worstBytes = 0;
const cell = (p: Load, m: Load) => {
  const bytesErr = p.bytes ? (m.bytes - p.bytes) / p.bytes : 0;
  worstMessages = Math.max(worstMessages, Math.abs(m.messages - p.messages));
  worstBytes = Math.max(worstBytes, Math.abs(bytesErr));
  return `${p.messages} / ${m.messages} (${(p.bytes / 1000).toFixed(1)} / ${(m.bytes / 1000).toFixed(1)} kB)`;
};
for (const size of sizes) {
  for (const placement of PLACEMENTS) {
    const t = performance.now();
    const r = await runModelLab({ name: `model${size}${placement[0]}`, size, placement, batch: 20 });
    process.stderr.write(`${r.nodes} nodes, ${placement}: ${r.handovers} handovers in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    rows.push([
      String(r.nodes),
      placement,
      String(r.mns),
      String(r.handovers),
      cell(r.predicted.lm, r.measured.lm),
      cell(r.predicted.mrs, r.measured.mrs),
      cell(r.predicted.anchor, r.measured.anchor),
      String(r.measured.retransmitted),
    ]);
  }
}

const big = PLACEMENTS.map((placement) =>
  predictLoad({ placement, mns: 100_000, handoverRate: 1 / 60, networks: 100, mrsPerNetwork: 6, prefixes: 1, correspondents: 0 }),
);
const r1 = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const body = [
  '## Signalling load: the model against the agents’ counts (`bench/model`)',
  '',
  await machineLine('npx tsx bench/model.ts'),
  'Labs from test/support/generate-topology.ts (networks of 10 nodes: a gateway, an LM+HAA, 6 MRs, 2 mobile nodes) on the netns runtime; every mobile node moves twice (to its second cell, then its third; 20 nodes at a time, each batch counted from just before its moves until the agents’ counters hold still (two snapshots alike), the next batch 7 s later so that the idle prefixes’ releases fall between windows), first holding one home prefix, then two. "flat" is flat DMM (each MR anchors what it allocates); "central" gives each network a central anchor (its first MR, PMIPv6\'s LMA). Each cell: messages predicted by cli/model/signalling-load.ts / counted by the agents (sent plus received, `signalling.byName`), and bytes predicted (mean message sizes) / counted. MRs counts every MR; anchor is the PBU/PBA part at MRs.',
  '',
  mdTable(['nodes', 'placement', 'mobile nodes', 'handovers', 'every LM', 'every MR', 'anchors', 'retransmitted requests'], rows),
  '',
  `Largest difference in messages: ${worstMessages}; in bytes: ${(worstBytes * 100).toFixed(1)} % (the model uses mean sizes; PBAs and HAcks grow with the prefixes they carry). The model counts each exchange once: a request the agents sent again because its answer came late (last column; on a loaded agent host serving every node of a large lab) adds messages the model does not predict.`,
  '',
  'The model for 100,000 mobile nodes (one handover per node per minute, 100 networks of 6 MRs, one prefix held; `dmmlab model`):',
  '',
  mdTable(
    ['placement', 'handovers/s', 'per LM (msg/s)', 'per LM (kbit/s)', 'per MR (msg/s)', 'per anchor (msg/s)', 'domain (msg/s)'],
    big.map((p) => [
      p.params.placement,
      r1(p.handoversPerSecond),
      r1(p.perLm.messages),
      r1((p.perLm.bytes * 8) / 1000),
      r1(p.perMr.messages),
      r1(p.perAnchor.messages),
      r1(p.total.messages),
    ]),
  ),
].join('\n');
await writeSection('model', body);
process.stdout.write(body + '\n');
