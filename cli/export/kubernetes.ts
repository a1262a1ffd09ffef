import { agentConfigFor, type LabKey } from '../agents/agent-config.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { podPlan } from './pod-plan.js';
import { wireScript } from './wire-script.js';
import type { TunnelDriverName } from '../../shared/control/tunnel-drivers.js';

/** Labels every object of an exported lab carries (cleanup by label: `kubectl delete all,cm,secret -l dmmlab.lab=LAB`). */
export const LAB_LABEL = 'dmmlab.lab';
export const NODE_LABEL = 'dmmlab.node';
export const HOST_LABEL = 'dmmlab.host';

export interface KubernetesExportOptions {
  plan: Plan;
  /** The topology file's text (kept in the lab's ConfigMap, for people and tools reading the cluster). */
  topologyText: string;
  /** Node image, pushed where the cluster can pull it. */
  image: string;
  /** Kubernetes namespace of every object (omit: the one kubectl applies to). */
  namespace?: string;
  tunnelDriver: TunnelDriverName;
  /** The lab's signalling key (in a Secret). */
  key: LabKey;
}

/** A Kubernetes object as plain data (validated in tests against the API schema, kubernetes-models). */
export type KubernetesObject = { apiVersion: string; kind: string; metadata: { name: string } & Record<string, unknown> } & Record<string, unknown>;

type Meta = (name: string, labels?: Record<string, string>) => { name: string } & Record<string, unknown>;

const AGENT_DIR = '/etc/dmmlab/agent';
const WIRE_DIR = '/etc/dmmlab/wire';

/**
 * Manifests for a lab on an existing cluster: a ConfigMap with the topology
 * and each node's wiring script, a Secret with each agent's configuration
 * (the lab's signalling key), a headless Service that gives every pod a DNS
 * name (`<node>.<lab>`), and one Pod per node: an init container that wires
 * the node's links as VXLAN over the pod network and applies its addresses
 * and routes, and the node container running the agent (docs/scale-out.md).
 * Pure: the same options give the same manifests.
 */
export function kubernetesManifests(o: KubernetesExportOptions): KubernetesObject[] {
  const plan = podPlan(o.plan);
  const lab = plan.lab;
  const meta: Meta = (name, labels = {}) => ({
    name,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    labels: { 'app.kubernetes.io/part-of': 'dmmlab', [LAB_LABEL]: lab, ...labels },
  });
  const configMap: KubernetesObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(`dmmlab-${lab}`),
    data: {
      'topology.yaml': o.topologyText,
      ...Object.fromEntries(plan.nodes.map((n) => [`wire-${n.name}.sh`, wireScript(plan, n)])),
    },
  };
  const secret: KubernetesObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(`dmmlab-${lab}-agents`),
    type: 'Opaque',
    stringData: Object.fromEntries(
      plan.nodes.filter((n) => n.agent).map((n) => [`${n.name}.json`, JSON.stringify(agentConfigFor(plan, n, o.tunnelDriver, o.key), null, 1)]),
    ),
  };
  const service: KubernetesObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(lab),
    spec: {
      clusterIP: 'None',
      // Pods wire their links in an init container, before they are ready: their names must resolve by then.
      publishNotReadyAddresses: true,
      selector: { [LAB_LABEL]: lab },
    },
  };
  return [configMap, secret, service, ...plan.nodes.map((n) => pod(plan, n, o, meta))];
}

function pod(plan: Plan, node: PlanNode, o: KubernetesExportOptions, meta: Meta): KubernetesObject {
  const lab = plan.lab;
  // The bpf driver loads BPF programs (nexthops, tc): CAP_BPF, and SYS_ADMIN for tc's BPF file system.
  const caps = { capabilities: { add: ['NET_ADMIN', 'NET_RAW', ...(o.tunnelDriver === 'bpf' && node.agent ? ['BPF', 'SYS_ADMIN'] : [])] } };
  const socket = `/run/dmmlab/${lab}/agents/${node.name}.sock`;
  const agentArgs = ['node', '/opt/dmmlab/agent.mjs', '--lab', lab, '--node', node.name, '--socket', socket, '--config', `${AGENT_DIR}/agent.json`];
  const run = node.agent
    ? `mkdir -p /run/dmmlab/${lab}/agents && exec ${agentArgs.join(' ')}`
    : "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done";
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta(`${lab}-${node.name}`, { [NODE_LABEL]: node.name, ...(node.host ? { [HOST_LABEL]: node.host } : {}) }),
      annotations: { 'dmmlab.roles': node.roles.join(','), 'dmmlab.network': node.network, ...(node.loopback ? { 'dmmlab.address': node.loopback } : {}) },
    },
    spec: {
      hostname: node.name,
      subdomain: lab,
      terminationGracePeriodSeconds: 3,
      ...(node.host ? { affinity: placement(lab, node.host) } : {}),
      securityContext: {
        // Per-interface settings equal the `default` ones, which the node's interfaces (created later, by the init container) inherit.
        sysctls: Object.entries(node.sysctls)
          .filter(([k]) => /^net\.ipv6\.(conf\.(all|default)\.|icmp\.)/.test(k))
          .map(([name, value]) => ({ name, value })),
      },
      initContainers: [
        {
          name: 'wire',
          image: o.image,
          command: ['sh', `${WIRE_DIR}/wire.sh`],
          securityContext: caps,
          volumeMounts: [{ name: 'wire', mountPath: WIRE_DIR, readOnly: true }],
        },
      ],
      containers: [
        {
          name: 'node',
          image: o.image,
          command: ['sh', '-c', run],
          securityContext: caps,
          volumeMounts: node.agent ? [{ name: 'agent', mountPath: AGENT_DIR, readOnly: true }] : [],
        },
      ],
      volumes: [
        { name: 'wire', configMap: { name: `dmmlab-${lab}`, items: [{ key: `wire-${node.name}.sh`, path: 'wire.sh' }] } },
        ...(node.agent ? [{ name: 'agent', secret: { secretName: `dmmlab-${lab}-agents`, items: [{ key: `${node.name}.json`, path: 'agent.json' }] } }] : []),
      ],
    },
  };
}

/** The nodes of one dmmlab host share a cluster node; nodes of different hosts never do. */
function placement(lab: string, host: string): Record<string, unknown> {
  const term = (operator: 'In' | 'NotIn') => ({
    topologyKey: 'kubernetes.io/hostname',
    labelSelector: {
      matchLabels: { [LAB_LABEL]: lab },
      matchExpressions: [{ key: HOST_LABEL, operator, values: [host] }],
    },
  });
  return {
    podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('In')] },
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('NotIn')] },
  };
}
