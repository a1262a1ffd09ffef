import type { Plan } from './types.js';

export type GraphFormat = 'text' | 'mermaid' | 'dot';

/** Draws a plan's topology: local networks with their nodes, wired links, and access (radio) links dashed. */
export function renderGraph(plan: Plan, format: GraphFormat): string {
  switch (format) {
    case 'mermaid':
      return mermaid(plan);
    case 'dot':
      return dot(plan);
    default:
      return text(plan);
  }
}

const label = (plan: Plan, node: string) => {
  const n = plan.nodes.find((x) => x.name === node);
  return n ? `${n.name} [${n.roles.join(',')}]` : node;
};

function text(plan: Plan): string {
  const out: string[] = [`lab ${plan.lab}`];
  for (const net of plan.networks) {
    const members = plan.nodes.filter((n) => n.network === net.name);
    if (members.length === 0) continue;
    out.push(`network ${net.name} ${net.prefix}${net.lm ? `  LM ${net.lm}` : ''}${net.haa ? `  HAA ${net.haa}` : ''}`);
    for (const n of members) out.push(`  ${label(plan, n.name)}${n.loopback ? `  ${n.loopback}` : ''}${n.anchor ? `  anchors ${n.anchor}` : ''}`);
  }
  out.push('links');
  for (const l of plan.links.filter((x) => x.kind === 'infra')) out.push(`  ${l.a.node} ── ${l.b.node}  ${l.subnet ?? ''}${paramsText(l.params)}`);
  const access = plan.links.filter((x) => x.kind === 'access');
  if (access.length > 0) {
    out.push('access (radio cells)');
    for (const l of access) {
      const up = plan.nodes.find((n) => n.name === l.a.node)?.interfaces.find((i) => i.name === l.a.iface)?.up;
      out.push(`  ${l.a.node} ┄┄ ${l.b.node}${up ? '  (attached at start)' : ''}${paramsText(l.params)}`);
    }
  }
  return out.join('\n');
}

function paramsText(p: Record<string, unknown>): string {
  const parts = Object.entries(p).map(([k, v]) => `${k} ${String(v)}`);
  return parts.length ? `  [${parts.join(', ')}]` : '';
}

function mermaid(plan: Plan): string {
  const id = (s: string) => s.replace(/[^a-zA-Z0-9_]/g, '_');
  const out = ['graph LR'];
  for (const net of plan.networks) {
    const members = plan.nodes.filter((n) => n.network === net.name);
    if (members.length === 0) continue;
    out.push(`  subgraph ${id(`net_${net.name}`)}["${net.name} ${net.prefix}"]`);
    for (const n of members) out.push(`    ${id(n.name)}["${n.name}<br/>${n.roles.join(', ')}"]`);
    out.push('  end');
  }
  for (const l of plan.links) out.push(`  ${id(l.a.node)} ${l.kind === 'access' ? '-.-' : '---'} ${id(l.b.node)}`);
  return out.join('\n');
}

function dot(plan: Plan): string {
  const q = (s: string) => `"${s.replace(/"/g, '\\"')}"`;
  const out = [`graph ${q(plan.lab)} {`, '  node [shape=box, fontname="Helvetica"];'];
  for (const net of plan.networks) {
    const members = plan.nodes.filter((n) => n.network === net.name);
    if (members.length === 0) continue;
    out.push(`  subgraph ${q(`cluster_${net.name}`)} {`, `    label=${q(`${net.name} ${net.prefix}`)};`);
    for (const n of members) out.push(`    ${q(n.name)} [label=${q(`${n.name}\\n${n.roles.join(', ')}`)}${n.roles.includes('mn') ? ', shape=ellipse' : ''}];`);
    out.push('  }');
  }
  for (const l of plan.links) out.push(`  ${q(l.a.node)} -- ${q(l.b.node)}${l.kind === 'access' ? ' [style=dashed]' : ''};`);
  out.push('}');
  return out.join('\n');
}
