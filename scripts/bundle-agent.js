// Bundles the in-node agent into one file that runs with plain `node` (18 or newer)
// and needs no node_modules inside the node: dist/agent/agent.mjs (and the agent host's
// flow thread, dist/agent/flow-thread.mjs, which only the netns runtime's host uses).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Some bundled CommonJS code calls require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __dmmCreateRequire } from 'node:module'; const require = __dmmCreateRequire(import.meta.url);" },
};
await build({ ...common, entryPoints: [`${root}agent/main.ts`], outfile: `${root}dist/agent/agent.mjs` });
// The agent host's flow thread (agent/flows/flow-thread.ts): a worker with only the flows' code.
await build({ ...common, entryPoints: [`${root}agent/flows/flow-thread-main.ts`], outfile: `${root}dist/agent/flow-thread.mjs` });
