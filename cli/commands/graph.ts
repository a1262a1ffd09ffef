import path from 'node:path';
import type { Command } from './command.js';
import { oneOf } from './choices.js';
import { usageError } from './usage-error.js';

export const graphCommand: Command = {
  name: 'graph',
  interrupt: 'exit',
  summary: 'draw a topology as text, Mermaid or Graphviz dot',
  usage: 'graph <topology.yaml> [--format text|mermaid|dot]',
  options: { format: { type: 'string', short: 'f', description: 'text (default), mermaid or dot' } },
  async run({ values, positionals }, io) {
    const { renderGraph } = await import('../plan/graph.js');
    const { loadTopology } = await import('../plan/load.js');
    const [file] = positionals;
    if (!file || positionals.length > 1) throw usageError(this, 'expected exactly one topology file');
    const format = oneOf(values.format, ['text', 'mermaid', 'dot'], '--format') ?? 'text';
    const { plan } = await loadTopology(path.resolve(file));
    io.stdout.write(renderGraph(plan, format) + '\n');
    return 0;
  },
};
