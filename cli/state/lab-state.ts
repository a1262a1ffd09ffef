import { z } from 'zod';
import { RUNTIME_NAMES } from '../topology/runtime-names.js';
import { TUNNEL_DRIVERS } from '../../shared/control/tunnel-drivers.js';

/** A resource a lab owns, recorded before it is created so cleanup can find it. */
export const resourceSchema = z.discriminatedUnion('kind', [
  /** A named network namespace (`ip netns`): the netns runtime's nodes, and the Docker runtime's attached names. */
  z.object({ kind: z.literal('netns'), name: z.string(), node: z.string() }),
  /** A Docker container, found by its labels as well. */
  z.object({ kind: z.literal('container'), name: z.string(), node: z.string(), id: z.string().optional(), lab: z.string().optional() }),
  /** A process started for the lab (agent, capture); `startTime` guards against PID reuse. */
  z.object({ kind: z.literal('process'), pid: z.number().int(), node: z.string(), what: z.string(), startTime: z.string().optional() }),
  /** A file or directory outside the lab directory. */
  z.object({ kind: z.literal('path'), path: z.string() }),
]);
export type Resource = z.infer<typeof resourceSchema>;

export const labStatus = z.enum(['deploying', 'running', 'destroying', 'failed']);
export type LabStatus = z.infer<typeof labStatus>;

/** The journal of one lab: /run/dmmlab/<lab>/state.json. */
export const labStateSchema = z.object({
  version: z.literal(1),
  lab: z.string(),
  runtime: z.enum(RUNTIME_NAMES),
  status: labStatus,
  /** The topology file the lab was deployed from. */
  source: z.string(),
  createdAt: z.string(),
  /** PID of the command that is deploying or destroying the lab (to tell a live deploy from a dead one). */
  ownerPid: z.number().int().optional(),
  /** A lab owned by a run (`dmmlab run`): cleanup removes it once ownerPid is gone. */
  ephemeral: z.boolean().optional(),
  /** Tunnel driver the agents use (ip6tnl or seg6), decided at deploy. */
  tunnelDriver: z.enum(TUNNEL_DRIVERS).optional(),
  /** The lab's signalling key (HMAC-SHA256) and the SPI naming it; the file is readable by root only. */
  signalling: z.object({ key: z.string(), spi: z.number().int() }).optional(),
  /** Milliseconds to add to the shared monotonic clock to get Unix time (sampled at deploy). */
  monoToWallMs: z.number().optional(),
  /** Docker image the nodes run (Docker runtime). */
  image: z.string().optional(),
  /** The resolved plan (opaque here; see cli/plan/types.ts). */
  plan: z.unknown(),
  resources: z.array(resourceSchema),
});
export type LabState = z.infer<typeof labStateSchema>;
