import type { DockerStreamEvent } from './docker-stream.js';

/** What a classic-builder `Step n/m : INSTRUCTION` line says. */
export interface BuildStep {
  /** 1-based step number. */
  index: number;
  /** Number of steps in the Dockerfile. */
  total: number;
  /** The instruction as Docker prints it, e.g. `RUN set -e; ...`. */
  instruction: string;
}

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;

/** Removes the colour codes the builder wraps around a step's stderr. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- ESC is what a colour code starts with
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Parses a step header line, or undefined for any other line. */
export function parseStepLine(line: string): BuildStep | undefined {
  const m = STEP.exec(line.trim());
  if (!m) return undefined;
  return { index: Number(m[1]), total: Number(m[2]), instruction: m[3] as string };
}

/**
 * Follows a build stream: which step runs, what each step printed, the image
 * id, the error. Turns a failure into a message naming the failing step with
 * the tail of its output.
 */
export class BuildTranscript {
  /** Steps seen so far, in order. */
  readonly steps: BuildStep[] = [];
  /** Output lines of the current step (without step headers and ` ---> ` lines). */
  private stepOutput: string[] = [];
  private partial = '';
  /** The error the builder reported, if any. */
  error: string | undefined;
  /** Id of the image built (from the `aux` message). */
  imageId: string | undefined;

  /** Feeds one event; returns the step it started, if it was a step header. */
  add(ev: DockerStreamEvent): BuildStep | undefined {
    if (ev.aux?.ID) this.imageId = ev.aux.ID;
    if (ev.error !== undefined || ev.errorDetail?.message !== undefined) {
      this.error = (ev.errorDetail?.message ?? ev.error ?? '').trim();
    }
    let started: BuildStep | undefined;
    const text = this.partial + (ev.stream ?? '');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const raw of lines) {
      const line = stripAnsi(raw).replace(/\r$/, '');
      const step = parseStepLine(line);
      if (step) {
        this.steps.push(step);
        this.stepOutput = [];
        started = step;
      } else if (line.trim() && !/^ ---> /.test(line) && !/^Removing intermediate container /.test(line)) {
        this.stepOutput.push(line);
        if (this.stepOutput.length > 200) this.stepOutput.shift();
      }
    }
    return started;
  }

  /** The step running now (the failing one after an error). */
  get current(): BuildStep | undefined {
    return this.steps[this.steps.length - 1];
  }

  /** The last `n` output lines of the current step. */
  outputTail(n = 20): string[] {
    const rest = stripAnsi(this.partial).trim();
    const out = rest ? [...this.stepOutput, rest] : this.stepOutput;
    return out.slice(-n);
  }

  /** A multi-line description of the failure: step, error, output tail. */
  failureText(n = 20): string {
    const step = this.current;
    const head = step ? `step ${step.index}/${step.total} (${shorten(step.instruction, 100)}) failed` : 'the build failed before its first step';
    // The builder repeats the whole RUN line; the step header already names it.
    const error = (this.error ?? 'no error message').replace(/^The command '[\s\S]*' returned/, 'the command returned');
    const tail = this.outputTail(n);
    return [`${head}: ${error}`, ...(tail.length ? ['output:', ...tail.map((l) => `  | ${l}`)] : [])].join('\n');
  }
}
