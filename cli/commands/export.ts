import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from './command.js';
import { hostsOption, oneOf } from './choices.js';
import { usageError } from './usage-error.js';
import { TUNNEL_DRIVERS } from '../../shared/control/tunnel-drivers.js';

export const exportCommand: Command = {
  name: 'export',
  interrupt: 'exit',
  summary: 'write a topology as manifests for another platform (Kubernetes)',
  usage:
    'export <topology.yaml> --format kubernetes [--name LAB] [--hosts N] [--namespace NS] [--image IMAGE] [--tunnel ip6tnl|seg6|bpf] [--out FILE] [--json]',
  help: [
    'Kubernetes: one Pod per node (the node image, NET_ADMIN and NET_RAW, labels dmmlab.lab and dmmlab.node),',
    'an init container that wires the node’s links as VXLAN over the pod network with dmmlab’s own wiring code,',
    'the agent configured from a Secret, a ConfigMap with the topology, and a headless Service naming the pods.',
    'Placement on hosts (the topology’s hosts, or --hosts N) becomes pod affinity. Apply with kubectl apply -f;',
    'remove with kubectl delete all,configmap,secret -l dmmlab.lab=LAB. docs/scale-out.md says what a cluster needs.',
  ].join('\n'),
  options: {
    format: { type: 'string', short: 'f', description: 'kubernetes (the only format so far)' },
    name: { type: 'string', description: 'lab name (default: the topology name)' },
    hosts: { type: 'string', description: 'split the lab over N hosts (pods of one host share a cluster node)' },
    namespace: { type: 'string', description: 'Kubernetes namespace of every object (default: the one kubectl applies to)' },
    image: { type: 'string', description: 'node image the cluster pulls (default: this checkout’s dmmlab/node tag; push it first)' },
    tunnel: { type: 'string', description: 'tunnel driver the agents use: ip6tnl (default; the cluster nodes need ip6_tunnel), seg6 or bpf' },
    out: { type: 'string', short: 'o', description: 'write here instead of standard output' },
    json: { type: 'boolean', description: 'a JSON List instead of YAML documents' },
  },
  async run({ values, positionals }, io) {
    const { loadTopology } = await import('../plan/load.js');
    const { kubernetesManifests } = await import('../export/kubernetes.js');
    const { newLabKey } = await import('../agents/agent-config.js');
    const { defaultNodeImage } = await import('../runtime/docker-node-image.js');
    const YAML = await import('yaml');
    const [file] = positionals;
    if (!file || positionals.length > 1) throw usageError(this, 'expected exactly one topology file');
    if (oneOf(values.format, ['kubernetes'], '--format') === undefined) throw usageError(this, '--format: expected kubernetes');
    const tunnel = oneOf(values.tunnel, TUNNEL_DRIVERS, '--tunnel') ?? 'ip6tnl';
    const hosts = hostsOption(values.hosts);
    const namespace = typeof values.namespace === 'string' ? values.namespace : undefined;
    if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
      throw usageError(
        this,
        `--namespace: found ${JSON.stringify(namespace)}; expected a Kubernetes namespace name (lower-case letters, digits and "-", at most 63)`,
      );
    const abs = path.resolve(file);
    const { plan } = await loadTopology(abs, {
      ...(typeof values.name === 'string' ? { lab: values.name } : {}),
      ...(hosts === undefined ? {} : { hosts }),
    });
    const objects = kubernetesManifests({
      plan,
      topologyText: await readFile(abs, 'utf8'),
      image: typeof values.image === 'string' ? values.image : await defaultNodeImage(),
      tunnelDriver: tunnel,
      key: newLabKey(),
      ...(namespace ? { namespace } : {}),
    });
    const text = values.json
      ? JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2) + '\n'
      : objects.map((o) => YAML.stringify(o, { lineWidth: 0 })).join('---\n');
    if (typeof values.out === 'string') {
      await writeFile(values.out, text, { mode: 0o600 });
      const pods = objects.filter((o) => o.kind === 'Pod').length;
      io.stderr.write(`wrote ${values.out}: ${pods} pods, a ConfigMap, a Secret (the lab's signalling key) and a headless Service for lab ${plan.lab}\n`);
    } else io.stdout.write(text);
    return 0;
  },
};
