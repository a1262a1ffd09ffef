/**
 * The runtimes a lab can run on. cli/runtime/registry.ts has one factory per
 * name (the compiler checks that it covers this list), and every other list of
 * runtimes — the topology and scenario schemas, the lab state, the CLI's
 * --runtime choices — derives from this one.
 */
export const RUNTIME_NAMES = ['netns', 'docker'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];
