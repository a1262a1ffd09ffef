import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Used when neither DMMLAB_DEBIAN_MIRROR nor apt's sources name a mirror for the suite. */
export const FALLBACK_DEBIAN_MIRROR = 'http://deb.debian.org/debian';

interface SourceEntry {
  uri: string;
  suites: string[];
}

/** Entries of a one-line `.list` file: `deb [opts] uri suite components...`. */
function parseListFormat(text: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw
      .replace(/#.*/, '')
      .replace(/\[[^\]]*\]/, ' ')
      .trim()
      .split(/\s+/);
    if (line[0] !== 'deb' || line.length < 3) continue;
    out.push({ uri: line[1] as string, suites: [line[2] as string] });
  }
  return out;
}

/** Entries of a deb822 `.sources` file (stanzas of `Key: value`). */
function parseDeb822(text: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set((m[1] as string).toLowerCase(), m[2] as string);
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if (/^no$/i.test(fields.get('enabled') ?? 'yes')) continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) out.push({ uri, suites });
  }
  return out;
}

/**
 * The first mirror apt's sources use for `suite` itself (not -updates or
 * -security), from the files' texts; `.sources` files are deb822.
 */
export function mirrorFromSources(files: readonly { name: string; text: string }[], suite: string): string | undefined {
  for (const f of files) {
    const entries = f.name.endsWith('.sources') ? parseDeb822(f.text) : parseListFormat(f.text);
    const hit = entries.find((e) => e.suites.includes(suite) && /^https?:\/\//.test(e.uri));
    if (hit) return hit.uri.replace(/\/+$/, '');
  }
  return undefined;
}

/** DMMLAB_DEBIAN_MIRROR, else the mirror apt is configured with for `suite`, else deb.debian.org. */
export async function debianMirror(suite: string, aptDir = '/etc/apt'): Promise<string> {
  const fromEnv = process.env.DMMLAB_DEBIAN_MIRROR;
  if (fromEnv) return fromEnv;
  const files: { name: string; text: string }[] = [];
  const tryRead = async (file: string) => {
    try {
      files.push({ name: file, text: await readFile(file, 'utf8') });
    } catch {
      // absent or unreadable: skip
    }
  };
  await tryRead(path.join(aptDir, 'sources.list'));
  const dir = path.join(aptDir, 'sources.list.d');
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names.sort()) if (n.endsWith('.list') || n.endsWith('.sources')) await tryRead(path.join(dir, n));
  return mirrorFromSources(files, suite) ?? FALLBACK_DEBIAN_MIRROR;
}
