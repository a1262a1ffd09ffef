import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../../cli/api.js';
import { ensureBuilt } from '../../support/build.js';
import { ROOT } from '../../support/cli.js';
import { leftovers, uniqueLab } from '../../support/lab-leftovers.js';
import { testRuntimes } from '../../support/runtimes.js';

const runtimes = await testRuntimes();

describe.each(runtimes)('the library API on %s', (runtime) => {
  it('deploys with `await using`, drives the lab through its session, and removes it when the block ends', async () => {
    await ensureBuilt();
    const name = uniqueLab('api');
    {
      await using lab = await Lab.deploy({ topology: path.join(ROOT, 'topologies/fig1.yaml'), name, runtime });
      expect(lab.name).toBe(name);
      expect(lab.deployed.runtime).toBe(runtime);
      const states = await lab.session.allStates();
      // One reader for every agent's state: the LM of network 1 binds mn1's prefix at mr11, where it starts.
      expect(states.bindings().some((b) => b.lm === 'lm1' && b.mr === 'mr11')).toBe(true);
      expect(states.visitors().find((v) => v.mn === 'mn1' && v.ar === 'mr11')?.state).toBe('attached');
      const done = lab.session.waitFor(['handover.completed'], (e) => e.node === 'mr2' && e.mn === 'mn1', 20_000, 'mn1 at mr2');
      await lab.session.handover('mn1', 'mr2');
      expect((await done).from).toBe('mr11');
      expect(await leftovers(name)).not.toEqual([]);
    }
    expect(await leftovers(name)).toEqual([]);
  });

  it('removes the lab when the block throws', async () => {
    const name = uniqueLab('apit');
    await expect(
      (async () => {
        await using lab = await Lab.deploy({ topology: path.join(ROOT, 'topologies/smoke.yaml'), name, runtime });
        await lab.session.handover('nope', 'mr1');
      })(),
    ).rejects.toThrow(/no node nope/);
    expect(await leftovers(name)).toEqual([]);
  });
});
