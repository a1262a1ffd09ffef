import { AgentClient } from '../../cli/agents/agent-client.js';
import { LabSession } from '../../cli/lab/session.js';
import { agentSocket } from '../../cli/state/paths.js';

/**
 * A connection to the agent of a node of a running lab. A node whose roles
 * need no agent at deploy (a correspondent node, a plain router) gets its
 * agent started first, as a flow in a scenario would start it.
 */
export async function agentOf(lab: string, node: string): Promise<AgentClient> {
  const session = await LabSession.open(lab);
  try {
    await session.ensureAgent(node);
  } finally {
    session.close();
  }
  return AgentClient.connect(node, agentSocket(lab, node));
}
