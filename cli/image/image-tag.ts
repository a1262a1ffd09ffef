import { createHash } from 'node:crypto';

/** Repository of the node images. */
export const NODE_REPO = 'dmmlab/node';
/** Repository of the offline (debootstrap) base images. */
export const BASE_REPO = 'dmmlab/base';
/** Bumped when the offline base recipe (debootstrap flags, rootfs trimming) changes. */
export const BASE_RECIPE = 'dmmlab-base/1';
/** Bumped when the way node images are assembled (build context, build args) changes. */
export const NODE_RECIPE = 'dmmlab-node/1';

/** What the offline base image is made of; the mirror is deliberately not part of it. */
export interface BaseSpec {
  /** Debian suite passed to debootstrap (bookworm). */
  suite: string;
  /** debootstrap --variant (minbase). */
  variant: string;
  /** Debian architecture (amd64, arm64). */
  arch: string;
  /** Packages passed to --include, in any order. */
  packages: readonly string[];
}

/** The build inputs of a node image. */
export interface NodeImageInputs {
  /** Bytes of images/node/Dockerfile. */
  dockerfile: string | Uint8Array;
  /** Bytes of images/node/packages.txt. */
  packagesTxt: string | Uint8Array;
  /** Bytes of the agent bundle copied to /opt/dmmlab/agent.mjs. */
  agentBundle: string | Uint8Array;
  /** Build args: BASE (the base identity) and INSTALL_PACKAGES. */
  buildArgs: Readonly<Record<string, string>>;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The text hashed for a base tag, one `key value` line each, so that it can be
 * reproduced by hand with printf | sha256sum (images/README.md).
 */
export function baseManifest(spec: BaseSpec): string {
  const packages = [...new Set(spec.packages)].sort().join(' ');
  return [BASE_RECIPE, `suite ${spec.suite}`, `variant ${spec.variant}`, `arch ${spec.arch}`, `packages ${packages}`, ''].join('\n');
}

/** The text hashed for a node tag: build args sorted by name, then file digests. */
export function nodeManifest(inputs: NodeImageInputs): string {
  const args = Object.keys(inputs.buildArgs)
    .sort()
    .map((k) => `arg ${k}=${inputs.buildArgs[k]}`);
  return [
    NODE_RECIPE,
    ...args,
    `dockerfile ${sha256(inputs.dockerfile)}`,
    `packages ${sha256(inputs.packagesTxt)}`,
    `agent ${sha256(inputs.agentBundle)}`,
    '',
  ].join('\n');
}

/** `dmmlab/base:<12 hex>`: changes only with the suite, variant, arch and package set. */
export function baseImageTag(spec: BaseSpec): string {
  return `${BASE_REPO}:${sha256(baseManifest(spec)).slice(0, 12)}`;
}

/** `dmmlab/node:<12 hex>`: changes with any build input. */
export function nodeImageTag(inputs: NodeImageInputs): string {
  return `${NODE_REPO}:${sha256(nodeManifest(inputs)).slice(0, 12)}`;
}

/** Debian's name for this machine's architecture. */
export function debianArch(nodeArch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };
  return map[nodeArch] ?? nodeArch;
}
