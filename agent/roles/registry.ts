import type { AgentContext, Role } from '../context.js';
import { ArRole } from './ar-role.js';
import { HaaRole } from './haa-role.js';
import { LmRole } from './lm-role.js';
import { MnRole } from './mn-role.js';
import { MrRole } from './mr/mr-role.js';

type RoleName = AgentContext['config']['roles'][number];

/** Plain endpoints and forwarders: the agent is there for flows and events. */
class PlainRole implements Role {
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  state(): Record<string, unknown> {
    return {};
  }
}

/**
 * Role factories by name (STYLE.md #3), in start order: the MR first (it owns
 * the datapath the AR uses), then the others. A factory sees the roles
 * already made, so the AR can use its node's MR.
 */
const registry: [RoleName, (ctx: AgentContext, made: Map<string, Role>) => Role][] = [
  ['mr', (ctx) => new MrRole(ctx)],
  ['ar', (ctx, made) => new ArRole(ctx, made.get('mr') as MrRole)],
  ['lm', (ctx) => new LmRole(ctx)],
  ['haa', (ctx) => new HaaRole(ctx)],
  ['mn', (ctx) => new MnRole(ctx)],
  ['cn', () => new PlainRole('cn')],
  ['router', () => new PlainRole('router')],
];

export function createRoles(ctx: AgentContext): Role[] {
  const made = new Map<string, Role>();
  for (const [name, make] of registry) {
    if (ctx.config.roles.includes(name)) made.set(name, make(ctx, made));
  }
  return [...made.values()];
}
