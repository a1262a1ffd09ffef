import { InputError } from '../errors.js';
import { loadYamlFile, parseYamlText, type SourceMap } from '../input/load-yaml.js';
import { resolve } from './resolve.js';
import { MAX_HOSTS, splitHosts } from './split-hosts.js';
import type { Plan } from './types.js';
import { checkTopology } from '../topology/check.js';
import { topologySchema, type MobilitySettings, type Topology } from '../topology/schema.js';

export interface LoadOptions {
  /** Lab name instead of the topology's. */
  lab?: string;
  /** Mobility settings that override the topology's (a scenario's, or the command line's). */
  mobility?: Partial<MobilitySettings>;
  /**
   * Plan what is derived per node (static routes, sysctls; default true).
   * Routes take a shortest-path search per node, which grows with the square
   * of the lab; `validate` leaves them to deploy.
   */
  derived?: boolean;
  /** Split the lab over this many hosts (`--hosts N`), replacing the file's placement. */
  hosts?: number;
}

export interface LoadedTopology {
  topology: Topology;
  plan: Plan;
  source: SourceMap;
}

/**
 * Reads, checks and resolves a topology file. Throws InputError (exit code 2)
 * listing every problem with file:line:column, field path, found and expected.
 */
export async function loadTopology(file: string, opts: LoadOptions = {}): Promise<LoadedTopology> {
  const { value, source } = await loadYamlFile(file, topologySchema);
  return finish(value, source, opts);
}

/** The same from text already in memory (tests, the embedded default). */
export function parseTopology(file: string, text: string, opts: LoadOptions = {}): LoadedTopology {
  const { value, source } = parseYamlText(file, text, topologySchema);
  return finish(value, source, opts);
}

function finish(parsed: Topology, source: SourceMap, opts: LoadOptions): LoadedTopology {
  const withMobility: Topology = opts.mobility ? { ...parsed, mobility: { ...parsed.mobility, ...definedOnly(opts.mobility) } } : parsed;
  if (opts.hosts !== undefined && !(Number.isInteger(opts.hosts) && opts.hosts >= 1 && opts.hosts <= MAX_HOSTS)) {
    throw new InputError([{ file: '(command line)', path: '--hosts', found: String(opts.hosts), expected: `a whole number of hosts from 1 to ${MAX_HOSTS}` }]);
  }
  const topology = opts.hosts === undefined ? withMobility : splitHosts(withMobility, opts.hosts);
  const issues = checkTopology(topology, source);
  if (opts.lab !== undefined && !/^[a-z][a-z0-9-]{0,23}$/.test(opts.lab)) {
    issues.push({
      file: '(command line)',
      path: '--name',
      found: JSON.stringify(opts.lab),
      expected: 'a lab name of 1 to 24 lower-case letters, digits and "-", starting with a letter',
    });
  }
  if (issues.length > 0) throw new InputError(issues);
  return { topology, plan: resolve(topology, source, opts.lab, { derived: opts.derived ?? true }), source };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
