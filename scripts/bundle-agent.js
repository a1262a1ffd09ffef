// Bundles the in-node agent into one file that runs with plain `node` (18 or newer)
// and needs no node_modules inside the node: dist/agent/agent.mjs.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  entryPoints: [`${root}agent/main.ts`],
  outfile: `${root}dist/agent/agent.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Some bundled CommonJS code calls require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __dmmCreateRequire } from 'node:module'; const require = __dmmCreateRequire(import.meta.url);" },
});
