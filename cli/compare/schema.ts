import { z } from 'zod';
import { RUNTIME_NAMES } from '../topology/runtime-names.js';
import { mobilityOverrides, stepSchema } from '../scenario/schema.js';
import { statSchema } from '../report/report-schema.js';

const partName = z.string().regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, 'a part name (lower-case letters, digits and "-")');
const placementName = z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'a placement name of 1 to 16 lower-case letters, digits and "-"');

/**
 * A comparison file: one mobility pattern written once over abstract parts
 * (mobile nodes, correspondents, cells), and the placements to run it on,
 * each a topology with a map from every part to one of its nodes. Pure data
 * checked by zod, like topologies and scenarios (docs/compare.md).
 */
export const compareSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'a comparison name of 1 to 16 lower-case letters, digits and "-"'),
  description: z.string().optional(),
  runtime: z.enum(RUNTIME_NAMES).optional(),
  /** The timeline, as a scenario's steps, naming parts where a scenario names nodes. */
  pattern: z.strictObject({
    /** The parts the steps name, and what each is (a mobile node, a correspondent or a cell). */
    parts: z.record(partName, z.enum(['mobile', 'correspondent', 'cell'])),
    steps: z.array(stepSchema).min(1),
  }),
  placements: z
    .array(
      z.strictObject({
        name: placementName,
        /** Which figure and which functions it places where (shown in the report). */
        description: z.string().optional(),
        /** The topology file, relative to the comparison file. */
        topology: z.string(),
        mobility: mobilityOverrides.optional(),
        /** Every part of the pattern to one node of the topology. */
        map: z.record(partName, z.string()),
      }),
    )
    .min(1),
});
export type CompareFile = z.infer<typeof compareSchema>;
export type Placement = CompareFile['placements'][number];

const stat = statSchema;

/** compare.json: each placement's figures over its runs (schema exported to schema/compare-report.schema.json). */
export const compareReportSchema = z.object({
  version: z.literal(1),
  kind: z.literal('compare'),
  name: z.string(),
  file: z.string(),
  repeat: z.number(),
  runtime: z.string(),
  placements: z.array(
    z.object({
      name: z.string(),
      description: z.string().optional(),
      topology: z.string(),
      /** The generated scenario each run played, and the directory of its runs. */
      scenario: z.string(),
      outDir: z.string(),
      runs: z.number(),
      passed: z.number(),
      /** Interruption of every handover of every flow (ms), over all runs, and each value for the CDF. */
      interruptionMs: stat.optional(),
      interruptions: z.array(z.number()),
      lossPercent: stat.optional(),
      lost: stat.optional(),
      /** Per flow (by the pattern's flow id): settled path hops, shortest-path hops, stretch, one-way latency. */
      flows: z.array(
        z.object({
          id: z.string(),
          settledPath: z.array(z.string()),
          hops: z.number().optional(),
          shortestHops: z.number(),
          pathStretch: z.number().optional(),
          latencyMs: stat.optional(),
          /** Outer IPv6 headers carried per run (40 bytes each) and their share of the flow's packets. */
          tunnelOverheadBytes: stat.optional(),
          tunnelledPercent: stat.optional(),
        }),
      ),
      /** Per handover: messages by type (median over handovers) and bytes. */
      signallingPerHandover: z.record(z.string(), z.number()),
      signallingBytesPerHandover: stat.optional(),
      /** Migrating home agents: the synchronisation of the LM replicas and home agents per handover (medians), part of the signalling above. */
      synchronisationPerHandover: z.object({ messages: z.number(), bytes: z.number() }).optional(),
      /** Packets of the pattern's flows through each MR (median over runs): the load an anchor carries. */
      packetsThroughMr: z.record(z.string(), z.number()),
      /** State held when the pattern ended, by kind (LM bindings, MR entries, tunnels...): summed over nodes, and the most one node held (medians over runs). */
      stateHeld: z.object({ total: z.record(z.string(), z.number()), maxPerNode: z.record(z.string(), z.number()) }).optional(),
    }),
  ),
});
export type CompareReport = z.infer<typeof compareReportSchema>;
export type PlacementReport = CompareReport['placements'][number];

/** The parameters `compare --sweep` runs a comparison over. */
export const SWEEP_PARAMS = ['mns', 'delay', 'wan', 'rate'] as const;
export type SweepParam = (typeof SWEEP_PARAMS)[number];

/** sweep.json: the comparison at each value of one parameter (schema/sweep-report.schema.json). */
export const sweepReportSchema = z.object({
  version: z.literal(1),
  kind: z.literal('sweep'),
  name: z.string(),
  file: z.string(),
  /**
   * mns: copies of each mobile part of the pattern (the pattern's steps for it repeated for each copy);
   * delay: one-way delay in ms on every infrastructure link; rate: handovers per second (the wait after
   * each handover set to 1/rate s).
   */
  param: z.enum(SWEEP_PARAMS),
  values: z.array(z.number()),
  points: z.array(z.object({ value: z.number(), dir: z.string(), report: compareReportSchema })),
  /**
   * Delay sweeps: per placement, the closed-form expectation the interruption is drawn against: one round
   * trip between the access router of the first handover and the node's anchor (slope 2 × hops per ms).
   */
  closedForm: z.array(z.object({ placement: z.string(), anchor: z.string(), from: z.string(), hops: z.number(), slope: z.number() })).optional(),
});
export type SweepReport = z.infer<typeof sweepReportSchema>;
