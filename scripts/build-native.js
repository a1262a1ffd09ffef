// Compiles the two small C files under native/ that let one agent process serve many nodes of a lab
// (see docs/architecture.md, "Node cost"), with the machine's C compiler and the running Node's own
// headers; nothing is downloaded:
//   native/netns-helper.c -> dist/agent/netns-helper.node  (N-API: sockets and programs inside a node's namespace)
//   native/ifname-shim.c  -> dist/agent/ifname-shim.so     (preloaded into the agent host: link-local senders)
// Without a compiler or headers the build says so and goes on: agents then run one process per node.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.join(root, 'dist/agent');
const include = [path.join(path.dirname(path.dirname(process.execPath)), 'include/node'), '/usr/include/node', '/usr/local/include/node'].find((d) =>
  existsSync(path.join(d, 'node_api.h')),
);
const cc = process.env.CC ?? 'cc';
if (!include) {
  process.stderr.write('build-native: no node_api.h found (Node headers): agents will run one process per node\n');
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
const builds = [
  { src: 'netns-helper.c', out: 'netns-helper.node', cflags: [`-I${include}`, '-DNAPI_VERSION=8'], libs: [] },
  { src: 'ifname-shim.c', out: 'ifname-shim.so', cflags: [], libs: ['-ldl'] },
];
for (const b of builds) {
  const args = ['-O2', '-Wall', '-fPIC', '-shared', ...b.cflags, path.join(root, 'native', b.src), '-o', path.join(outDir, b.out), ...b.libs];
  const r = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error || r.status !== 0) {
    process.stderr.write(`build-native: ${cc} ${b.src} failed (${r.error?.message ?? `exit ${r.status}`}): agents will run one process per node\n`);
    process.exit(0);
  }
}
