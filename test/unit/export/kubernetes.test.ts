import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigMap, Pod, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { kubernetesManifests, type KubernetesObject } from '../../../cli/export/kubernetes.js';
import { podPlan } from '../../../cli/export/pod-plan.js';
import { parseTopology } from '../../../cli/plan/load.js';
import { agentConfigSchema } from '../../../shared/control/agent-config.js';

/**
 * `dmmlab export --format kubernetes`: every manifest is checked offline
 * against the Kubernetes API schema (kubernetes-models, generated from the
 * API's OpenAPI definitions), and against what the lab needs.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const KEY = { key: Buffer.alloc(32, 7).toString('base64'), spi: 4242 };

function exportOf(file: string, opts: { hosts?: number; namespace?: string } = {}): KubernetesObject[] {
  const text = read(file);
  const { plan } = parseTopology(file, text, opts.hosts === undefined ? {} : { hosts: opts.hosts });
  return kubernetesManifests({
    plan,
    topologyText: text,
    image: 'registry.example/dmmlab/node:1',
    tunnelDriver: 'ip6tnl',
    key: KEY,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
  });
}

/** Validates one object with the kubernetes-models class of its kind (throws naming the field on a schema error). */
function validate(o: KubernetesObject): void {
  const models = { Pod, ConfigMap, Secret, Service } as const;
  const Model = models[o.kind as keyof typeof models];
  expect(Model, `a model for kind ${o.kind}`).toBeDefined();
  new Model(o).validate();
}

describe('dmmlab export --format kubernetes', () => {
  it.each(['topologies/fig1.yaml', 'topologies/fig1-hosts.yaml', 'topologies/fig9.yaml', 'topologies/pmipv6.yaml'])(
    '%s: every object passes the Kubernetes API schema',
    (file) => {
      const objects = exportOf(file, { namespace: 'labs' });
      for (const o of objects) validate(o);
      const { plan } = parseTopology(file, read(file));
      expect(objects.filter((o) => o.kind === 'Pod')).toHaveLength(plan.nodes.length);
      expect(objects.map((o) => o.kind).slice(0, 3)).toEqual(['ConfigMap', 'Secret', 'Service']);
      for (const o of objects) expect(o.metadata).toMatchObject({ namespace: 'labs', labels: { 'dmmlab.lab': plan.lab } });
    },
  );

  it('the schema check is not a formality: a broken Pod is refused', () => {
    const pod = exportOf('topologies/fig1.yaml').find((o) => o.kind === 'Pod')!;
    const broken = structuredClone(pod) as unknown as { spec: { containers: { image: unknown }[] } };
    broken.spec.containers[0]!.image = 42;
    expect(() => validate(broken as unknown as KubernetesObject)).toThrow(/image/);
  });

  it('gives each node a Pod with the node image, NET_ADMIN and NET_RAW, its labels, sysctls, wiring and agent', () => {
    const objects = exportOf('topologies/fig1-hosts.yaml');
    const pod = objects.find((o) => o.metadata.name === 'fig1-hosts-mr2') as unknown as {
      metadata: { labels: Record<string, string> };
      spec: {
        hostname: string;
        subdomain: string;
        securityContext: { sysctls: { name: string; value: string }[] };
        initContainers: { image: string; command: string[]; securityContext: { capabilities: { add: string[] } } }[];
        containers: { image: string; command: string[]; securityContext: { capabilities: { add: string[] } } }[];
        affinity: { podAffinity: unknown; podAntiAffinity: unknown };
      };
    };
    expect(pod.metadata.labels).toMatchObject({ 'dmmlab.lab': 'fig1-hosts', 'dmmlab.node': 'mr2', 'dmmlab.host': 'h2' });
    expect(pod.spec).toMatchObject({ hostname: 'mr2', subdomain: 'fig1-hosts' });
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
      expect(c.image).toBe('registry.example/dmmlab/node:1');
      expect(c.securityContext.capabilities.add).toEqual(['NET_ADMIN', 'NET_RAW']);
    }
    expect(pod.spec.securityContext.sysctls).toContainEqual({ name: 'net.ipv6.conf.all.forwarding', value: '1' });
    expect(pod.spec.containers[0]!.command.join(' ')).toContain('agent.mjs --lab fig1-hosts --node mr2');
    // The nodes of host h2 share a cluster node, and never one with h1's.
    expect(JSON.stringify(pod.spec.affinity.podAffinity)).toContain('"operator":"In","values":["h2"]');
    expect(JSON.stringify(pod.spec.affinity.podAntiAffinity)).toContain('"operator":"NotIn","values":["h2"]');
  });

  it('wires every link as VXLAN between two pods, same VNI at both ends, a radio’s router end down until attached', () => {
    const file = 'topologies/fig1.yaml';
    const { plan } = parseTopology(file, read(file));
    const cm = exportOf(file).find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    const pods = podPlan(plan);
    for (const l of pods.links) {
      for (const [mine, theirs] of [
        [l.a, l.b],
        [l.b, l.a],
      ] as const) {
        const script = cm.data[`wire-${mine.node}.sh`]!;
        expect(script, `${mine.node}:${mine.iface}`).toMatch(
          new RegExp(
            `^ip link add name ${mine.iface} .* type vxlan id ${l.vxlan?.vni} local "\\$local" remote "\\$\\(peer ${theirs.node}\\)" dstport 4789 dev eth0$`,
            'm',
          ),
        );
      }
    }
    const mr2 = cm.data['wire-mr2.sh']!;
    expect(mr2).not.toContain('link set dev mn1 up'); // mn1 starts at mr11
    expect(cm.data['wire-mr11.sh']).toContain('link set dev mn1 up');
    expect(cm.data['topology.yaml']).toBe(read(file));
  });

  it("carries each agent's configuration in the Secret, valid for the agent's own schema", () => {
    const secret = exportOf('topologies/fig1.yaml').find((o) => o.kind === 'Secret') as unknown as { stringData: Record<string, string> };
    const mr11 = agentConfigSchema.parse(JSON.parse(secret.stringData['mr11.json']!));
    expect(mr11).toMatchObject({ node: 'mr11', lab: 'fig1', tunnelDriver: 'ip6tnl', spi: 4242, key: KEY.key });
    expect(Object.keys(secret.stringData)).toContain('lm3.json');
  });
});
