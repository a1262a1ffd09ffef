import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { captureCommand } from './commands/capture.js';
import { cleanupCommand } from './commands/cleanup.js';
import { compareCommand } from './commands/compare.js';
import type { Command, CommandIo } from './commands/command.js';
import { deployCommand } from './commands/deploy.js';
import { destroyCommand } from './commands/destroy.js';
import { execCommand } from './commands/exec.js';
import { exportCommand } from './commands/export.js';
import { graphCommand } from './commands/graph.js';
import { imageCommand } from './commands/image.js';
import { inspectCommand } from './commands/inspect.js';
import { logsCommand } from './commands/logs.js';
import { modelCommand } from './commands/model.js';
import { linkCommand } from './commands/link.js';
import { runCommand } from './commands/run.js';
import { tuiCommand } from './commands/tui.js';
import { validateCommand } from './commands/validate.js';
import { DmmlabError, InputError, errorText } from './errors.js';
import { progressRenderer } from './output/progress-renderer.js';

/** Every verb, in the order `dmmlab --help` lists them. */
const commands: Command[] = [
  runCommand,
  compareCommand,
  modelCommand,
  tuiCommand,
  deployCommand,
  destroyCommand,
  inspectCommand,
  execCommand,
  logsCommand,
  linkCommand,
  captureCommand,
  graphCommand,
  exportCommand,
  validateCommand,
  cleanupCommand,
  imageCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'dmmlab — emulation testbed for IPv6 Distributed Mobility Management',
    '',
    'usage: dmmlab <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'dmmlab <command> --help shows a command’s options. Exit codes: 0 ok, 1 an expectation failed,',
    '2 bad input, 3 something missing on this machine, 4 a runtime operation failed.',
  ].join('\n');
}

function commandHelp(c: Command): string {
  const opts = Object.entries(c.options).map(([k, o]) => `  --${k}${o.type === 'string' ? ' VALUE' : ''}${o.short ? `, -${o.short}` : ''}  ${o.description}`);
  return [`usage: dmmlab ${c.usage}`, '', c.summary, ...(c.help ? ['', c.help] : []), ...(opts.length ? ['', 'options:', ...opts] : [])].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // `dmmlab export ... | head`: a reader that leaves early ends the output, not in a crash.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(help() + '\n');
    return verb ? 0 : 2;
  }
  if (verb === '--version' || verb === 'version') {
    process.stdout.write('dmmlab 0.1.0\n');
    return 0;
  }
  const cmd = commands.find((c) => c.name === verb);
  if (!cmd) {
    process.stderr.write(`dmmlab: unknown command ${JSON.stringify(verb)}\n\n${help()}\n`);
    return 2;
  }
  const dashdash = rest.indexOf('--');
  const words = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
  const after = dashdash >= 0 ? rest.slice(dashdash + 1) : [];
  if (words.includes('--help') || words.includes('-h')) {
    process.stdout.write(commandHelp(cmd) + '\n');
    return 0;
  }
  let parsed;
  try {
    const options = Object.fromEntries(Object.entries(cmd.options).map(([k, { description: _d, ...o }]) => [k, o]));
    parsed = parseArgs({ args: words, options, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`dmmlab ${verb}: ${errorText(e)}\nusage: dmmlab ${cmd.usage}\n`);
    return 2;
  }
  const json = parsed.values.json === true;
  const controller = new AbortController();
  let interrupts = 0;
  let interruptedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    interruptedBy ??= sig;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\n${sig}: stopping (rolling back what is half done); press Ctrl-C again to quit at once\n`);
    controller.abort();
  };
  // A command that changes nothing keeps the default action: the signal ends the process at once.
  const handles = cmd.interrupt !== 'exit';
  if (handles) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const io: CommandIo = { stdout: process.stdout, stderr: process.stderr, json, signal: controller.signal, progress: progressRenderer({ json }) };
  try {
    return await cmd.run(
      { values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals, rest: after },
      io,
    );
  } catch (e) {
    const code = reportError(e, json);
    // Ended by a signal (after rolling back): the shell's convention, 128 + the signal's number.
    return interruptedBy && e instanceof DmmlabError && e.code === 'E_ABORTED' ? 128 + (constants.signals[interruptedBy] ?? 2) : code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function reportError(e: unknown, json: boolean): number {
  if (e instanceof DmmlabError) {
    if (json) {
      process.stdout.write(
        JSON.stringify(
          {
            error: {
              code: e.code,
              message: e.message,
              hint: e.hint,
              ...(e instanceof InputError ? { issues: e.issues, ...(e.more ? { moreIssues: e.more } : {}) } : {}),
            },
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      process.stderr.write(
        `dmmlab: ${e instanceof InputError ? `invalid input (${e.issues.length + e.more} problem${e.issues.length + e.more === 1 ? '' : 's'}):\n` : ''}${e.message}\n`,
      );
      if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    }
    return e.exitCode;
  }
  process.stderr.write(`dmmlab: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
