import { execa, type ResultPromise } from 'execa';

/**
 * Starts tcpdump writing `iface` of namespace `ns` to `file` (with `filter`, if any) and resolves once
 * it is listening; a tcpdump that exits or says nothing for 10 s rejects. Wrapped: the child is a
 * thenable, which an async function would otherwise wait for.
 */
export async function startTcpdump(ns: string, iface: string, file: string, filter?: string): Promise<{ child: ResultPromise }> {
  const child = execa(
    'ip',
    ['netns', 'exec', ns, 'tcpdump', '-i', iface, '-w', file, '-U', '--immediate-mode', '-Z', 'root', '-n', ...(filter ? [filter] : [])],
    {
      reject: false,
      stdin: 'ignore',
    },
  );
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${ns}/${iface} did not start: ${err}`)), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void child.then((r) => reject(new Error(`tcpdump on ${ns}/${iface} exited: ${String(r.stderr)}`)));
  });
  return { child };
}
