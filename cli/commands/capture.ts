import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { CaptureTarget } from '../capture/capture-session.js';
import type { CaptureLimits } from '../capture/live-capture.js';
import { DmmlabError } from '../errors.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { LabState } from '../state/lab-state.js';
import { requireRoot } from '../util/root.js';
import type { Command } from './command.js';
import { usageError } from './usage-error.js';

export const captureCommand: Command = {
  name: 'capture',
  summary: 'capture live from a running lab: one interface or a whole node, to a file, to stdout as pcap, or as text',
  usage: 'capture <lab> <node>[:iface] [-w FILE|-] [--count N] [--duration SECONDS] [--filter EXPR]',
  help: [
    'Without -w, prints tcpdump’s decode (-l -n). With -w -, streams pcap on stdout and nothing else:',
    '  dmmlab capture lab mr11 -w - | wireshark -k -i -',
    'A whole node is then captured with tcpdump -i any (Linux cooked v2 frames name the interface).',
    'With -w FILE, each interface is captured on its own and merged into a pcapng (whatever the',
    'extension) whose interfaces are named node:iface; --count then applies to each interface.',
    'Ctrl-C stops the capture; the file is complete.',
  ].join('\n'),
  options: {
    write: { type: 'string', short: 'w', description: 'pcapng file to write, or - for pcap on stdout' },
    count: { type: 'string', short: 'c', description: 'stop after N packets' },
    duration: { type: 'string', description: 'stop after SECONDS' },
    filter: { type: 'string', description: 'pcap-filter expression, e.g. "icmp6 or ip6 proto 135"' },
  },
  async run({ values, positionals }, io) {
    const { captureToPcapng, streamCapture } = await import('../capture/live-capture.js');
    const { nodeLinks } = await import('../capture/link-state.js');
    const { getRuntime } = await import('../runtime/registry.js');
    if (positionals.length !== 2) throw usageError(this, 'expected a lab and a node (or node:iface)');
    const [lab, target] = positionals as [string, string];
    const limits: CaptureLimits = {
      signal: io.signal,
      ...optional('count', positiveNumber(values.count, '--count', true)),
      ...optional(
        'durationMs',
        mapDefined(positiveNumber(values.duration, '--duration', false), (s) => s * 1000),
      ),
      ...optional('filter', typeof values.filter === 'string' ? values.filter : undefined),
    };
    requireRoot('capturing in a lab');
    const state = await openLab(lab);
    const plan = state.plan as Plan;
    const runtime = await getRuntime(state.runtime);
    const nodeAccess = (n: PlanNode) => runtime.access(lab, n);
    const [nodeName, ifaceName] = splitTarget(target);
    const node = plan.nodes.find((n) => n.name === nodeName);
    if (!node)
      throw new DmmlabError('E_NODE_NOT_FOUND', `lab ${lab} has no node ${JSON.stringify(nodeName)}; its nodes: ${plan.nodes.map((n) => n.name).join(', ')}`);
    const links = await nodeLinks(nodeAccess(node));
    const iface = ifaceName === undefined ? undefined : links.get(ifaceName);
    if (ifaceName !== undefined && !iface) {
      throw new DmmlabError(
        'E_NODE_NOT_FOUND',
        `node ${node.name} of lab ${lab} has no interface ${JSON.stringify(ifaceName)}; its interfaces: ${[...links.keys()].join(', ')}`,
      );
    }

    if (iface && !iface.up)
      io.progress.info(
        `${node.name}:${iface.name} is down: capturing it through "any" in ${node.name}, filtered to its index ${iface.ifindex} (Linux cooked frames), so it is captured from the moment it comes up`,
      );
    const write = typeof values.write === 'string' ? values.write : undefined;
    if (write === undefined || write === '-') {
      const exit = await streamCapture({
        ...limits,
        node: nodeAccess(node),
        ...(iface ? { iface } : {}),
        pcap: write === '-',
        onStderr: (t) => void io.stderr.write(t),
      });
      // Ended by us, by -c, or by the reader going away (wireshark closed): all normal.
      if (exit.stopped || exit.code === 0 || exit.signal === 'SIGPIPE') return 0;
      throw new DmmlabError('E_RUNTIME', `tcpdump on ${target} ended with ${exit.signal ?? `exit code ${exit.code}`}`);
    }

    const output = path.resolve(write);
    await access(path.dirname(output), constants.W_OK).catch(() => {
      throw usageError(this, `-w ${write}: cannot write in ${path.dirname(output)}`);
    });
    const targets: CaptureTarget[] = iface ? [{ node: node.name, iface: iface.name }] : node.interfaces.map((i) => ({ node: node.name, iface: i.name }));
    if (targets.length === 0) throw new DmmlabError('E_USAGE', `node ${node.name} has no links to capture`);
    const result = await captureToPcapng({ ...limits, plan, access: nodeAccess, targets, output, progress: io.progress });
    io.stdout.write(`wrote ${write}: ${result.packets} packets on ${result.interfaces.join(', ')}\n`);
    return 0;
  },
};

/** The lab's state, or an error listing the labs there are. */
async function openLab(lab: string): Promise<LabState> {
  const { listLabs, readState } = await import('../state/journal.js');
  try {
    return await readState(lab);
  } catch (e) {
    if (!(e instanceof DmmlabError && e.code === 'E_LAB_NOT_FOUND')) throw e;
    const labs = await listLabs();
    throw new DmmlabError(
      'E_LAB_NOT_FOUND',
      `no lab named ${lab}; ${labs.length ? `labs on this machine: ${labs.join(', ')}` : 'there are no labs on this machine'}`,
      {
        hint: 'dmmlab deploy <topology> creates one; dmmlab inspect lists them',
      },
    );
  }
}

function splitTarget(target: string): [string, string | undefined] {
  const i = target.indexOf(':');
  if (i < 0) return [target, undefined];
  const node = target.slice(0, i);
  const iface = target.slice(i + 1);
  if (!node || !iface) throw usageError(captureCommand, `${JSON.stringify(target)}: expected node or node:iface`);
  return [node, iface];
}

function positiveNumber(v: unknown, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw usageError(captureCommand, `${flag}: found ${JSON.stringify(v)}; expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return n;
}

function mapDefined<T, R>(v: T | undefined, f: (v: T) => R): R | undefined {
  return v === undefined ? undefined : f(v);
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}
