import { inspectLab, listLabSummaries, type LabView } from '../lab/inspect.js';
import { renderTable } from '../output/table.js';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'list labs, or show one lab: nodes, roles, interfaces, addresses, routes, state',
  usage: 'inspect [lab] [--routes] [--json]',
  options: { routes: { type: 'boolean', description: 'also print every node’s routes and rules' }, ...jsonOption },
  async run({ values, positionals }, io) {
    if (positionals.length > 1) throw usageError(this, 'expected at most one lab');
    const [lab] = positionals;
    if (!lab) {
      const labs = await listLabSummaries();
      emit(io, labs, () =>
        labs.length === 0
          ? 'no labs (dmmlab deploy <topology> creates one)'
          : renderTable(labs, [
              { header: 'lab', cell: (l) => l.lab },
              { header: 'runtime', cell: (l) => l.runtime },
              { header: 'status', cell: (l) => l.status },
              { header: 'nodes', cell: (l) => String(l.nodes), align: 'right' },
              { header: 'links', cell: (l) => String(l.links), align: 'right' },
              { header: 'tunnel', cell: (l) => l.tunnelDriver ?? '' },
              { header: 'created', cell: (l) => l.createdAt.replace('T', ' ').slice(0, 19) },
              { header: 'topology', cell: (l) => l.source },
            ]),
      );
      return 0;
    }
    const view = await inspectLab(lab);
    emit(io, view, () => renderLab(view, values.routes === true));
    return view.nodeViews.every((n) => n.present) ? 0 : 4;
  },
};

function renderLab(v: LabView, routes: boolean): string {
  const out: string[] = [`lab ${v.lab}  runtime ${v.runtime}  status ${v.status}  tunnel driver ${v.tunnelDriver ?? '?'}  topology ${v.source}`, ''];
  out.push(
    renderTable(v.networks, [
      { header: 'network', cell: (n) => n.name },
      { header: 'prefix', cell: (n) => n.prefix },
      { header: 'home prefix pool', cell: (n) => n.pool },
      { header: 'lm', cell: (n) => n.lm ?? '' },
      { header: 'haa', cell: (n) => n.haa ?? '' },
    ]),
    '',
  );
  const rows = v.nodeViews.flatMap((n) => {
    const ifaces = n.interfaces.filter((i) => i.name !== 'lo' || i.addresses.length > 0);
    if (!n.present) return [{ node: n.name, roles: n.roles.join(','), network: n.network, iface: '', state: 'MISSING', addr: '' }];
    return ifaces.map((i, k) => ({
      node: k === 0 ? n.name : '',
      roles: k === 0 ? n.roles.join(',') : '',
      network: k === 0 ? n.network : '',
      iface: i.peer ? `${i.name} → ${i.peer}` : i.name,
      state: i.state,
      addr: i.addresses.join(' '),
    }));
  });
  out.push(
    renderTable(rows, [
      { header: 'node', cell: (r) => r.node },
      { header: 'roles', cell: (r) => r.roles },
      { header: 'network', cell: (r) => r.network },
      { header: 'interface', cell: (r) => r.iface },
      { header: 'state', cell: (r) => r.state },
      { header: 'addresses', cell: (r) => r.addr },
    ]),
  );
  if (routes) {
    for (const n of v.nodeViews) {
      out.push('', `${n.name} routes:`, ...n.routes.map((r) => `  ${r}`));
      const custom = n.rules.filter((r) => !/^(0|32766|32767):/.test(r));
      if (custom.length) out.push(`${n.name} rules:`, ...custom.map((r) => `  ${r}`));
    }
  }
  return out.join('\n');
}
