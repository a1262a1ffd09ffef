import { existsSync } from 'node:fs';
import { ensureBuilt } from '../../support/build.js';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const invalid = (name: string) => `${root}test/fixtures/topologies/invalid/${name}.yaml`;
const valid = (name: string) => `${root}test/fixtures/topologies/valid/${name}.yaml`;

function dmmlab(...args: string[]) {
  return execa('node', [`${root}bin/dmmlab.js`, ...args], { cwd: root, reject: false, timeout: 60_000 });
}

describe('dmmlab validate', () => {
  beforeAll(ensureBuilt, 300_000);

  it.each([
    ['unknown-node-in-link', 11, 22, 'links[0].endpoints[1]', 'found "cn2"; expected a node name (one of mr1, cn1, mn1)'],
    ['self-link', 12, 16, 'links[1].endpoints', 'found a link from mr1 to itself; expected two different nodes'],
    ['mr-network-without-lm', 4, 3, 'networks.home', 'found network home has MR mr1, mr2 but no LM; expected a node with role lm'],
    ['interface-name-too-long', 14, 16, 'links[1].endpoints', 'found interface name "distribution-r01" on node mr1 (16 characters); expected'],
    ['unknown-key-top-level', 3, 1, 'descripton', 'found unknown key "descripton"; expected one of name, description'],
    ['invalid-yaml-unclosed-bracket', 11, 16, '(top level)', 'found invalid YAML (a "[" that is never closed); expected a matching "]"'],
  ])('%s: exit 2, file:line:column: path: found ...; expected ...', async (name, line, column, path, text) => {
    const r = await dmmlab('validate', invalid(name));
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${invalid(name)}:${line}:${column}: ${path}: ${text}`);
  });

  it('names the file as given on the command line, resolved to an absolute path', async () => {
    const r = await dmmlab('validate', 'test/fixtures/topologies/invalid/self-link.yaml');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${invalid('self-link')}:12:16: links[1].endpoints: found`);
  });

  it.each([`${root}topologies/fig1.yaml`, `${root}topologies/smoke.yaml`, valid('parallel-links'), valid('pmipv6')])('%s: exit 0', async (file) => {
    const r = await dmmlab('validate', file);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('valid');
    expect(r.stderr).toBe('');
  });

  it('--json on a valid file prints a summary document', async () => {
    const r = await dmmlab('validate', `${root}topologies/fig1.yaml`, '--json');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ valid: true, lab: 'fig1', networks: 4, nodes: 13, links: 17, mrs: 5, mns: 2 });
  });

  it('--json on an invalid file prints an error document with every issue', async () => {
    const file = invalid('unknown-key-nested');
    const r = await dmmlab('validate', file, '--json');
    expect(r.exitCode).toBe(2);
    const doc = JSON.parse(r.stdout) as { error: { code: string; issues: unknown[] } };
    expect(doc.error.code).toBe('E_INPUT');
    expect(doc.error.issues).toHaveLength(2);
    expect(doc.error.issues).toContainEqual({
      file,
      line: 8,
      column: 5,
      path: 'nodes.mr1.role',
      found: 'unknown key "role"',
      expected: expect.stringContaining('roles') as string,
    });
  });

  it('a missing file is bad input too', async () => {
    const r = await dmmlab('validate', invalid('no-such-file'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${invalid('no-such-file')}: (top level): found no such file; expected a readable YAML file`);
  });

  // Bad input is refused before anything is created: deploy (which needs root) stops at the file.
  it.skipIf(process.getuid?.() !== 0)('deploy of an invalid file exits 2 and creates nothing', async () => {
    const lab = `inv-${process.pid}`;
    const r = await dmmlab('deploy', invalid('mr-network-without-lm'), '--name', lab);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${invalid('mr-network-without-lm')}:4:3: networks.home: found`);
    expect(existsSync(`/run/dmmlab/${lab}`)).toBe(false);
    const netns = await execa('ip', ['netns', 'list'], { reject: false });
    expect(netns.stdout).not.toContain(`dmm-${lab}-`);
  });
});
