import { DmmlabError } from '../errors.js';
import type { Command } from './command.js';

/** A command-line mistake: exit code 2 and the command's usage line. */
export function usageError(cmd: Pick<Command, 'usage'> | undefined, message: string): DmmlabError {
  return new DmmlabError('E_USAGE', message, cmd ? { hint: `usage: dmmlab ${cmd.usage}` } : {});
}
