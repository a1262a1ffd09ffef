import { execa } from 'execa';
import { RUNTIME_NAMES, type RuntimeName } from '../../cli/topology/runtime-names.js';

export type TestRuntime = RuntimeName;

/**
 * Runtimes the integration suite runs on. DMMLAB_TEST_RUNTIMES=netns,docker
 * asks for both explicitly (CI): a runtime asked for but unusable fails the
 * tests rather than skipping them. Unset: netns, plus docker when a daemon answers.
 */
export async function testRuntimes(): Promise<TestRuntime[]> {
  const env = process.env.DMMLAB_TEST_RUNTIMES;
  if (env)
    return env
      .split(',')
      .map((s) => s.trim())
      .filter((s): s is TestRuntime => (RUNTIME_NAMES as readonly string[]).includes(s));
  const docker = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false, timeout: 5000 });
  return docker.exitCode === 0 ? ['netns', 'docker'] : ['netns'];
}
