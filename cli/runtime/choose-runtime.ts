import { DmmlabError, errorText } from '../errors.js';
import { createDockerClient, describeEndpoint, dockerEndpoint, pingDocker } from '../image/docker-client.js';
import { nodeImageStatus } from './docker-node-image.js';
import type { Progress } from '../util/progress.js';
import type { RuntimeName } from '../topology/runtime-names.js';

export interface RuntimeChoice {
  kind: RuntimeName;
  /** Why this runtime (shown to the user). */
  reason: string;
}

/**
 * Picks the runtime: an explicit choice wins (an explicit docker whose daemon
 * does not answer is an error naming the socket); `auto` picks Docker when a
 * daemon answers and the node image is present or can be built, otherwise
 * netns, and says which and why.
 */
export async function chooseRuntime(wanted: RuntimeName | 'auto', progress: Progress): Promise<RuntimeChoice> {
  if (wanted === 'netns') return { kind: 'netns', reason: 'asked for' };
  const endpoint = dockerEndpoint();
  const where = describeEndpoint(endpoint);
  const ping = await pingDocker({ endpoint });
  if (wanted === 'docker') {
    if (!ping.ok) throw new DmmlabError('E_DOCKER', `runtime docker asked for, but ${ping.reason}`, { hint: ping.hint });
    return { kind: 'docker', reason: `asked for; dockerd ${ping.version} answers on ${where}` };
  }
  const choice = await autoChoice(ping, where);
  progress.info(`runtime ${choice.kind} (${choice.reason})`);
  return choice;
}

async function autoChoice(ping: Awaited<ReturnType<typeof pingDocker>>, where: string): Promise<RuntimeChoice> {
  if (!ping.ok) return { kind: 'netns', reason: `no Docker daemon: ${ping.reason}` };
  try {
    const status = await nodeImageStatus(createDockerClient(ping.endpoint), ping.endpoint);
    if (!status.usable) return { kind: 'netns', reason: `dockerd ${ping.version} answers on ${where}, but ${status.why}` };
    return { kind: 'docker', reason: `dockerd ${ping.version} answers on ${where} and ${status.why}` };
  } catch (e) {
    return { kind: 'netns', reason: `dockerd ${ping.version} answers on ${where}, but the node image cannot be checked: ${errorText(e)}` };
  }
}
