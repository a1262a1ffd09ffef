import { z } from 'zod';

/**
 * report.json: what one run of a scenario measured and concluded (schema
 * exported to schema/report.schema.json; documented in docs/report.md).
 * Times are milliseconds from the start of the run unless named otherwise.
 */
const check = z.object({ what: z.string(), expected: z.string(), measured: z.string(), ok: z.boolean() });
const partTotals = z.object({ count: z.number(), bytes: z.number(), byName: z.record(z.string(), z.number()) });
/** A packet that left an MR natively with a source address another MR anchors. */
const sourceExample = z.object({ atMs: z.number(), node: z.string(), iface: z.string(), src: z.string(), dst: z.string(), anchor: z.string() });
const expectationResult = z.object({ name: z.string(), at: z.string(), ok: z.boolean(), checks: z.array(check), durationMs: z.number().optional() });

export const flowReportSchema = z.object({
  id: z.string(),
  kind: z.enum(['udp', 'tcp', 'icmp']),
  from: z.string(),
  to: z.string(),
  source: z.string(),
  destination: z.string(),
  sent: z.number(),
  received: z.number(),
  lost: z.number(),
  lossPercent: z.number(),
  duplicates: z.number(),
  reordered: z.number(),
  keepsSource: z.boolean(),
  sources: z.array(z.object({ address: z.string(), packets: z.number() })),
  latencyMs: z.object({ p50: z.number().min(0), p95: z.number().min(0), offsetRemovedMs: z.number().min(0) }).optional(),
  settledPath: z.array(z.string()).optional(),
  settledMobilityPath: z.array(z.string()).optional(),
  shortestPath: z.array(z.string()),
  pathStretch: z.number().optional(),
  paths: z.array(
    z.object({
      nodes: z.array(z.string()),
      packets: z.number(),
      fromMs: z.number(),
      toMs: z.number(),
      tunnels: z.array(z.object({ link: z.string(), outerSrc: z.string(), outerDst: z.string() })),
    }),
  ),
  handovers: z.array(
    z.object({ handover: z.number(), interruptionMs: z.number().optional(), attachToFirstPacketMs: z.number().optional(), lostDuring: z.number() }),
  ),
  plot: z.string().optional(),
  /** One plot per handover of the flow's node, zoomed on it, with the signalling marked. */
  handoverPlots: z.array(z.string()).optional(),
});
export type FlowReport = z.infer<typeof flowReportSchema>;

export const runReportSchema = z.object({
  version: z.literal(1),
  kind: z.literal('run'),
  scenario: z.object({ name: z.string(), file: z.string(), description: z.string().optional(), topology: z.string() }),
  lab: z.object({
    name: z.string(),
    runtime: z.string(),
    tunnelDriver: z.string(),
    routeOptimization: z.string(),
    mnMode: z.string(),
    newPrefixOnHandover: z.boolean(),
  }),
  /** ISO time the run started; durationMs of the whole run (deploy to destroy). */
  startedAt: z.string(),
  durationMs: z.number(),
  ok: z.boolean(),
  steps: z.array(
    z.object({
      index: z.number(),
      path: z.string(),
      text: z.string(),
      kind: z.string(),
      atMs: z.number(),
      durationMs: z.number(),
      ok: z.boolean(),
      error: z.string().optional(),
    }),
  ),
  handovers: z.array(
    z.object({
      index: z.number(),
      mn: z.string(),
      from: z.array(z.string()),
      to: z.string(),
      atMs: z.number(),
      /** From the radio change until the new MR reported the handover complete. */
      completedAfterMs: z.number().optional(),
      signalling: z.record(z.string(), z.number()),
      signallingBytes: z.number(),
      /** Of these, the synchronisation of migrating home agents (LM replicas and home agents): messages and bytes. */
      synchronisation: z.object({ messages: z.number(), bytes: z.number() }).optional(),
      /** The new access router's first message after the radio change, as captured leaving it. */
      firstSignal: z.object({ name: z.string(), to: z.string(), afterMs: z.number() }).optional(),
      /**
       * Every message of the handover's window from the captures: sent (ms after the radio change, leaving
       * its sender), time on the wire to its receiver, and the receiver's next message and how long after.
       */
      signallingSteps: z
        .array(
          z.object({
            msg: z.string(),
            from: z.string(),
            to: z.string(),
            sentAfterMs: z.number().optional(),
            transitMs: z.number().optional(),
            nextSend: z.object({ name: z.string(), to: z.string(), afterMs: z.number() }).optional(),
          }),
        )
        .optional(),
    }),
  ),
  flows: z.array(flowReportSchema),
  signalling: z.object({
    totals: z.record(z.string(), z.object({ count: z.number(), bytes: z.number() })),
    /** Releases (lifetime 0, revocations) and refreshes with their acknowledgements: not part of any handover's figures. */
    releases: partTotals.optional(),
    refreshes: partTotals.optional(),
    undecodable: z.number(),
  }),
  /** Packets that left MRs' uplinks unencapsulated with a home address as source; violations: one another MR anchors. */
  sourceValidation: z.object({
    checked: z.number(),
    violations: z.number(),
    /** Native packets with a foreign source that did not come from an access link (decapsulated or transit): not uplink. */
    forwarded: z.number(),
    examples: z.array(sourceExample),
    /** The first few forwarded ones (absent in reports written before it was kept). */
    forwardedExamples: z.array(sourceExample).optional(),
  }),
  expectations: z.array(expectationResult),
  /**
   * What each node held for mobility when the timeline ended (before any wait for contexts to
   * expire): LM bindings, HAA leases, MR entries by kind, reverse rules, tunnel peers, proxy entries.
   */
  stateHeld: z.record(z.string(), z.record(z.string(), z.number())).optional(),
  /** A lab that spans hosts: where its nodes ran, and how far apart the hosts' capture clocks can be (docs/scale-out.md). */
  hosts: z
    .object({
      list: z.array(z.object({ name: z.string(), address: z.string(), nodes: z.array(z.string()) })),
      vxlanLinks: z.number(),
      /** Per pair of hosts: the offset (b's clock minus a's) lies in [minMs, maxMs], from packets seen on both underlays. */
      clock: z.array(
        z.object({
          a: z.string(),
          b: z.string(),
          minMs: z.number().optional(),
          maxMs: z.number().optional(),
          packets: z.object({ ab: z.number(), ba: z.number() }),
        }),
      ),
    })
    .optional(),
  artifacts: z.object({
    pcapng: z.string().optional(),
    captures: z.array(z.object({ node: z.string(), iface: z.string(), file: z.string() })),
    events: z.string(),
    logs: z.array(z.string()),
    markdown: z.string(),
    junit: z.string().optional(),
  }),
  warnings: z.array(z.string()),
});
export type RunReport = z.infer<typeof runReportSchema>;

export const statSchema = z.object({ n: z.number(), min: z.number(), median: z.number(), p95: z.number(), max: z.number() });
export type Stat = z.infer<typeof statSchema>;

/** summary.json of `dmmlab run --repeat N`. */
export const repeatReportSchema = z.object({
  version: z.literal(1),
  kind: z.literal('repeat'),
  scenario: z.object({ name: z.string(), file: z.string() }),
  runs: z.array(z.object({ index: z.number(), dir: z.string(), ok: z.boolean(), durationMs: z.number(), failed: z.array(z.string()) })),
  /** Per flow: distributions over the runs (interruption is each run's worst handover). */
  flows: z.record(
    z.string(),
    z.object({ interruptionMs: statSchema.optional(), lost: statSchema, lossPercent: statSchema, attachToFirstPacketMs: statSchema.optional() }),
  ),
  ok: z.boolean(),
});
export type RepeatReport = z.infer<typeof repeatReportSchema>;
