/**
 * Inputs that once got through or blew up (issue 13): an alias bomb, a UTF-16 or Latin-1 file,
 * a file with thousands of problems, network prefixes no lab can carry. Each is refused as bad
 * input (exit 2), in a few lines, naming the file and the rule.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../cli/errors.js';
import { loadTopology } from '../../../cli/plan/load.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const smoke = readFileSync(path.join(root, 'topologies/smoke.yaml'), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'dmmlab-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Buffer): string {
  const f = path.join(dir, `t${n++}.yaml`);
  writeFileSync(f, content);
  return f;
}

async function refusal(f: string): Promise<InputError> {
  const e: unknown = await loadTopology(f).then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof InputError)) throw new Error(`expected an InputError, got ${String(e)}`);
  expect(e.exitCode).toBe(2);
  return e;
}

describe('hostile and impossible inputs', () => {
  it('refuses an alias bomb, naming the file, before expanding it', async () => {
    let text = 'a: &a [x, x, x, x, x, x, x, x, x]\n';
    let prev = 'a';
    for (const k of 'bcdefghi') {
      text += `${k}: &${k} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
      prev = k;
    }
    const f = file(text);
    const t0 = performance.now();
    const e = await refusal(f);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]?.file).toBe(f);
    expect(e.issues[0]?.found).toContain('more than 100 nodes');
  });

  it('still reads a file with a few aliases', async () => {
    const f = file(smoke.replace('  mr1: { roles: [mr, ar, lm, haa], network: home }', '  mr1: { roles: &all [mr, ar, lm, haa], network: home }'));
    await expect(loadTopology(f)).resolves.toBeDefined();
  });

  it.each([
    ['UTF-16 with a byte order mark', Buffer.from('\ufeff' + smoke, 'utf16le'), 'UTF-16 text'],
    ['Latin-1', Buffer.from('name: caf\xe9\n', 'latin1'), 'not UTF-8'],
  ])('refuses %s in one line, without echoing it', async (_what, bytes, found) => {
    const e = await refusal(file(bytes));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]?.found).toContain(found);
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.message).not.toContain('networks');
  });

  it('lists the first 50 of thousands of problems and counts the rest, quickly', async () => {
    const nodes = Array.from({ length: 3000 }, (_, i) => `  n${i}: { roles: [wizard], network: home }`).join('\n');
    const f = file(`name: many\nnetworks:\n  home: { prefix: 2001:db8:10::/48 }\nnodes:\n${nodes}\n`);
    const t0 = performance.now();
    const e = await refusal(f);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(e.issues).toHaveLength(50);
    expect(e.more).toBe(2950);
    const lines = e.message.split('\n');
    expect(lines).toHaveLength(51);
    expect(lines.at(-1)).toBe('… and 2950 more problems');
  });

  it.each([
    ['ff02::/48', 'multicast'],
    ['fe80::/48', 'link-local'],
    ['::/0', 'length /16 or longer'],
    ['::ffff:0:0/100', 'IPv4-mapped'],
    ['::/16', 'reserved'],
  ])('refuses the network prefix %s at validate, with the rule it breaks', async (prefix, rule) => {
    const e = await refusal(file(smoke.replace('2001:db8:10::/48', prefix)));
    const issue = e.issues.find((i) => i.path === 'networks.home.prefix');
    expect(issue, e.message).toBeDefined();
    expect(`${issue?.found} ${issue?.expected}`).toContain(rule);
  });
});
