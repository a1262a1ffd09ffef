import { LabStates } from '../../../cli/lab/lab-states.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { FakeLab, FakeStepper, MN1_ID, P1, fig1States, flowStats } from './fake-lab.js';
import { KEY, renderTui } from './render-helpers.js';

afterEach(() => cleanup());

/** mn1 moved to mr2 in the fake lab's states. */
function movedToMr2(lab: FakeLab) {
  lab.states = new LabStates(fig1States('mr2'));
}

describe('the whole TUI at 100x30', () => {
  it('draws every panel from live state and events', async () => {
    const t = renderTui();
    await t.see(
      /▸mn1 +at mr11/,
      `▸lm1  ${P1} → mr11`,
      'capture off · 0 packets',
      'scenario: no scenario loaded',
      'no flows — press f to start one',
      '? help  q quit',
    );
    t.lab.emit({ t: 2500, node: 'mr2', kind: 'mh.sent', to: '2001:db8:1::3', msg: 'PBU', seq: 9, purpose: 'location', mnId: MN1_ID });
    await t.see('12:00:02.500 mr2    PBU → lm1 location mn1 seq 9');
    const lines = t.frame().split('\n');
    expect(lines).toHaveLength(29);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  });

  it('uses the extra rows of a taller terminal for the event log', async () => {
    const t = renderTui(new FakeLab(), { columns: 100, rows: 40 });
    for (let i = 0; i < 20; i++) t.lab.emit({ t: 1000 * i, node: 'mr2', kind: 'mh.sent', to: '2001:db8:1::3', msg: 'PBU', seq: i });
    await t.see('seq 19', 'seq 10');
    expect(t.frame()).not.toContain('seq 9 ');
    expect(t.frame().split('\n')).toHaveLength(39);
  });
});

describe('keys', () => {
  it('tab, m and shift-tab select the mobile node', async () => {
    const t = renderTui();
    await t.see('selected mn1');
    await t.press(KEY.tab);
    await t.see('selected mn2', '▸mn2');
    await t.press('m');
    await t.see('selected mn1');
    await t.press(KEY.shiftTab);
    await t.see('selected mn2');
  });

  it('s picks the mobile node from a list', async () => {
    const t = renderTui();
    await t.see('at mr11');
    await t.press('s');
    await t.see('Select a mobile node', 'mn1 at mr11', 'mn2 at mr31');
    await t.press('mn2', KEY.enter);
    await t.see('selected mn2');
  });

  it('h hands the selected node over to an access router picked from its other cells', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    await t.press('h');
    await t.see('Hand mn1 over to', 'mr12 net1', 'mr2 net2');
    expect(t.frame()).not.toMatch(/ mr11 net1/);
    await t.press('mr2', KEY.enter);
    await t.see('✔ handover mn1 mr11 → mr2');
    expect(t.lab.calls).toEqual(['handover mn1 mr2']);
    movedToMr2(t.lab);
    await t.see(/▸mn1 +at mr2/, 'cells  mr11  mr12 [mr2]', `▸lm1  ${P1} → mr2`, `tunnel mr11 ⇒ mr2 ${P1}`, `mr11 ${P1} anchor→mr2`);
  });

  it('H hands over predictively: the lab is asked to prepare the new router first', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    await t.press('H');
    await t.see('Hand mn1 over to (predictive)', 'mr12 net1', 'mr2 net2');
    await t.press('mr2', KEY.enter);
    await t.see('✔ predictive handover mn1 mr11 → mr2');
    expect(t.lab.calls).toEqual(['handover mn1 mr2 predictive']);
  });

  it('Esc closes a picker without doing anything; ↑/↓ move the highlight', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    await t.press('h', KEY.down);
    await t.see('❯ mr2 net2');
    await t.press(KEY.up);
    await t.see('❯ mr12 net1');
    await t.press(KEY.escape);
    await t.see('no flows — press f');
    expect(t.lab.calls).toEqual([]);
  });

  it('a attaches to one more cell, d detaches from one or all', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    await t.press('a');
    await t.see('Attach mn1 to', 'mr12 net1');
    await t.press('mr12', KEY.enter);
    await t.see('✔ attach mn1 to mr12', 'at mr11+mr12');
    await t.press('d');
    await t.see('Detach mn1 from', 'mr11 net1 · attached', 'all every cell');
    await t.press('all', KEY.enter);
    await t.see('✔ detach mn1 from every cell', 'at none');
    await t.press('a', 'mr11', KEY.enter, 'd', KEY.enter);
    await t.see('✔ detach mn1 from mr11');
    expect(t.lab.calls).toEqual(['attach mn1 mr12', 'detach mn1 *', 'attach mn1 mr11', 'detach mn1 mr11']);
  });

  it('f starts a flow: kind, sender, receiver', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    await t.press('f');
    await t.see('Flow kind', '❯ udp', 'tcp', 'icmp');
    await t.press(KEY.enter);
    await t.see('udp flow from', '❯ mn1 mn · net1');
    await t.press('mn2', KEY.enter);
    await t.see('udp flow mn2 → to');
    expect(t.frame()).not.toContain('mn2 mn · net3');
    await t.press('mn1', KEY.enter);
    await t.see('✔ start udp flow f1 mn2 → mn1');
    expect(t.lab.calls).toEqual(['startFlow f1 udp mn2 mn1']);
    await t.press('f', KEY.down, KEY.enter, 'cn', KEY.enter, 'mn1', KEY.enter);
    await t.see('✔ start tcp flow f1 cn → mn1');
  });

  it('shows running flows live and x stops one', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    await t.press('x');
    await t.see('✘ Stop flow: nothing to choose from');
    t.lab.emit({ t: 1, node: 'mn2', kind: 'flow.stats', ...flowStats('sender', { sent: 250 }) });
    t.lab.emit({ t: 2, node: 'mn1', kind: 'flow.stats', ...flowStats('receiver', { received: 240, lost: 1, lastSeq: 249, rate: 99.5 }) });
    await t.see(/f1 +udp +mn2 → mn1 +running +99\.5 pkt\/s +sent 250 +recv 240 +lost 1 +seq 249/, '2001:db8:3:8000::a → 2001:db8:1:8000::b');
    await t.press('x');
    await t.see('Stop flow', 'f1 udp mn2 → mn1');
    await t.press(KEY.enter);
    await t.see('✔ stop flow f1');
    expect(t.lab.calls).toEqual(['stopFlow f1 mn2 mn1']);
  });

  it('c toggles the capture, e exports it', async () => {
    const t = renderTui();
    await t.see('capture off');
    await t.press('c');
    await t.see('✔ capture started', 'capture ● on · 42 packets · /run/dmmlab/fig1t/captures/x');
    await t.press('c');
    await t.see('✔ capture stopped; e exports it', 'capture off · 42 packets');
    await t.press('e');
    await t.see('✔ exported /tmp/fig1t.pcapng', 'capture off · 42 packets · /tmp/fig1t.pcapng');
    t.lab.capture.failExport = 'no packets';
    await t.press('e');
    await t.see('✘ export capture failed: no packets');
    expect(t.lab.capture.calls).toEqual(['start', 'stop', 'export', 'export']);
  });

  it('n and p say when no scenario is loaded', async () => {
    const t = renderTui();
    await t.see('scenario: no scenario loaded');
    await t.press('n');
    await t.see('✘ no scenario loaded');
    await t.press('p');
    await t.see('✘ no scenario loaded');
  });

  it('n steps through a scenario, p plays and pauses it', async () => {
    const lab = new FakeLab({ scenario: true });
    const t = renderTui(lab);
    await t.see('scenario step 1/3: start udp flow f1 mn2 → mn1');
    await t.press('n');
    await t.see('✔ step 1/3: start udp flow f1 mn2 → mn1', 'scenario step 2/3: handover mn1 → mr2');
    await t.press('p');
    await t.see('▶ playing (p pauses)');
    await t.press('p');
    await t.see('✔ scenario paused');
    expect((lab.scenario as FakeStepper).paused).toBe(true);
    await t.see('· n step · p play');
  });

  it('l cycles the event log between key events, signalling and everything', async () => {
    const t = renderTui();
    t.lab.emit({ t: 1, node: 'mr2', kind: 'mh.sent', to: '2001:db8:1::3', msg: 'PBU', seq: 1 });
    t.lab.emit({ t: 2, node: 'lm1', kind: 'mh.received', from: '2001:db8:2::1', msg: 'PBU', seq: 1 });
    t.lab.emit({ t: 3, node: 'mr2', kind: 'route.changed', prefix: P1, route: 'tunnel to mr11', previous: 'none', reason: 'test' });
    await t.see('PBU → lm1 seq 1', 'key events · l: more');
    expect(t.frame()).not.toContain('PBU ← mr2');
    await t.press('l');
    await t.see('signalling · l: more', 'PBU ← mr2 seq 1');
    expect(t.frame()).not.toContain('route 2001');
    await t.press('l');
    await t.see('everything · l: less', `route ${P1}: tunnel to mr11`);
    await t.press('l');
    await t.see('key events · l: more');
  });

  it('? shows the help; any key closes it', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    await t.press('?');
    await t.see('─ Help ─', 'hand the node over to another AR', 'In a list: type to filter');
    await t.press('x');
    await t.see('no flows — press f');
    expect(t.lab.calls).toEqual([]);
  });

  it('q asks: Esc stays, k keeps the lab, d destroys it; ctrl-c asks too', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    await t.press('q');
    await t.see('Lab fig1t: k keep it running · d destroy it · Esc stay');
    await t.press(KEY.escape);
    await t.see('no flows');
    await t.press('q', 'k');
    expect(t.quits).toEqual([{ destroy: false }]);
    await t.press(KEY.ctrlC);
    await t.see('Lab fig1t: k keep it running');
    await t.press('d');
    expect(t.quits).toEqual([{ destroy: false }, { destroy: true }]);
  });
});

describe('trouble', () => {
  it('a terminal that is too small says so, and q still quits', async () => {
    const t = renderTui(new FakeLab(), { columns: 80, rows: 24 });
    await t.see('terminal too small: need 100x30, have 80x24');
    expect(t.frame()).not.toContain('Topology');
    await t.press('h', '?');
    expect(t.frame()).not.toContain('Hand mn1');
    await t.press('q');
    await t.see('k keep it running');
    await t.press('k');
    expect(t.quits).toEqual([{ destroy: false }]);
  });

  it('an agent that dies is shown, not a crash', async () => {
    const t = renderTui();
    await t.see('13 agents up');
    t.lab.agentDown({ node: 'lm2', why: 'connection closed', lastLines: '' });
    await t.see('12/13 agents up, down: lm2', '✗lm2(lm,haa)', 'lm2    AGENT DOWN connection closed');
  });

  it('a lab destroyed under the TUI is shown; actions are refused; q leaves without destroying', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    t.lab.isPresent = false;
    await t.see('LAB DESTROYED', 'the lab was destroyed under the TUI');
    await t.press('h');
    await t.see('✘ lab fig1t is gone: nothing left to drive; q quits');
    await t.press('q');
    await t.see('Lab fig1t is already gone. Enter leaves');
    await t.press('d');
    expect(t.quits).toEqual([{ destroy: false }]);
  });

  it('a failed action shows why and the TUI goes on', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    t.lab.failNext = 'radio change on mn1 failed: boom';
    await t.press('h', 'mr2', KEY.enter);
    await t.see('✘ handover mn1 → mr2 failed: radio change on mn1 failed: boom', 'tui    handover mn1 → mr2 failed');
    await t.press('h', 'mr2', KEY.enter);
    await t.see('✔ handover mn1 mr11 → mr2');
  });

  it('keys typed faster than the screen redraws still land where meant', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    t.stdin.write('h');
    t.stdin.write('m');
    t.stdin.write('r');
    t.stdin.write('2');
    t.stdin.write(KEY.enter);
    await t.see('✔ handover mn1 mr11 → mr2');
    expect(t.lab.calls).toEqual(['handover mn1 mr2']);
  });

  it('keys that reach it in one chunk are taken one by one (a busy machine, ssh, a paste)', async () => {
    const t = renderTui();
    await t.see('[mr11]');
    // Enter closes the node picker; the h after it opens the handover picker instead of joining the filter.
    t.stdin.write('s');
    await t.see('Select a mobile node');
    t.stdin.write(`mn2${KEY.enter}h`);
    await t.see('selected mn2', 'Hand mn2 over to');
    t.stdin.write(`mr32${KEY.backspace}2${KEY.enter}`);
    await t.see('✔ handover mn2 mr31 → mr32');
    expect(t.lab.calls).toEqual(['handover mn2 mr32']);
  });
});

describe('opening', () => {
  it('shows what happened before the TUI opened', async () => {
    const lab = new FakeLab();
    lab.history = [
      { t: 500, node: 'mr2', kind: 'handover.completed', mn: 'mn1', mnId: MN1_ID, mode: 'handover', from: 'mr11', to: 'mr2', ms: 21, prefixes: [P1] },
    ];
    const t = renderTui(lab);
    await t.see(`12:00:00.500 mr2    HANDOVER mn1 mr11 → mr2 in 21.0 ms ${P1}`);
  });
});
