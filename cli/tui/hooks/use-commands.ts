import { useRef } from 'react';
import type { KeyAction } from '../keys.js';
import type { PickItem } from '../picker-items.js';
import type { TuiLab } from '../tui-lab.js';
import { LOG_FILTERS, cellsOf, flowsView, nextFlowId, topologyView, type TuiModel } from '../tui-model.js';
import type { UiState } from '../ui-state.js';

export interface CommandDeps {
  lab: TuiLab;
  /** Mobile nodes of the lab, in plan order. */
  mobileNodes: string[];
  /** The latest model and UI state (read when a key arrives, not when the screen was drawn). */
  model: () => TuiModel;
  ui: () => UiState;
  update: (change: Partial<UiState> | ((old: UiState) => Partial<UiState>)) => void;
  run: (label: string, fn: () => Promise<string | void>) => void;
  say: (text: string, error?: boolean) => void;
  /** The terminal is too small to show anything but the quit dialog. */
  tooSmall: () => boolean;
}

const FLOW_KINDS: PickItem[] = [
  { value: 'udp', label: 'udp', hint: '100 packets/s with sequence numbers' },
  { value: 'tcp', label: 'tcp', hint: 'one long-lived stream' },
  { value: 'icmp', label: 'icmp', hint: 'echo requests, 10/s' },
];

/**
 * What each key of the main view does: which list to offer (cells of the
 * selected node, nodes, flows) and which TuiLab call to make with the
 * choice. Lists come from the plan and the polled state; the lab decides
 * everything else.
 */
export function useCommands(d: CommandDeps): Record<KeyAction, () => void> {
  const pickerId = useRef(0);
  const { lab } = d;
  const selected = () => d.mobileNodes[d.ui().selected];
  const picker = (title: string, items: PickItem[], onPick: (v: string) => void) => {
    if (items.length === 0) return d.say(`${title}: nothing to choose from`, true);
    d.update({ modal: { kind: 'picker', id: ++pickerId.current, title, items, filter: '', index: 0, onPick } });
  };
  const live = (f: () => void) => () => {
    if (d.tooSmall()) return;
    if (d.model().labGone) return d.say(`lab ${lab.lab} is gone: nothing left to drive; q quits`, true);
    f();
  };
  const withMn = (f: (mn: string) => void) =>
    live(() => {
      const mn = selected();
      if (mn) f(mn);
      else d.say('this lab has no mobile node', true);
    });
  const cells = (mn: string) =>
    topologyView(lab.plan, d.model()).mobileNodes.find((m) => m.name === mn)?.cells ?? cellsOf(lab.plan, mn).map((ar) => ({ ar, up: false }));
  const network = (node: string) => lab.plan.nodes.find((n) => n.name === node)?.network ?? '';
  const arItems = (list: { ar: string; up: boolean }[]) =>
    list.map((c) => ({ value: c.ar, label: c.ar, hint: `${network(c.ar)}${c.up ? ' · attached' : ''}` }));
  const agentNodes = () => {
    const nodes = lab.plan.nodes.filter((n) => n.agent);
    const mobile = nodes.filter((n) => n.roles.includes('mn'));
    return [...mobile, ...nodes.filter((n) => !n.roles.includes('mn'))].map((n) => ({
      value: n.name,
      label: n.name,
      hint: `${n.roles.join(',')} · ${n.network}`,
    }));
  };
  const handover = (mn: string, predictive: boolean) =>
    picker(`Hand ${mn} over to${predictive ? ' (predictive)' : ''}`, arItems(cells(mn).filter((c) => !c.up)), (ar) =>
      d.run(`${predictive ? 'predictive ' : ''}handover ${mn} → ${ar}`, async () => {
        const r = await lab.handover(mn, ar, predictive ? { predictive: true } : undefined);
        return `${predictive ? 'predictive ' : ''}handover ${mn} ${r.from.join('+') || '(none)'} → ${r.to}`;
      }),
    );
  const select = (delta: number) => {
    const n = d.mobileNodes.length;
    if (n) d.update((u) => ({ selected: (u.selected + delta + n) % n }));
  };

  return {
    nextMn: () => select(1),
    previousMn: () => select(-1),
    pickMn: live(() => {
      const view = topologyView(lab.plan, d.model());
      picker(
        'Select a mobile node',
        d.mobileNodes.map((mn) => ({ value: mn, label: mn, hint: `at ${view.mobileNodes.find((m) => m.name === mn)?.attachedTo.join('+') || 'none'}` })),
        (mn) => d.update({ selected: Math.max(0, d.mobileNodes.indexOf(mn)) }),
      );
    }),
    handover: withMn((mn) => handover(mn, false)),
    predictiveHandover: withMn((mn) => handover(mn, true)),
    attach: withMn((mn) =>
      picker(`Attach ${mn} to`, arItems(cells(mn).filter((c) => !c.up)), (ar) => d.run(`attach ${mn} to ${ar}`, () => lab.attach(mn, ar))),
    ),
    detach: withMn((mn) => {
      const up = cells(mn).filter((c) => c.up);
      const items = [...arItems(up), ...(up.length > 1 ? [{ value: '*', label: 'all', hint: 'every cell' }] : [])];
      picker(`Detach ${mn} from`, items, (ar) =>
        d.run(`detach ${mn} from ${ar === '*' ? 'every cell' : ar}`, () => lab.detach(mn, ar === '*' ? undefined : ar)),
      );
    }),
    startFlow: live(() =>
      picker('Flow kind', FLOW_KINDS, (kind) =>
        picker(`${kind} flow from`, agentNodes(), (from) =>
          picker(
            `${kind} flow ${from} → to`,
            agentNodes().filter((n) => n.value !== from),
            (to) => {
              const id = nextFlowId(d.model());
              d.run(`start ${kind} flow ${id} ${from} → ${to}`, async () => {
                await lab.startFlow({ id, kind: kind as 'udp' | 'tcp' | 'icmp', from, to });
              });
            },
          ),
        ),
      ),
    ),
    stopFlow: live(() => {
      const running = flowsView(d.model()).filter((f) => f.state === 'running' && f.from);
      picker(
        'Stop flow',
        running.map((f) => ({ value: f.id, label: f.id, hint: `${f.kind} ${f.from} → ${f.to ?? '-'}` })),
        (id) => {
          const f = running.find((x) => x.id === id)!;
          d.run(`stop flow ${id}`, async () => {
            await lab.stopFlow({ id, from: f.from!, to: f.to ?? f.from!, ...(isKind(f.kind) ? { kind: f.kind } : {}) });
          });
        },
      );
    }),
    capture: live(() =>
      d.model().capture.on
        ? d.run('stop capture', async () => {
            await lab.capture.stop();
            return 'capture stopped; e exports it';
          })
        : d.run('start capture', async () => {
            await lab.capture.start();
            return 'capture started';
          }),
    ),
    export: live(() => d.run('export capture', async () => `exported ${await lab.capture.export()}`)),
    step: live(() => {
      const s = lab.scenario;
      if (!s) return d.say('no scenario loaded', true);
      if (s.position >= s.steps.length) return d.say('the scenario is finished');
      d.run(`step ${s.position + 1}/${s.steps.length}: ${s.steps[s.position] ?? ''}`, () => s.next());
    }),
    play: live(() => {
      const s = lab.scenario;
      if (!s) return d.say('no scenario loaded', true);
      if (d.ui().playing) {
        s.pause();
        d.update({ playing: false });
        return d.say('scenario paused');
      }
      d.update({ playing: true });
      d.run('play scenario', () => s.play().finally(() => d.update({ playing: false })));
    }),
    logFilter: () => d.update((u) => ({ logFilter: LOG_FILTERS[(LOG_FILTERS.indexOf(u.logFilter) + 1) % LOG_FILTERS.length] ?? 'key' })),
    help: () => (d.tooSmall() ? undefined : d.update({ modal: { kind: 'help' } })),
    quit: () => d.update({ modal: { kind: 'quit' } }),
  };
}

function isKind(k: string): k is 'udp' | 'tcp' | 'icmp' {
  return k === 'udp' || k === 'tcp' || k === 'icmp';
}
