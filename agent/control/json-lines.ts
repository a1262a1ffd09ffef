import type net from 'node:net';

/** A line longer than this closes the connection (a client that never ends its line). */
const MAX_LINE = 1 << 20;

/**
 * Newline-delimited JSON on a Unix socket, the agents' side of it (the control
 * channel and the agent host's channel): each complete, non-empty line goes to
 * `onLine`; the returned `send` writes one object as one line. An over-long
 * line closes the socket after `onOverlong` has been told.
 */
export function jsonLines(sock: net.Socket, onLine: (line: string) => void, onOverlong?: () => void): (o: unknown) => void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onLine(line);
    }
    if (buf.length > MAX_LINE) {
      onOverlong?.();
      sock.destroy();
    }
  });
  return (o: unknown) => {
    if (!sock.destroyed) sock.write(JSON.stringify(o) + '\n');
  };
}
