import { afterAll, describe, expect, it } from 'vitest';
import { dmmlab } from '../../support/cli.js';
import { uniqueLab } from '../../support/lab-leftovers.js';
import { runModelLab } from '../../support/model-lab.js';
import { testRuntimes } from '../../support/runtimes.js';

/**
 * The signalling-load model (cli/model/signalling-load.ts) against what the
 * agents count on a real lab: every message at the LMs, at the MRs and at the
 * anchors is predicted exactly; bytes within 15 % (the model uses mean sizes).
 * bench/model.ts does the same on labs up to 1,000 nodes.
 */
const runtimes = await testRuntimes();
afterAll(async () => {
  await dmmlab(['cleanup']);
});

describe.runIf(runtimes.includes('netns'))('the signalling-load model against the agents’ counts', () => {
  it.each(['flat', 'central'] as const)('%s: messages at every LM, MR and anchor as predicted', async (placement) => {
    const r = await runModelLab({ name: uniqueLab('model'), size: 31, placement });
    expect(r.mns).toBe(6);
    for (const k of ['lm', 'mrs', 'anchor'] as const) {
      expect(r.measured[k].messages, `${k} messages`).toBe(r.predicted[k].messages);
      expect(Math.abs(r.measured[k].bytes - r.predicted[k].bytes) / r.predicted[k].bytes, `${k} bytes`).toBeLessThan(0.15);
    }
    expect(r.predicted.anchor.messages).toBeGreaterThan(0);
  });
});

describe('dmmlab model and dmmlab export on the command line', () => {
  it('model prints a table, --json the predictions; bad numbers are refused naming the option', async () => {
    const text = await dmmlab(['model', '--mns', '1000', '--rate', '1/10']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/PLACEMENT\s+HANDOVERS\/S\s+LM MSG\/S/);
    const json = await dmmlab(['model', '--placement', 'central', '--mns', '600', '--rate', '0.5', '--networks', '3', '--json']);
    const out = JSON.parse(json.stdout) as { predictions: { handoversPerSecond: number; perLm: { messages: number } }[] };
    expect(out.predictions).toHaveLength(1);
    expect(out.predictions[0]!.handoversPerSecond).toBe(300);
    expect(out.predictions[0]!.perLm.messages).toBeCloseTo(600);
    const bad = await dmmlab(['model', '--rate', 'fast']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--rate: found "fast"/);
  });

  it('export needs --format kubernetes and a valid namespace', async () => {
    expect((await dmmlab(['export', 'topologies/fig1.yaml'])).exitCode).toBe(2);
    const ns = await dmmlab(['export', 'topologies/fig1.yaml', '--format', 'kubernetes', '--namespace', 'Bad_NS']);
    expect(ns.exitCode).toBe(2);
    expect(ns.stderr).toMatch(/--namespace: found "Bad_NS"/);
  });
});
