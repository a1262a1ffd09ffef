/**
 * Loads the TUI with Ink drawing live. Ink decides once, when it is first
 * imported, whether it runs "in CI" (CI or CONTINUOUS_INTEGRATION set); if so it
 * draws nothing until the app exits, and a TUI started from a CI job's terminal
 * (tmux in a test, a dev container that exports CI) would stay blank. `dmmlab
 * tui` has checked that it runs on a terminal, so it hides those variables while
 * Ink loads and puts them back afterwards.
 */
export async function importTui(): Promise<typeof import('./start-tui.js')> {
  const keys = ['CI', 'CONTINUOUS_INTEGRATION'] as const;
  const saved = keys.map((k) => [k, process.env[k]] as const);
  for (const k of keys) delete process.env[k];
  try {
    return await import('./start-tui.js');
  } finally {
    for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
  }
}
