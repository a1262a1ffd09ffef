import { inspectLab, listLabSummaries, type AgentView, type LabView } from '../lab/inspect.js';
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
    return view.nodeViews.every((n) => n.present) && view.agents.every((a) => a.status === 'up') ? 0 : 4;
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
  out.push('', renderAgents(v));
  if (routes) {
    for (const n of v.nodeViews) {
      out.push('', `${n.name} routes:`, ...n.routes.map((r) => `  ${r}`));
      const custom = n.rules.filter((r) => !/^(0|32766|32767):/.test(r));
      if (custom.length) out.push(`${n.name} rules:`, ...custom.map((r) => `  ${r}`));
    }
  }
  return out.join('\n');
}

type Row = Record<string, unknown>;
const arr = (v: unknown): Row[] => (Array.isArray(v) ? (v as Row[]) : []);
const txt = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** Agents, then what their roles hold: LM bindings, HAA leases, access routers' nodes, MR prefixes and tunnels. */
function renderAgents(v: LabView): string {
  const out: string[] = [];
  out.push(
    renderTable(v.agents, [
      { header: 'agent', cell: (a) => a.node },
      { header: 'status', cell: (a) => (a.status === 'up' ? 'up' : 'DOWN') },
      { header: 'pid', cell: (a) => txt(a.state?.pid) },
      { header: 'rss', cell: (a) => (a.state?.rssBytes ? `${Math.round(Number(a.state.rssBytes) / 2 ** 20)} MB` : '') },
      {
        header: 'signalling sent/recv/rejected',
        cell: (a) => {
          const c = a.state?.signalling as Row | undefined;
          return c ? `${txt(c.sent)}/${txt(c.received)}/${Number(c.malformed ?? 0) + Number(c.unauthenticated ?? 0) + Number(c.replayed ?? 0)}` : '';
        },
      },
      { header: 'why', cell: (a) => a.why ?? '' },
    ]),
  );
  for (const a of v.agents.filter((x) => x.status === 'down' && x.lastLines)) out.push('', `${a.node} last output:`, a.lastLines!.replace(/^/gm, '  '));
  const roles = (a: AgentView, r: string) => (a.state?.roles as Row | undefined)?.[r] as Row | undefined;
  const bindings: Row[] = v.agents.flatMap((a) => arr(roles(a, 'lm')?.bindings).map((b) => ({ lm: a.node, ...b })));
  if (bindings.length) {
    out.push(
      '',
      'LM bindings',
      renderTable(bindings, [
        { header: 'lm', cell: (b) => txt(b.lm) },
        { header: 'home prefix', cell: (b) => txt(b.prefix) },
        { header: 'mobile node', cell: (b) => txt(b.mnId) },
        { header: 'location', cell: (b) => `${txt(b.mr)} (${txt(b.location)})` },
        { header: 'expires', cell: (b) => `${txt(b.expiresInS)} s` },
        { header: 'queried by', cell: (b) => arr(b.queriers as unknown).join(' ') },
      ]),
    );
  }
  const proxied: Row[] = v.agents.flatMap((a) => arr(roles(a, 'mr')?.lmProxy).map((e) => ({ proxy: a.node, ...e })));
  if (proxied.length) {
    out.push(
      '',
      'LM proxy entries (hierarchical: the home LM binds these nodes to the proxy)',
      renderTable(proxied, [
        { header: 'proxy', cell: (e) => txt(e.proxy) },
        { header: 'mobile node', cell: (e) => txt(e.mnId) },
        { header: 'serving mr', cell: (e) => (e.departed ? `${txt(e.serving)} (left)` : txt(e.serving)) },
        { header: 'home prefixes', cell: (e) => arr(e.prefixes as unknown).join(' ') },
      ]),
    );
  }
  const leases: Row[] = v.agents.flatMap((a) => arr(roles(a, 'haa')?.leases).map((l) => ({ haa: a.node, ...l })));
  if (leases.length) {
    out.push(
      '',
      'HAA leases',
      renderTable(leases, [
        { header: 'haa', cell: (l) => txt(l.haa) },
        { header: 'home prefix', cell: (l) => txt(l.prefix) },
        { header: 'mobile node', cell: (l) => txt(l.mnId) },
        { header: 'anchor', cell: (l) => txt(l.anchor) },
        { header: 'expires', cell: (l) => `${txt(l.expiresInS)} s` },
      ]),
    );
  }
  const visitors: Row[] = v.agents.flatMap((a) =>
    arr(roles(a, 'ar')?.visitors)
      .filter((x) => x.state !== 'away')
      .map((x) => ({ ar: a.node, ...x })),
  );
  if (visitors.length) {
    out.push(
      '',
      'Mobile nodes at access routers',
      renderTable(visitors, [
        { header: 'ar', cell: (x) => txt(x.ar) },
        { header: 'mobile node', cell: (x) => txt(x.mn) },
        { header: 'state', cell: (x) => txt(x.state) },
        {
          header: 'home prefixes (anchor)',
          cell: (x) =>
            arr(x.prefixes)
              .map((p) => `${txt(p.prefix)} (${txt(p.anchor)})`)
              .join(' '),
        },
      ]),
    );
  }
  const prefixes: Row[] = v.agents.flatMap((a) => arr(roles(a, 'mr')?.prefixes).map((p) => ({ mr: a.node, ...p })));
  if (prefixes.length) {
    out.push(
      '',
      'MR routes and caches',
      renderTable(prefixes, [
        { header: 'mr', cell: (p) => txt(p.mr) },
        { header: 'home prefix', cell: (p) => txt(p.prefix) },
        { header: 'route', cell: (p) => txt(p.route) },
        {
          header: 'why',
          cell: (p) =>
            [
              p.attached ? `attached on ${txt(p.attached)}` : '',
              p.servedBy ? `anchored, served by ${txt(p.servedBy)}` : '',
              p.contextTo ? `handover context → ${txt(p.contextTo)} (${txt(p.contextExpiresInS)} s)` : '',
              p.cachedAt ? `cache (${txt(p.cacheSource)}, ${txt(p.cacheExpiresInS)} s)` : '',
              p.hold ? 'between cells' : '',
            ]
              .filter(Boolean)
              .join('; '),
        },
      ]),
    );
  }
  const tunnels = v.agents
    .filter((a) => roles(a, 'mr'))
    .map((a) => ({ mr: a.node, driver: txt(roles(a, 'mr')?.driver), peers: arr(roles(a, 'mr')?.tunnelPeers as unknown).join(' ') }));
  if (tunnels.length) {
    out.push(
      '',
      'Tunnels',
      renderTable(tunnels, [
        { header: 'mr', cell: (t) => t.mr },
        { header: 'driver', cell: (t) => t.driver },
        { header: 'peers used', cell: (t) => t.peers },
      ]),
    );
  }
  return out.join('\n');
}
