import type { LinkParams } from '../topology/schema.js';
import { requireRoot } from '../util/root.js';
import { emit, jsonOption, type Command } from './command.js';
import { usageError } from './usage-error.js';

export const linkCommand: Command = {
  name: 'link',
  summary: 'change a running link: delay, jitter, loss, rate, mtu, or bring it down/up',
  usage: 'link set <lab> <node-a> <node-b> [--delay 20ms] [--jitter 2ms] [--loss 1%] [--rate 10mbit] [--mtu 1400] [--down|--up] [--clear]',
  help: 'Parameters apply to both ends (each end shapes what it sends, so a delay shows twice in a round trip). --clear removes every impairment. Delay, jitter and loss need the sch_netem module; rate works with tbf alone.',
  options: {
    delay: { type: 'string', description: 'one-way delay, e.g. 20ms' },
    jitter: { type: 'string', description: 'delay variation, e.g. 2ms' },
    loss: { type: 'string', description: 'packet loss, e.g. 1%' },
    rate: { type: 'string', description: 'rate limit, e.g. 10mbit' },
    mtu: { type: 'string', description: 'MTU in bytes' },
    down: { type: 'boolean', description: 'bring the link down' },
    up: { type: 'boolean', description: 'bring the link up' },
    clear: { type: 'boolean', description: 'remove every impairment' },
    ...jsonOption,
  },
  async run({ values, positionals }, io) {
    const { LabSession } = await import('../lab/session.js');
    const { linkParams } = await import('../topology/schema.js');
    const [verb, lab, a, b] = positionals;
    if (verb !== 'set' || !lab || !a || !b || positionals.length !== 4) throw usageError(this, 'expected: link set <lab> <node-a> <node-b> [parameters]');
    requireRoot('changing a link');
    const raw: Record<string, unknown> = {};
    for (const k of ['delay', 'jitter', 'loss', 'rate'] as const) if (typeof values[k] === 'string') raw[k] = values[k];
    if (typeof values.mtu === 'string') raw.mtu = Number(values.mtu);
    const parsed = linkParams.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw usageError(this, `--${String(i?.path[0] ?? '?')}: found ${JSON.stringify(raw[String(i?.path[0])])}; expected ${i?.message ?? 'a valid value'}`);
    }
    const params: LinkParams = parsed.data;
    if (Object.keys(params).length === 0 && !values.clear && !values.down && !values.up)
      throw usageError(this, 'nothing to change: give --delay, --jitter, --loss, --rate, --mtu, --clear, --down or --up');
    const session = await LabSession.open(lab, { connectTimeoutMs: 500 });
    try {
      if (Object.keys(params).length || values.clear) await session.setLinkParams(a, b, values.clear ? {} : params);
      if (values.down) await session.setLinkState(a, b, false);
      if (values.up) await session.setLinkState(a, b, true);
    } finally {
      session.close();
    }
    emit(
      io,
      { lab, link: [a, b], params: values.clear ? {} : params, state: values.down ? 'down' : values.up ? 'up' : undefined },
      () =>
        `link ${a}–${b} in ${lab}: ${
          values.clear
            ? 'impairments cleared'
            : Object.entries(params)
                .map(([k, v]) => `${k} ${String(v)}`)
                .join(', ') || ''
        }${values.down ? ' down' : values.up ? ' up' : ''}`,
    );
    return 0;
  },
};
