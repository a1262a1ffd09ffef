import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DmmlabError } from '../errors.js';
import { parsePackageList, type ImagePackage } from './package-list.js';

/** The files a node image is built from, read into memory. */
export interface NodeImageFiles {
  /** Directory holding Dockerfile and packages.txt. */
  dir: string;
  /** Bytes of the Dockerfile. */
  dockerfile: Buffer;
  /** Bytes of packages.txt. */
  packagesTxt: Buffer;
  /** The parsed package list. */
  packages: ImagePackage[];
  /** Absolute path of the agent bundle. */
  agentPath: string;
  /** Bytes of the agent bundle. */
  agentBundle: Buffer;
}

/**
 * `images/node` of this checkout or package, found by walking up from this
 * module (it sits at cli/image/ in the sources and dist/cli/image/ when built).
 */
export function defaultNodeImageDir(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'images', 'node');
    if (existsSync(path.join(candidate, 'Dockerfile'))) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new DmmlabError('E_ENV', `images/node/Dockerfile not found above ${from}`, { hint: 'run dmmlab from its checkout or installed package' });
}

async function readInput(file: string, what: string, hint: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new DmmlabError('E_ENV', `cannot read the ${what} ${file}: ${(e as Error).message}`, { cause: e, hint });
  }
}

/** Reads the Dockerfile, packages.txt and the agent bundle. */
export async function readNodeImageFiles(agentBundle: string, dir: string = defaultNodeImageDir()): Promise<NodeImageFiles> {
  const agentPath = path.resolve(agentBundle);
  const dockerfile = await readInput(path.join(dir, 'Dockerfile'), 'node image Dockerfile', 'restore images/node/Dockerfile');
  const packagesFile = path.join(dir, 'packages.txt');
  const packagesTxt = await readInput(packagesFile, 'package list', 'restore images/node/packages.txt');
  const bundle = await readInput(agentPath, 'agent bundle', 'build it first: node scripts/bundle-agent.js (npm run build)');
  return { dir, dockerfile, packagesTxt, packages: parsePackageList(packagesTxt.toString('utf8'), packagesFile), agentPath, agentBundle: bundle };
}

/** The default of `ARG BASE=...` in the Dockerfile: the online recipe's base image. */
export function defaultBaseArg(dockerfile: string): string {
  const m = /^\s*ARG\s+BASE=(\S+)\s*$/m.exec(dockerfile);
  if (!m) throw new DmmlabError('E_ENV', 'the node image Dockerfile has no `ARG BASE=<image>` line', { hint: 'restore images/node/Dockerfile' });
  return m[1] as string;
}
