import { InputError } from '../errors.js';
import { loadYamlFile, parseYamlText, type SourceMap } from '../input/load-yaml.js';
import { resolve } from '../plan/resolve.js';
import type { Plan } from '../plan/types.js';
import { checkTopology } from './check.js';
import { topologySchema, type Topology } from './schema.js';

export interface LoadedTopology {
  topology: Topology;
  plan: Plan;
  source: SourceMap;
}

/**
 * Reads, checks and resolves a topology file. Throws InputError (exit code 2)
 * listing every problem with file:line:column, field path, found and expected.
 */
export async function loadTopology(file: string, opts: { lab?: string } = {}): Promise<LoadedTopology> {
  const { value, source } = await loadYamlFile(file, topologySchema);
  return finish(value, source, opts);
}

/** The same from text already in memory (tests, the embedded default). */
export function parseTopology(file: string, text: string, opts: { lab?: string } = {}): LoadedTopology {
  const { value, source } = parseYamlText(file, text, topologySchema);
  return finish(value, source, opts);
}

function finish(topology: Topology, source: SourceMap, opts: { lab?: string }): LoadedTopology {
  const issues = checkTopology(topology, source);
  if (opts.lab !== undefined && !/^[a-z][a-z0-9-]{0,23}$/.test(opts.lab)) {
    issues.push({ file: '(command line)', path: '--name', found: JSON.stringify(opts.lab), expected: 'a lab name of 1 to 24 lower-case letters, digits and "-", starting with a letter' });
  }
  if (issues.length > 0) throw new InputError(issues);
  return { topology, plan: resolve(topology, source, opts.lab), source };
}
