import { existsSync } from 'node:fs';
import { execa } from 'execa';

/** Namespaces of a lab still present. */
export async function labNamespaces(lab: string): Promise<string[]> {
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`dmm-${lab}-`));
}

/** Namespaces of a lab's emulated hosts and underlay switch (labs that span hosts) still present. */
export async function hostNamespaces(lab: string): Promise<string[]> {
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`dmmh-${lab}-`) || n === `dmmu-${lab}`);
}

/** Everything of a lab that could be left on the machine: namespaces (nodes' and hosts'), state, processes, containers. */
export async function leftovers(lab: string): Promise<string[]> {
  const out = [...(await labNamespaces(lab)), ...(await hostNamespaces(lab))].map((n) => `netns ${n}`);
  if (existsSync(`/run/dmmlab/${lab}`)) out.push(`state /run/dmmlab/${lab}`);
  const ps = await execa('pgrep', ['-af', `dmm-${lab}-|dmmh-${lab}-|dmmu-${lab}|/run/dmmlab/${lab}/`], { reject: false });
  out.push(
    ...ps.stdout
      .split('\n')
      .filter((l) => l && !l.includes('pgrep'))
      .map((l) => `process ${l}`),
  );
  const docker = await execa('docker', ['ps', '-a', '--filter', `label=dmmlab.lab=${lab}`, '--format', '{{.Names}}'], { reject: false, timeout: 10_000 });
  if (docker.exitCode === 0)
    out.push(
      ...docker.stdout
        .split('\n')
        .filter(Boolean)
        .map((c) => `container ${c}`),
    );
  return out;
}

/** A lab name unique to this test process. */
export function uniqueLab(prefix: string): string {
  return `${prefix}${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`.slice(0, 24);
}
