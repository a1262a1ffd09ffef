import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';

export const imageCommand: Command = {
  name: 'image',
  summary: 'build the Docker node image (dmmlab/node:<hash of its inputs>)',
  usage: 'image build [--offline] [--force] [--json]',
  help: [
    'Online (default): FROM node:20-bookworm-slim with apt; needs a registry and a Debian mirror.',
    'Offline (--offline): a Debian base made with debootstrap (root, apt-get install debootstrap), no registry.',
    'The tag is a hash of the Dockerfile, packages.txt and the agent bundle: an unchanged input is not rebuilt,',
    'and deploy on Docker uses (or builds, offline) the image for the current inputs. See images/README.md.',
  ].join('\n'),
  options: {
    offline: { type: 'boolean', description: 'build the base from Debian packages with debootstrap (no image registry)' },
    force: { type: 'boolean', description: 'rebuild even if the tag exists, without the layer cache' },
    ...jsonOption,
  },
  async run({ values, positionals }, io) {
    const { buildNodeImage } = await import('../image/build-image.js');
    const { hostAgentBundle } = await import('../runtime/spawn-detached.js');
    const [sub, ...extra] = positionals;
    if (sub !== 'build' || extra.length > 0)
      throw usageError(this, sub ? `unknown image subcommand ${JSON.stringify(sub)}; expected build` : 'expected the subcommand build');
    const offline = values.offline === true;
    const r = await buildNodeImage({ offline, agentBundle: hostAgentBundle(), progress: io.progress, force: values.force === true, signal: io.signal });
    emit(io, { ...r, recipe: offline ? 'offline' : 'online', durationMs: Math.round(r.durationMs) }, () => {
      if (!r.built) return `${r.tag} is up to date (${offline ? 'offline' : 'online'} recipe, FROM ${r.base})`;
      const phases = Object.entries(r.timings)
        .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`)
        .join(', ');
      return `built ${r.tag} in ${(r.durationMs / 1000).toFixed(1)} s (${offline ? 'offline' : 'online'} recipe, FROM ${r.base}${r.baseBuilt ? ', base rebuilt' : ''}; ${phases})`;
    });
    return 0;
  },
};
