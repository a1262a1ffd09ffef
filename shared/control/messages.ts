import * as z from 'zod/mini';
import { agentConfigSchema } from './agent-config.js';
import { flowSpecSchema } from './flow-spec.js';

/**
 * The control channel between the orchestrator and an agent: JSON lines over
 * the agent's Unix socket (/run/dmmlab/<lab>/agents/<node>.sock). On connect
 * the agent sends a `hello` line. A client sends requests with an `id`; the
 * agent answers each with a response carrying the same `id`. After `subscribe`
 * the agent also sends `event` lines to that client. See docs/protocol.md.
 */
export const requestSchema = z.discriminatedUnion('op', [
  z.object({ id: z.number(), op: z.literal('configure'), config: agentConfigSchema }),
  z.object({ id: z.number(), op: z.literal('state') }),
  z.object({ id: z.number(), op: z.literal('ping') }),
  /** Stream events to this client, starting with the `history` most recent ones. */
  z.object({ id: z.number(), op: z.literal('subscribe'), history: z.optional(z.number().check(z.int(), z.minimum(0))) }),
  z.object({ id: z.number(), op: z.literal('flow.start'), flow: flowSpecSchema }),
  z.object({ id: z.number(), op: z.literal('flow.stop'), flowId: z.string() }),
  z.object({ id: z.number(), op: z.literal('flow.list') }),
  /**
   * AR: a link-layer trigger says mobile node `mn` is about to move to access
   * router `to` (predictive handover, RFC 5949): prepare it now.
   */
  z.object({ id: z.number(), op: z.literal('handover.prepare'), mn: z.string(), to: z.string() }),
  /** MN: give up a home address prefix (its sessions are over). */
  z.object({ id: z.number(), op: z.literal('release'), prefix: z.string() }),
  z.object({ id: z.number(), op: z.literal('shutdown') }),
]);
export type AgentRequest = z.infer<typeof requestSchema>;
export type AgentOp = AgentRequest['op'];

/** An event: monotonic time (ms), node, kind and kind-specific fields. */
export const eventSchema = z.looseObject({
  t: z.number(),
  node: z.string(),
  kind: z.string(),
});
export type AgentEvent = z.infer<typeof eventSchema> & Record<string, unknown>;

export const helloSchema = z.object({
  hello: z.object({ node: z.string(), version: z.string(), pid: z.number(), t: z.number(), configured: z.boolean() }),
});

export const responseSchema = z.object({
  id: z.number(),
  ok: z.boolean(),
  result: z.optional(z.unknown()),
  error: z.optional(z.string()),
});
export type AgentResponse = z.infer<typeof responseSchema>;

/** Any line an agent writes. */
export const agentLineSchema = z.union([helloSchema, responseSchema, z.object({ event: eventSchema })]);
