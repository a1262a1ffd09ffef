import { ROLES, type RoleName } from '../../shared/control/roles.js';
import type { NoState } from '../../shared/control/role-state.js';
import type { AgentContext, AnyRole, Role } from '../context.js';
import { ArRole } from './ar/ar-role.js';
import { HaaRole } from './haa/haa-role.js';
import { LmRole } from './lm/lm-role.js';
import { MnRole } from './mn/mn-role.js';
import { MrRole } from './mr/mr-role.js';

/** Plain endpoints and forwarders: the agent is there for flows and events. */
class PlainRole<R extends 'cn' | 'router'> implements Role<R> {
  constructor(readonly name: R) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  state(): NoState {
    return {};
  }
}

/** The roles made so far on this node (a factory may need one made before it: the AR needs its MR). */
interface Made {
  mr?: MrRole;
}

/**
 * One factory per role of the contract's ROLES list; the
 * record's type makes the two agree. Roles start in ROLES order: the MR
 * before the AR, which uses it through its port.
 */
const factories: { [R in RoleName]: (ctx: AgentContext, made: Made) => Role<R> } = {
  mr: (ctx, made) => (made.mr = new MrRole(ctx)),
  lm: (ctx) => new LmRole(ctx),
  haa: (ctx) => new HaaRole(ctx),
  ar: (ctx, made) => {
    if (!made.mr) throw new Error(`${ctx.config.node} has role ar without mr (an access router is a flat-DMM MR)`);
    return new ArRole(ctx, made.mr);
  },
  mn: (ctx) => new MnRole(ctx),
  cn: () => new PlainRole('cn'),
  router: () => new PlainRole('router'),
};

export function createRoles(ctx: AgentContext): AnyRole[] {
  const made: Made = {};
  return ROLES.filter((r) => ctx.config.roles.includes(r)).map((r) => factories[r](ctx, made));
}
