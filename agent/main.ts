import { parseArgs } from 'node:util';
import { Agent, AGENT_VERSION } from './agent.js';

// The dmmlab node agent. Started by the orchestrator inside a node:
//   node agent.mjs --lab LAB --node NODE --socket /run/dmmlab/LAB/agents/NODE.sock --log /run/dmmlab/LAB/logs/NODE.log
// It listens on the socket (JSON lines, docs/protocol.md) and waits for `configure`.
const { values } = parseArgs({
  options: {
    lab: { type: 'string' },
    node: { type: 'string' },
    socket: { type: 'string' },
    log: { type: 'string' },
    version: { type: 'boolean' },
  },
});
if (values.version) {
  process.stdout.write(`dmmlab-agent ${AGENT_VERSION} (node ${process.version})\n`);
  process.exit(0);
}
if (!values.lab || !values.node || !values.socket) {
  process.stderr.write('usage: agent.mjs --lab LAB --node NODE --socket PATH [--log FILE]\n');
  process.exit(2);
}
const agent = new Agent({ lab: values.lab, node: values.node, socket: values.socket, ...(values.log ? { log: values.log } : {}) });
process.on('SIGTERM', () => void agent.shutdown(0));
process.on('SIGINT', () => void agent.shutdown(0));
process.on('unhandledRejection', (e) => agent.events.log('error', `unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
process.on('uncaughtException', (e) => {
  agent.events.emit('agent.crashed', { message: e.stack ?? e.message });
  process.stderr.write(`dmmlab agent ${values.node}: ${e.stack ?? e.message}\n`);
  void agent.shutdown(70);
});
await agent.start();
