import { z } from 'zod';
import { duration, linkParams, lossPercent, mobilitySchema, rate } from '../topology/schema.js';
import { RUNTIME_NAMES } from '../topology/runtime-names.js';

/**
 * Scenario files (scenarios/*.yaml): a topology, a timeline of steps, and the
 * expectations a run must meet. Pure data checked by zod, with the same error
 * standard as topologies (file:line:column, field path, found vs expected).
 * A step is a mapping with exactly one key, the step's kind.
 */

const nodeName = z.string().regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, 'a node name');
const flowId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'a flow name (letters, digits, - and _)');

/** "<= 50ms", "== 0", "< 1%", ">= 3": a comparison against a number with an optional unit. */
export const comparison = z
  .union([z.number(), z.string().regex(/^\s*(<=|>=|==|!=|<|>)?\s*-?\d+(\.\d+)?\s*(us|ms|s|%)?\s*$/, 'a comparison such as "<= 50ms", "== 0" or "< 1%"')])
  .describe('a number (means ==) or a comparison such as "<= 50ms"');

const flowStep = z.strictObject({
  id: flowId,
  kind: z.enum(['udp', 'tcp', 'icmp']).default('udp'),
  from: nodeName,
  to: nodeName,
  /**
   * Destination address: default the receiver's preferred address when the
   * flow starts; `home:<mr>` means the receiver's home address anchored at that MR.
   */
  address: z.string().optional(),
  /** Pin the sender's source address (default: what the kernel picks at start, then kept). */
  source: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** UDP/ICMP packets per second; TCP bytes per second (0 = as fast as possible). */
  rate: z.number().nonnegative().optional(),
  size: z.number().int().min(32).max(65000).optional(),
  duration: duration.optional(),
});

const handoverStep = z.strictObject({
  mn: nodeName,
  to: nodeName,
  /** break-before-make (default) or make-before-break. */
  mode: z.enum(['break', 'make']).default('break'),
  /** Break before make: time with no radio up. */
  gap: duration.optional(),
  /** Make before break: time with both radios up. */
  overlap: duration.optional(),
  /** Predictive (RFC 5949): the current access router hears of the move first and prepares the new one. */
  predictive: z.boolean().default(false),
  /** Wait until the new MR reports the handover complete (default true)... */
  wait: z.boolean().default(true),
  /** ...for at most this long before the step fails (default 5s). */
  timeout: duration.optional(),
});

const linkStep = z.strictObject({
  between: z.tuple([nodeName, nodeName]),
  state: z.enum(['up', 'down']).optional(),
  ...linkParams.shape,
});

/** One step of a scenario's timeline (exactly one of these keys). */
export interface Step {
  wait?: number | string;
  flow?: z.infer<typeof flowStep>;
  stop?: string;
  attach?: { mn: string; ar: string; wait: boolean; timeout?: number | string | undefined };
  detach?: { mn: string; ar?: string | undefined };
  handover?: z.infer<typeof handoverStep>;
  link?: z.infer<typeof linkStep>;
  mark?: string;
  expect?: Expectation[];
  repeat?: { times: number; steps: Step[] };
}

export const stepSchema: z.ZodType<Step, unknown> = z
  .strictObject({
    wait: duration.optional(),
    /** Starts a flow. */
    flow: flowStep.optional(),
    /** Stops a flow by id. */
    stop: flowId.optional(),
    attach: z.strictObject({ mn: nodeName, ar: nodeName, wait: z.boolean().default(true), timeout: duration.optional() }).optional(),
    detach: z.strictObject({ mn: nodeName, ar: nodeName.optional() }).optional(),
    handover: handoverStep.optional(),
    link: linkStep.optional(),
    /** A free-text marker shown in the report and in the capture. */
    mark: z.string().optional(),
    /** Checks expectations at this point of the timeline (state checks only; traffic is checked at the end). */
    expect: z.lazy(() => expectationList).optional(),
    /** Repeats a block of steps (e.g. a ping-pong handover ten times). */
    repeat: z.lazy(() => z.strictObject({ times: z.number().int().min(1).max(1000), steps: z.array(stepSchema).min(1) })).optional(),
  })
  .refine((s) => Object.values(s).filter((v) => v !== undefined).length === 1, {
    message: 'exactly one step kind per step (wait, flow, stop, attach, detach, handover, link, mark, expect or repeat)',
  });

/** What a run must show; each field is checked against what was measured, and a failure says which and by how much. */
export const expectationSchema = z.strictObject({
  /** Name shown in reports (default: generated from the fields). */
  name: z.string().optional(),
  /** Flow expectations (measured from the capture). */
  flow: flowId.optional(),
  sent: comparison.optional(),
  received: comparison.optional(),
  lost: comparison.optional(),
  lossPercent: comparison.optional(),
  duplicates: comparison.optional(),
  reordered: comparison.optional(),
  /** Per handover of the flow's mobile node: last packet through the previous MR to first through the new one (worst handover). */
  interruption: comparison.optional(),
  /** Time from attachment to the first packet delivered on the new link (worst handover). */
  attachToFirstPacket: comparison.optional(),
  /** Nodes the flow's packets crossed, in order, for the last packets of the run (settled path). */
  path: z.array(nodeName).optional(),
  /** Path length over shortest path length (settled path). */
  pathStretch: comparison.optional(),
  /** The inner source address stays the one the flow started with (a session keeps its home address). */
  keepsSource: z.boolean().optional(),
  /** The flow's inner source address is in this node's network's pool, e.g. the new home address for new flows. */
  sourceAnchoredAt: nodeName.optional(),
  /** Signalling expectations: messages of `message` (PBU, PBA, BU, BA, HI, HAck, LRI, LRA, BRI, BRA, LMQ, LMR; omitted: any) in the run or per handover. */
  signalling: z
    .strictObject({
      message: z.enum(['PBU', 'PBA', 'BU', 'BA', 'HI', 'HAck', 'LRI', 'LRA', 'BRI', 'BRA', 'LMQ', 'LMR']).optional(),
      count: comparison.optional(),
      from: nodeName.optional(),
      to: nodeName.optional(),
      /** Only messages during the n-th handover (0-based) of the run. */
      handover: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /**
   * Source-address validation (BCP 38), from the capture: no packet leaves an MR towards the network
   * unencapsulated with a source address from a home prefix another MR anchors.
   */
  sourceValidation: z.literal(true).optional(),
  /** State checks on the live lab: no stale tunnel, route, rule, binding or handover context anywhere. */
  clean: z.boolean().optional(),
  /** State checks: a mobile node is attached to this access router. */
  attached: z.strictObject({ mn: nodeName, ar: nodeName }).optional(),
  /** State checks: the LM binding of the MN's prefix anchored at `anchor` points to `at`. */
  binding: z.strictObject({ mn: nodeName, anchor: nodeName, at: nodeName }).optional(),
  /** State checks: the LM proxy `proxy` tracks the MN at MR `at` (hierarchical LM entry; the home LM's binding names the proxy). */
  proxied: z.strictObject({ mn: nodeName, proxy: nodeName, at: nodeName }).optional(),
  /** State checks: nothing in the lab (MR routes and rules, LM bindings, HAA leases, the node's addresses) holds the MN's prefix anchored at `anchor` any more. */
  released: z.strictObject({ mn: nodeName, anchor: nodeName }).optional(),
  /**
   * State checks, Mobile IPv6: the home agent `ha` tunnels the node's home prefix to the node's care-of
   * address on the link of access router `at`; or, `at` a home-network router, the node is home (no binding).
   */
  homeBinding: z.strictObject({ mn: nodeName, ha: nodeName, at: nodeName }).optional(),
});
export type Expectation = z.infer<typeof expectationSchema>;

/**
 * The kinds of expectation and where each is checked: on the capture after
 * the run, or on the live lab where it stands. An expectation holds one or
 * more kinds, all of the same place; each kind's fields belong to it
 * (cli/verify/kinds/ has one file per kind).
 */
export const EXPECTATION_KINDS = {
  flow: {
    on: 'capture',
    fields: [
      'flow',
      'sent',
      'received',
      'lost',
      'lossPercent',
      'duplicates',
      'reordered',
      'interruption',
      'attachToFirstPacket',
      'path',
      'pathStretch',
      'keepsSource',
      'sourceAnchoredAt',
    ],
  },
  signalling: { on: 'capture', fields: ['signalling'] },
  sourceValidation: { on: 'capture', fields: ['sourceValidation'] },
  clean: { on: 'lab', fields: ['clean'] },
  attached: { on: 'lab', fields: ['attached'] },
  binding: { on: 'lab', fields: ['binding'] },
  released: { on: 'lab', fields: ['released'] },
  proxied: { on: 'lab', fields: ['proxied'] },
  homeBinding: { on: 'lab', fields: ['homeBinding'] },
} as const satisfies Record<string, { on: 'capture' | 'lab'; fields: readonly (keyof Expectation)[] }>;
export type ExpectationKind = keyof typeof EXPECTATION_KINDS;

/** The kinds an expectation holds (a kind is there when one of its fields is). */
export function kindsOf(e: Expectation): ExpectationKind[] {
  return (Object.keys(EXPECTATION_KINDS) as ExpectationKind[]).filter((k) => EXPECTATION_KINDS[k].fields.some((f) => e[f] !== undefined));
}
const expectationList = z.array(expectationSchema).min(1);

type MobilityShape = typeof mobilitySchema.shape;
/**
 * The topology's mobility settings, each optional and without its default, so
 * that a scenario overrides only the settings it names and the topology keeps
 * the rest (`mobilitySchema.partial()` would fill in every default).
 */
export const mobilityOverrides = z.strictObject(
  Object.fromEntries(Object.entries(mobilitySchema.shape).map(([k, v]) => [k, v.unwrap().optional()])) as {
    [K in keyof MobilityShape]: z.ZodOptional<ReturnType<MobilityShape[K]['unwrap']>>;
  },
);

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, 'a scenario name of 1 to 24 lower-case letters, digits and "-"'),
  description: z.string().optional(),
  /** The topology file, relative to the scenario file. */
  topology: z.string(),
  runtime: z.enum(RUNTIME_NAMES).optional(),
  /** Overrides of the topology's mobility settings (e.g. the route optimisation mode under test). */
  mobility: mobilityOverrides.optional(),
  /** What to capture: false for nothing; default every interface of every node. */
  capture: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Only these nodes, or only these node:iface. */
        nodes: z.array(nodeName).optional(),
        interfaces: z.array(z.string().regex(/^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$/, 'node:iface')).optional(),
        snaplen: z.number().int().min(128).max(262144).optional(),
      }),
    ])
    .optional(),
  steps: z.array(stepSchema).min(1),
  /** Checked at the end of the run, on the capture and the lab's state. */
  expect: z.array(expectationSchema).default([]),
});
export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** Re-exported for the link step (delay, loss, rate). */
export { duration, lossPercent, rate };
