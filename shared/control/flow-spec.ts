import * as z from 'zod/mini';

/**
 * A traffic flow the agents generate themselves (no iperf): UDP at a packet
 * rate with sequence numbers and send timestamps, a long-lived TCP stream, or
 * ICMP echo. The sender's socket is bound to its source address (given, or
 * the one the kernel picks when the flow starts) so a session keeps its home
 * address across handovers.
 */
export const flowSpecSchema = z.object({
  /** Flow name, unique in the run (e.g. "f1"). */
  id: z.string(),
  kind: z.enum(['udp', 'tcp', 'icmp']),
  /** This agent's part. */
  role: z.enum(['sender', 'receiver']),
  /** Sender: destination address; receiver: the address to listen on (default any). */
  address: z.optional(z.string()),
  port: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(65535))),
  /** Sender: source address to bind (pins a home address); default: chosen by the kernel at start. */
  source: z.optional(z.string()),
  /** UDP/ICMP: packets per second. TCP: bytes per second to write (0 = as fast as the window allows). */
  rate: z.optional(z.number().check(z.minimum(0))),
  /** Payload bytes per packet (UDP/ICMP) or per write (TCP). */
  size: z.optional(z.number().check(z.int(), z.minimum(32), z.maximum(65000))),
  /** Stop after this many milliseconds (default: until flow.stop). */
  durationMs: z.optional(z.number().check(z.positive())),
});
export type FlowSpec = z.infer<typeof flowSpecSchema>;
