import type { Progress } from '../util/progress.js';

/**
 * Renders library progress for people: a live line on a TTY (phase, count,
 * elapsed), plain timestamped lines otherwise. With --json, progress goes to
 * stderr as JSON lines so stdout stays a single JSON document.
 */
export function progressRenderer(opts: { json: boolean; stream?: NodeJS.WriteStream; quiet?: boolean }): Progress {
  const out = opts.stream ?? process.stderr;
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
  if (opts.quiet) return { phase() {}, tick() {}, info() {}, warn: (m) => void out.write(`warning: ${m}\n`), done() {} };
  if (opts.json) {
    const emit = (o: object) => void out.write(JSON.stringify({ t: Number(elapsed().slice(0, -1)), ...o }) + '\n');
    return {
      phase: (label, total) => emit({ event: 'phase', label, total }),
      tick: () => {},
      info: (message) => emit({ event: 'info', message }),
      warn: (message) => emit({ event: 'warn', message }),
      done: (summary) => emit({ event: 'done', summary }),
    };
  }
  const tty = Boolean(out.isTTY);
  let label = '';
  let total: number | undefined;
  let count = 0;
  let lastDraw = 0;
  const draw = (final = false) => {
    if (!tty) return;
    const now = performance.now();
    if (!final && now - lastDraw < 50) return;
    lastDraw = now;
    const counter = total === undefined ? '' : ` ${count}/${total}`;
    out.write(`\r\x1b[2K${final ? '✔' : '…'} ${label}${counter} ${elapsed()}${final ? '\n' : ''}`);
  };
  return {
    phase(l, t) {
      label = l;
      total = t;
      count = 0;
      if (tty) draw();
      else out.write(`[${elapsed()}] ${l}${t === undefined ? '' : ` (${t})`}\n`);
    },
    tick(n = 1) {
      count += n;
      draw();
    },
    info(m) {
      if (tty) out.write('\r\x1b[2K');
      out.write(`${m}\n`);
    },
    warn(m) {
      if (tty) out.write('\r\x1b[2K');
      out.write(`warning: ${m}\n`);
    },
    done(summary) {
      if (tty) {
        if (summary) label = `${label}: ${summary}`;
        draw(true);
      } else if (summary) out.write(`[${elapsed()}] ${summary}\n`);
    },
  };
}
