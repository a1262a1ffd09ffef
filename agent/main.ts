import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { agentConfigSchema } from '../shared/control/agent-config.js';
import { AgentHost } from './host.js';
import { localIo } from './io/local-io.js';
import { AGENT_VERSION, NodeAgent } from './node-agent.js';

// The dmmlab agent. Two ways to run it (docs/architecture.md, "Node cost"):
//   inside one node:   agent.mjs --lab LAB --node NODE --socket /run/dmmlab/LAB/agents/NODE.sock --log /run/dmmlab/LAB/logs/NODE.log
//   as a lab's host:   agent.mjs --lab LAB --host /run/dmmlab/LAB/agents/host.sock
// A node agent listens on its socket (JSON lines, docs/protocol.md) and waits for `configure`;
// a host waits for `node.add` (shared/control/host-messages.ts) and then serves each node the same way.
// With --config FILE a node agent configures itself from that file (a lab exported to Kubernetes,
// where no orchestrator sends `configure`).
const { values } = parseArgs({
  options: {
    lab: { type: 'string' },
    node: { type: 'string' },
    socket: { type: 'string' },
    log: { type: 'string' },
    host: { type: 'string' },
    config: { type: 'string' },
    version: { type: 'boolean' },
  },
});
if (values.version) {
  process.stdout.write(`dmmlab-agent ${AGENT_VERSION} (node ${process.version})\n`);
  process.exit(0);
}
const errorText = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));

if (values.lab && values.host) {
  // native/ifname-shim.c is loaded by now; the programs the host starts in nodes need none of it.
  delete process.env.LD_PRELOAD;
  const host = new AgentHost({ lab: values.lab, socket: values.host, flowThreadScript: flowThreadScript() });
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    // Stopping must not hang the process: whatever is not stopped within 3 s dies with it.
    setTimeout(() => process.exit(code), 3000).unref();
    void host.shutdown().finally(() => process.exit(code));
  };
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  process.on('unhandledRejection', (e) => process.stderr.write(`agent host: unhandled rejection: ${errorText(e)}\n`));
  process.on('uncaughtException', (e) => {
    process.stderr.write(`agent host: ${errorText(e)}\n`);
    host.crashed(errorText(e));
    exit(70);
  });
  await host.listen();
} else if (values.lab && values.node && values.socket) {
  const agent = new NodeAgent({ lab: values.lab, node: values.node, socket: values.socket, io: localIo(), ...(values.log ? { log: values.log } : {}) });
  const exit = (code: number) => void agent.stop(code).finally(() => process.exit(code));
  agent.onShutdown = exit;
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  process.on('unhandledRejection', (e) => agent.events.log('error', `unhandled rejection: ${errorText(e)}`));
  process.on('uncaughtException', (e) => {
    agent.events.emit('agent.crashed', { message: errorText(e) });
    process.stderr.write(`dmmlab agent ${values.node}: ${errorText(e)}\n`);
    exit(70);
  });
  await agent.start();
  if (values.config) await configureFromFile(agent, values.config, exit);
} else {
  process.stderr.write('usage: agent.mjs --lab LAB --node NODE --socket PATH [--log FILE] [--config FILE]\n       agent.mjs --lab LAB --host PATH\n');
  process.exit(2);
}

/** The flow thread's bundle next to this one (scripts/bundle-agent.js builds both); none when running from source. */
function flowThreadScript(): URL | undefined {
  const url = new URL('./flow-thread.mjs', import.meta.url);
  return existsSync(url) ? url : undefined;
}

/** Reads and checks an agent configuration file, then configures the agent with it; a bad file ends the agent (exit 2) naming what is wrong. */
async function configureFromFile(agent: NodeAgent, file: string, exit: (code: number) => void): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`dmmlab agent: ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return exit(2);
  }
  const parsed = agentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    process.stderr.write(`dmmlab agent: ${file}: not an agent configuration: ${why}\n`);
    return exit(2);
  }
  if (parsed.data.node !== values.node) {
    process.stderr.write(`dmmlab agent: ${file}: configuration for node ${parsed.data.node}, this agent is ${values.node}\n`);
    return exit(2);
  }
  try {
    await agent.configureWith(parsed.data);
  } catch (e) {
    process.stderr.write(`dmmlab agent: configuring from ${file} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    exit(1);
  }
}
