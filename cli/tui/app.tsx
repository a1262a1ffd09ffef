import { Box, type Key } from 'ink';
import { useCallback, useMemo, useReducer, useRef, type ReactNode } from 'react';
import { BindingsPanel } from './components/bindings-panel.js';
import { CaptureStatus } from './components/capture-status.js';
import { ErrorBoundary } from './components/error-boundary.js';
import { EventLog } from './components/event-log.js';
import { FlowsPanel } from './components/flows-panel.js';
import { Footer } from './components/footer.js';
import { Header } from './components/header.js';
import { HelpOverlay } from './components/help-overlay.js';
import { Picker } from './components/picker.js';
import { QuitDialog } from './components/quit-dialog.js';
import { ScenarioStatus } from './components/scenario-status.js';
import { TooSmall } from './components/too-small.js';
import { TopologyPanel } from './components/topology-panel.js';
import { useActions } from './hooks/use-actions.js';
import { useCommands } from './hooks/use-commands.js';
import { useKeys } from './hooks/use-keys.js';
import { useLabEvents } from './hooks/use-lab-events.js';
import { useLabPolling } from './hooks/use-lab-polling.js';
import { useTerminalSize, type TerminalSize } from './hooks/use-terminal-size.js';
import { useUi } from './hooks/use-ui.js';
import { actionFor } from './keys.js';
import { layoutFor, type Layout } from './layout.js';
import type { TuiLab } from './tui-lab.js';
import { bindingsView, flowsView, initialModel, mobileNodes, reduce, topologyView, visibleLog, type TuiModel } from './tui-model.js';
import { pickerKey, quitKey, type UiState } from './ui-state.js';

export interface QuitChoice {
  /** Destroy the lab (true) or leave it running (false). */
  destroy: boolean;
}

export interface AppProps {
  lab: TuiLab;
  /** The user chose to leave; the caller unmounts and destroys the lab or not. */
  onQuit: (choice: QuitChoice) => void;
  /** Fixed terminal size (frame tests); default: the terminal's, following resizes. */
  size?: TerminalSize;
  /** How often agent states and radios are polled (default 500 ms). */
  pollMs?: number;
  /** How long events are batched before a render (default 50 ms). */
  flushMs?: number;
  /** Why no scenario is loaded when one was given on the command line. */
  scenarioMissing?: string;
}

/** The root: one ErrorBoundary around the whole TUI. */
export function App(props: AppProps) {
  const { onQuit } = props;
  const leave = useCallback(() => onQuit({ destroy: false }), [onQuit]);
  return (
    <ErrorBoundary onQuit={leave}>
      <Tui {...props} />
    </ErrorBoundary>
  );
}

function Tui({ lab, onQuit, size: fixedSize, pollMs, flushMs, scenarioMissing }: AppProps) {
  const size = useTerminalSize(fixedSize);
  const layout = layoutFor(size);
  const [model, dispatch] = useReducer(reduce, lab, (l: TuiLab) => initialModel(l.plan, { monoToWallMs: l.monoToWallMs, down: l.deadAgents }));
  const modelRef = useRef(model);
  modelRef.current = model;
  useLabEvents(lab, dispatch, flushMs);
  useLabPolling(lab, dispatch, pollMs);
  const { status, run, say } = useActions(dispatch);
  const { ui, update } = useUi();
  const mns = useMemo(() => mobileNodes(lab.plan), [lab]);
  const commands = useCommands({ lab, mobileNodes: mns, model: () => modelRef.current, ui, update, run, say, tooSmall: () => !layout });

  useKeys((input: string, key: Key) => {
    const modal = ui().modal;
    const close = () => update({ modal: { kind: 'none' } });
    switch (modal.kind) {
      case 'none': {
        const action = actionFor(input, key);
        if (action) commands[action]();
        return;
      }
      case 'help':
        return close();
      case 'quit': {
        const choice = quitKey(input, key, modelRef.current.labGone);
        if (choice === 'cancel') close();
        else if (choice) onQuit({ destroy: choice === 'destroy' });
        return;
      }
      case 'picker': {
        const r = pickerKey(modal, input, key);
        if ('picker' in r) update({ modal: r.picker });
        else {
          close();
          if ('pick' in r) modal.onPick(r.pick);
        }
      }
    }
  });

  const state = ui();
  const selected = mns[state.selected];
  const quitDialog = (width: number) => <QuitDialog lab={lab.lab} labGone={model.labGone} width={width} />;
  if (!layout) {
    return (
      <Box flexDirection="column">
        <TooSmall columns={size.columns} rows={size.rows} />
        {state.modal.kind === 'quit' ? quitDialog(size.columns) : null}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={layout.columns} height={layout.rows}>
      <Header
        lab={lab.lab}
        nodes={lab.plan.nodes.length}
        agents={lab.plan.nodes.filter((n) => n.agent).length}
        down={Object.keys(model.down)}
        labGone={model.labGone}
        selected={selected}
      />
      <Box height={layout.topHeight}>
        <TopologyPanel view={topologyView(lab.plan, model)} selected={selected} width={layout.topologyWidth} height={layout.topHeight} />
        <BindingsPanel view={bindingsView(lab.plan, model)} selected={selected} width={layout.bindingsWidth} height={layout.topHeight} />
      </Box>
      <Box flexDirection="column" height={layout.bottomHeight}>
        <Bottom lab={lab} model={model} state={state} layout={layout} scenarioMissing={scenarioMissing} quitDialog={quitDialog} />
      </Box>
      <Footer status={status} />
    </Box>
  );
}

interface BottomProps {
  lab: TuiLab;
  model: TuiModel;
  state: UiState;
  layout: Layout;
  scenarioMissing: string | undefined;
  quitDialog: (width: number) => ReactNode;
}

/** Below the top panels: capture and scenario status, flows and events, or the open dialog in their place. */
function Bottom({ lab, model, state, layout, scenarioMissing, quitDialog }: BottomProps) {
  const width = layout.columns;
  const height = layout.bottomHeight;
  switch (state.modal.kind) {
    case 'help':
      return <HelpOverlay width={width} height={height} />;
    case 'quit':
      return quitDialog(width);
    case 'picker':
      return <Picker picker={state.modal} width={width} height={height} />;
    case 'none':
      return (
        <>
          <CaptureStatus status={model.capture} />
          <ScenarioStatus scenario={lab.scenario} playing={state.playing} {...(scenarioMissing ? { missing: scenarioMissing } : {})} />
          <FlowsPanel flows={flowsView(model)} width={width} height={layout.flowsHeight} />
          <EventLog entries={visibleLog(model, state.logFilter)} filter={state.logFilter} width={width} height={layout.eventsHeight} />
        </>
      );
  }
}
