import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { summarize } from '../../cli/report/stats.js';

const FILE = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

const HEADER = `# Benchmarks

Every figure here is written by a script under \`bench/\`; none is typed by hand. Each section says
which script wrote it, when, and on what machine. Ratios compare dmmlab with the physical limit: the
same kernel work done by a bare shell script, measured in the same run.
`;

/** Replaces (or appends) the section `name` of BENCHMARKS.md, keeping the others. */
export async function writeSection(name: string, body: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(FILE, 'utf8');
  } catch {
    text = HEADER;
  }
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(FILE, text);
}

/** One line describing the machine and the moment, for the top of a section. */
export async function machineLine(script: string): Promise<string> {
  const kernel = (await execa('uname', ['-r'], { reject: false })).stdout;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `Written by \`${script}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, kernel ${kernel}, Node ${process.version}.`;
}

/** Median of some numbers (NaN when there are none). */
export function median(xs: number[]): number {
  return summarize(xs)?.median ?? NaN;
}

/** Markdown table from a header row and rows. */
export function mdTable(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
