import { z } from 'zod';
import { mobilityConfigSchema } from './agent-config.js';

/**
 * The control channel of an agent host: one process that serves many nodes of
 * a lab (docs/architecture.md, "Node cost"). JSON lines over a Unix socket,
 * like a node agent's: a `hello` line first, then one response per request
 * with the same id. The host only adds and removes nodes; each node it serves
 * then has its own control socket, spoken to exactly as a node agent's.
 */
export const hostRequestSchema = z.discriminatedUnion('op', [
  /** Serve `node`, whose network namespace is the named namespace `netns`; answers once its control socket listens. */
  z.object({
    id: z.number(),
    op: z.literal('node.add'),
    node: z.string().min(1),
    netns: z.string().regex(/^[A-Za-z0-9_.-]+$/),
    socket: z.string().min(1),
    log: z.string().min(1),
  }),
  /** Stop serving `node` (what its roles run stops, its sockets close). */
  z.object({ id: z.number(), op: z.literal('node.remove'), node: z.string().min(1) }),
  /** Keeps the lab's mobility configuration under `ref`: nodes' `configure` may then name it instead of carrying it. */
  z.object({ id: z.number(), op: z.literal('mobility.put'), ref: z.string().min(1), mobility: mobilityConfigSchema }),
  /** The nodes served and the host's own figures. */
  z.object({ id: z.number(), op: z.literal('status') }),
]);
export type HostRequest = z.infer<typeof hostRequestSchema>;
export type HostOp = HostRequest['op'];

export interface HostStatus {
  pid: number;
  nodes: string[];
  rssBytes: number;
  heapUsedBytes: number;
}

export interface HostResults {
  'node.add': { node: string; pid: number; startupMs: number };
  'node.remove': { node: string; removed: boolean };
  'mobility.put': { ref: string };
  status: HostStatus;
}

export const hostHelloSchema = z.object({ hello: z.object({ host: z.literal(true), lab: z.string(), version: z.string(), pid: z.number() }) });
export type HostHello = z.infer<typeof hostHelloSchema>['hello'];

export const hostResponseSchema = z.object({ id: z.number(), ok: z.boolean(), result: z.unknown().optional(), error: z.string().optional() });
