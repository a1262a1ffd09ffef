import type { AgentView, LabView } from '../lab/inspect.js';
import { renderTable, type Column } from '../output/table.js';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';

export const inspectCommand: Command = {
  name: 'inspect',
  interrupt: 'exit',
  summary: 'list labs, or show one lab: nodes, roles, interfaces, addresses, routes, state',
  usage: 'inspect [lab] [--routes] [--json]',
  options: { routes: { type: 'boolean', description: 'also print every node’s routes and rules' }, ...jsonOption },
  async run({ values, positionals }, io) {
    const { inspectLab, listLabSummaries } = await import('../lab/inspect.js');
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
    return view.nodeViews.every((n) => n.present) && view.agents.every((a) => a.status !== 'down') ? 0 : 4;
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
  if (v.hosts) {
    const crossing = (h: string) =>
      (v.vxlanLinks ?? []).filter((l) => v.hosts?.list.find((x) => x.name === h)?.nodes.some((n) => n === l.a || n === l.b)).length;
    out.push(
      renderTable(v.hosts.list, [
        { header: 'host', cell: (h) => h.name },
        { header: 'underlay', cell: (h) => h.address },
        { header: 'namespace', cell: (h) => h.netns },
        { header: 'vxlan links', cell: (h) => String(crossing(h.name)), align: 'right' },
        { header: 'nodes', cell: (h) => h.nodes.join(' ') },
      ]),
      `underlay MTU ${v.hosts.underlayMtu} (links' MTU + 50 bytes of VXLAN over IPv4), switch namespace ${v.hosts.switchNetns}`,
      '',
    );
  }
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

/** Agents, then what their roles hold: LM bindings, HAA leases, access routers' nodes, MR prefixes and tunnels. */
function renderAgents(v: LabView): string {
  const out: string[] = [];
  // Agents served by one agent host share its pid and its memory.
  const perPid = new Map<number, number>();
  for (const a of v.agents) if (a.state) perPid.set(a.state.pid, (perPid.get(a.state.pid) ?? 0) + 1);
  const rss = (s: NonNullable<AgentView['state']>) => {
    const n = perPid.get(s.pid) ?? 1;
    return `${Math.round(s.rssBytes / 2 ** 20)} MB${n > 1 ? ` (host of ${n})` : ''}`;
  };
  out.push(
    renderTable(v.agents, [
      { header: 'agent', cell: (a) => a.node },
      { header: 'status', cell: (a) => (a.status === 'up' ? 'up' : a.status === 'on-demand' ? 'on demand' : 'DOWN') },
      { header: 'pid', cell: (a) => (a.state ? String(a.state.pid) : '') },
      { header: 'rss', cell: (a) => (a.state ? rss(a.state) : '') },
      {
        header: 'signalling sent/recv/rejected',
        cell: (a) => {
          const c = a.state?.signalling;
          return c ? `${c.sent}/${c.received}/${c.malformed + c.unauthenticated + c.replayed}` : '';
        },
      },
      { header: 'why', cell: (a) => a.why ?? '' },
    ]),
  );
  for (const a of v.agents.filter((x) => x.status === 'down' && x.lastLines)) out.push('', `${a.node} last output:`, a.lastLines!.replace(/^/gm, '  '));
  const refused = v.agents.filter((a) => (a.state?.signalling?.rejections?.bySource.length ?? 0) > 0);
  if (refused.length)
    out.push(
      '',
      'Refused signalling (malformed, unauthenticated, replayed or unhandled)',
      renderTable(refused, [
        { header: 'agent', cell: (a) => a.node },
        {
          header: 'by reason',
          cell: (a) =>
            Object.entries(a.state!.signalling!.rejections!.byReason)
              .map(([k, n]) => `${k} ${n}`)
              .join(', '),
        },
        {
          header: 'top senders',
          cell: (a) =>
            a
              .state!.signalling!.rejections!.bySource.slice(0, 3)
              .map((x) => `${x.source} ${x.count}`)
              .join(', '),
        },
        { header: 'not logged', cell: (a) => String(a.state!.signalling!.rejections!.notLogged) },
      ]),
    );
  const s = v.states;
  const section = <T>(title: string, rows: T[], columns: readonly Column<T>[]) => {
    if (rows.length) out.push('', title, renderTable(rows, columns));
  };
  section('LM bindings', s.bindings(), [
    { header: 'lm', cell: (b) => b.lm },
    { header: 'home prefix', cell: (b) => b.prefix },
    { header: 'mobile node', cell: (b) => b.mnId },
    { header: 'location', cell: (b) => `${b.mr} (${b.location})` },
    { header: 'expires', cell: (b) => `${b.expiresInS} s` },
    { header: 'queried by', cell: (b) => b.queriers.join(' ') },
  ]);
  section('LM proxy entries (hierarchical: the home LM binds these nodes to the proxy)', s.proxyEntries(), [
    { header: 'proxy', cell: (e) => e.proxy },
    { header: 'mobile node', cell: (e) => e.mnId },
    { header: 'serving mr', cell: (e) => (e.departed ? `${e.serving} (left)` : e.serving) },
    { header: 'home prefixes', cell: (e) => e.prefixes.join(' ') },
  ]);
  section('HAA leases', s.leases(), [
    { header: 'haa', cell: (l) => l.haa },
    { header: 'home prefix', cell: (l) => l.prefix },
    { header: 'mobile node', cell: (l) => l.mnId },
    { header: 'anchor', cell: (l) => l.anchor },
    { header: 'expires', cell: (l) => `${l.expiresInS} s` },
  ]);
  section(
    'Mobile nodes at access routers',
    s.visitors().filter((x) => x.state !== 'away'),
    [
      { header: 'ar', cell: (x) => x.ar },
      { header: 'mobile node', cell: (x) => x.mn },
      { header: 'state', cell: (x) => x.state },
      { header: 'home prefixes (anchor)', cell: (x) => x.prefixes.map((p) => `${p.prefix} (${p.anchor})`).join(' ') },
    ],
  );
  section('MR routes and caches', s.mrPrefixes(), [
    { header: 'mr', cell: (p) => p.mr },
    { header: 'home prefix', cell: (p) => p.prefix },
    { header: 'route', cell: (p) => p.route },
    {
      header: 'why',
      cell: (p) =>
        [
          p.attached ? `attached on ${p.attached}` : '',
          p.servedBy ? `anchored, served by ${p.servedBy}` : '',
          p.contextTo ? `handover context → ${p.contextTo} (${p.contextExpiresInS ?? '?'} s)` : '',
          p.cachedAt ? `cache (${p.cacheSource ?? '?'}, ${p.cacheExpiresInS ?? '?'} s)` : '',
          p.hold ? 'between cells' : '',
        ]
          .filter(Boolean)
          .join('; '),
    },
  ]);
  section('Tunnels', s.tunnels(), [
    { header: 'mr', cell: (t) => t.mr },
    { header: 'driver', cell: (t) => t.driver },
    { header: 'peers used', cell: (t) => t.peers.join(' ') },
  ]);
  return out.join('\n');
}
