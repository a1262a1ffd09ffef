import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT } from './cli.js';

async function newest(dir: string): Promise<number> {
  let t = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? await newest(p) : (await stat(p)).mtimeMs);
  }
  return t;
}

let done: Promise<void> | undefined;

/**
 * Builds dist/ (CLI, agent bundle, schemas) when any source is newer than it,
 * once per test process. Integration tests run the built CLI and agent, so a
 * stale dist/ would test old code; `npm test` builds first, so this is usually
 * a no-op. DMMLAB_TEST_NO_BUILD=1 skips it.
 */
export function ensureBuilt(): Promise<void> {
  done ??= (async () => {
    if (process.env.DMMLAB_TEST_NO_BUILD) return;
    const outputs = [path.join(ROOT, 'dist/cli/main.js'), path.join(ROOT, 'dist/agent/agent.mjs'), path.join(ROOT, 'dist/agent/flow-thread.mjs')];
    const built = Math.min(...(await Promise.all(outputs.map(async (o) => (existsSync(o) ? (await stat(o)).mtimeMs : 0)))));
    const sources = Math.max(...(await Promise.all(['cli', 'shared', 'agent'].map((d) => newest(path.join(ROOT, d))))));
    if (built >= sources) return;
    const r = await execa('npm', ['run', 'build'], { cwd: ROOT, reject: false });
    if (r.exitCode !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
  })();
  return done;
}
