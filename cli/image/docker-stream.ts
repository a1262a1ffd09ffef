import { errorText } from '../errors.js';
/** One JSON message of a Docker build, pull or import stream. */
export interface DockerStreamEvent {
  /** Build output text (step headers, command output), newline-terminated. */
  stream?: string;
  /** Pull/import status ("Downloading", "sha256:..."). */
  status?: string;
  /** Layer id a pull status refers to. */
  id?: string;
  /** Progress bar text of a pull. */
  progress?: string;
  /** Set when the operation failed. */
  error?: string;
  /** Structured form of `error`. */
  errorDetail?: { code?: number; message?: string };
  /** Extra data, e.g. `{ ID: "sha256:..." }` for the image built. */
  aux?: { ID?: string };
}

/** Splits chunks into complete lines, keeping the unfinished tail for the next chunk. */
export class LineSplitter {
  private buf = '';
  push(chunk: string): string[] {
    this.buf += chunk;
    const parts = this.buf.split(/\r?\n/);
    this.buf = parts.pop() ?? '';
    return parts.filter((l) => l.trim() !== '');
  }
  /** The last line if the stream ended without a newline. */
  flush(): string[] {
    const rest = this.buf.trim();
    this.buf = '';
    return rest ? [rest] : [];
  }
}

/** Parses one stream line; text that is not JSON becomes `{ stream: line }`. */
export function parseStreamLine(line: string): DockerStreamEvent {
  try {
    const v: unknown = JSON.parse(line);
    if (v && typeof v === 'object') return v;
  } catch {
    // not JSON: keep the text
  }
  return { stream: `${line}\n` };
}

/**
 * Reads a Docker JSON-lines stream to its end, calling `onEvent` for every
 * message, and resolves with all of them. Rejects only if the stream errors;
 * `error` messages are the caller's to judge.
 */
export function followDockerStream(stream: NodeJS.ReadableStream, onEvent: (e: DockerStreamEvent) => void = () => {}): Promise<DockerStreamEvent[]> {
  const events: DockerStreamEvent[] = [];
  const split = new LineSplitter();
  const emit = (lines: string[]) => {
    for (const line of lines) {
      const ev = parseStreamLine(line);
      events.push(ev);
      onEvent(ev);
    }
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err) return reject(err instanceof Error ? err : new Error(errorText(err)));
      emit(split.flush());
      resolve(events);
    };
    stream.on('data', (chunk: Buffer | string) => emit(split.push(chunk.toString())));
    stream.on('error', (err: unknown) => finish(err ?? new Error('stream error')));
    stream.on('end', () => finish());
    stream.on('close', () => finish());
  });
}

/** The error a finished stream reported, if any. */
export function streamError(events: readonly DockerStreamEvent[]): string | undefined {
  const bad = events.find((e) => e.error !== undefined || e.errorDetail?.message !== undefined);
  return bad ? (bad.errorDetail?.message ?? bad.error ?? 'unknown error').trim() : undefined;
}
