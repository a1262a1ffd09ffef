import path from 'node:path';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a topology file without deploying it',
  usage: 'validate <topology.yaml> [--json]',
  options: { ...jsonOption },
  async run({ positionals }, io) {
    const { loadTopology } = await import('../plan/load.js');
    const [file] = positionals;
    if (!file || positionals.length > 1) throw usageError(this, 'expected exactly one topology file');
    const { plan } = await loadTopology(path.resolve(file));
    const mrs = plan.nodes.filter((n) => n.roles.includes('mr')).length;
    const mns = plan.nodes.filter((n) => n.roles.includes('mn')).length;
    emit(
      io,
      { valid: true, lab: plan.lab, networks: plan.networks.length, nodes: plan.nodes.length, links: plan.links.length, mrs, mns },
      () =>
        `${file}: valid — lab ${plan.lab}: ${plan.networks.length} networks, ${plan.nodes.length} nodes (${mrs} MRs, ${mns} mobile nodes), ${plan.links.length} links`,
    );
    return 0;
  },
};
