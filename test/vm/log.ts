/** Runner messages go to stderr with a `vm:` prefix, so stdout stays the guest's. */
export function vmLog(message: string): void {
  process.stderr.write(`vm: ${message}\n`);
}

/** Seconds with one decimal, for timings in messages. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Mebibytes with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
