// The agent host's flow thread (flow-thread.ts starts it as a worker): bundled on its own as
// dist/agent/flow-thread.mjs by scripts/bundle-agent.js, so the thread loads only the flows' code.
import { runFlowThread } from './flow-thread-worker.js';

runFlowThread();
