import { readFile } from 'node:fs/promises';

/** The last `n` lines of a file ('' if it cannot be read): what a dead agent said last. */
export async function lastLines(file: string, n = 15): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}
