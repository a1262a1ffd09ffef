import path from 'node:path';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';

export const validateCommand: Command = {
  name: 'validate',
  interrupt: 'exit',
  summary: 'check a topology file without deploying it',
  usage: 'validate <topology.yaml> [--routes] [--json]',
  help: 'Checks the file and plans the lab (names, addresses, links). Static routes are planned at deploy; --routes plans them here too and counts them (a search per node: slow for labs of thousands of nodes).',
  options: { routes: { type: 'boolean', description: 'also plan every node’s static routes' }, ...jsonOption },
  async run({ values, positionals }, io) {
    const { loadTopology } = await import('../plan/load.js');
    const [file] = positionals;
    if (!file || positionals.length > 1) throw usageError(this, 'expected exactly one topology file');
    const withRoutes = values.routes === true;
    const { plan } = await loadTopology(path.resolve(file), { derived: withRoutes });
    const routes = withRoutes ? plan.nodes.reduce((sum, n) => sum + n.routes.length, 0) : undefined;
    const mrs = plan.nodes.filter((n) => n.roles.includes('mr')).length;
    const mns = plan.nodes.filter((n) => n.roles.includes('mn')).length;
    emit(
      io,
      {
        valid: true,
        lab: plan.lab,
        networks: plan.networks.length,
        nodes: plan.nodes.length,
        links: plan.links.length,
        mrs,
        mns,
        ...(routes !== undefined ? { routes } : {}),
      },
      () =>
        `${file}: valid — lab ${plan.lab}: ${plan.networks.length} networks, ${plan.nodes.length} nodes (${mrs} MRs, ${mns} mobile nodes), ${plan.links.length} links${routes !== undefined ? `, ${routes} static routes` : ''}`,
    );
    return 0;
  },
};
