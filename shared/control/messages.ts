import * as z from 'zod/mini';
import { wireConfigSchema } from './agent-config.js';
import { isEventKind, type AgentEvent } from './events.js';
import type { FlowReport, FlowStarted } from './flow-report.js';
import { flowSpecSchema } from './flow-spec.js';
import type { RoleName } from './roles.js';
import type { AgentState } from './role-state.js';

/**
 * The control channel between the orchestrator and an agent: JSON lines over
 * the agent's Unix socket (/run/dmmlab/<lab>/agents/<node>.sock). On connect
 * the agent sends a `hello` line. A client sends requests with an `id`; the
 * agent answers each with a response carrying the same `id`. After `subscribe`
 * the agent also sends `event` lines to that client. See docs/protocol.md.
 */
export const requestSchema = z.discriminatedUnion('op', [
  z.object({ id: z.number(), op: z.literal('configure'), config: wireConfigSchema }),
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
/** A request of one operation. */
export type RequestOf<O extends AgentOp> = Extract<AgentRequest, { op: O }>;
/** A request's fields without its id and op (what a client passes). */
export type RequestFields<O extends AgentOp> = Omit<RequestOf<O>, 'id' | 'op'>;

/** Predictive handover, previous access router: whether the new one got ready. */
export interface PrepareResult {
  prepared: boolean;
  to?: string;
  prefixes?: string[];
  reason?: string;
}

/** What each operation answers. */
export interface OpResults {
  configure: { roles: RoleName[] };
  state: AgentState;
  ping: { t: number };
  subscribe: undefined;
  'flow.start': FlowStarted;
  'flow.stop': FlowReport;
  'flow.list': FlowReport[];
  'handover.prepare': PrepareResult;
  release: { prefix: string; via?: string };
  shutdown: { bye: true };
}

/**
 * Operations a role handles (the rest the agent itself does): the role that
 * declares the handler answers it, and a node without that role refuses it.
 */
export const ROLE_OPS = { 'handover.prepare': 'ar', release: 'mn' } as const satisfies Partial<Record<AgentOp, RoleName>>;
export type RoleOp = keyof typeof ROLE_OPS;

/** How a role declares the operations it handles. */
export type RoleOperations = { [O in RoleOp]?: (req: RequestOf<O>) => Promise<OpResults[O]> };

export const helloSchema = z.object({
  hello: z.object({ node: z.string(), version: z.string(), pid: z.number(), t: z.number(), configured: z.boolean() }),
});
export type Hello = z.infer<typeof helloSchema>['hello'];

export const responseSchema = z.object({
  id: z.number(),
  ok: z.boolean(),
  result: z.optional(z.unknown()),
  error: z.optional(z.string()),
});
export type AgentResponse = z.infer<typeof responseSchema>;

/**
 * An event line: the envelope (time, node, a known kind) is checked; the
 * kind's fields are the agent's, of the same version (its hello says which).
 */
const eventSchema = z.looseObject({ t: z.number(), node: z.string(), kind: z.string().check(z.refine(isEventKind, 'a known event kind')) });

/** Any line an agent writes. */
export const agentLineSchema = z.union([helloSchema, responseSchema, z.object({ event: eventSchema })]);

/** Parses one line an agent wrote: a hello, a response or an event (undefined for anything else). */
export function parseAgentLine(value: unknown): { hello: Hello } | AgentResponse | { event: AgentEvent } | undefined {
  const parsed = agentLineSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const line = parsed.data;
  return 'event' in line ? { event: line.event as AgentEvent } : line;
}

export type { AgentEvent };
