import { readFile } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit as visitYaml, type Document, type Node as YamlNode } from 'yaml';
import { CORE_SCHEMA, load as loadFast } from 'js-yaml';
import type { z } from 'zod';
import { InputError, MAX_LISTED_ISSUES, type InputIssue } from '../errors.js';

/** A parsed YAML file that can say where a field path sits in it. */
export interface SourceMap {
  file: string;
  /** Line and column (1-based) of the value at `path`, or of its nearest existing parent. */
  locate(path: readonly PropertyKey[], keyOf?: string): { line: number; column: number } | undefined;
}

export interface Loaded<T> {
  value: T;
  source: SourceMap;
}

/**
 * Reads a YAML file, checks it against `schema`, and returns the typed value
 * with a map from field paths to lines. Every problem (syntax, duplicate keys,
 * unknown keys, wrong values) becomes an InputIssue naming file:line:column,
 * the field path, what was found and what was expected.
 */
export async function loadYamlFile<S extends z.ZodType>(file: string, schema: S): Promise<Loaded<z.infer<S>>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError([{ file, path: '', found: code === 'ENOENT' ? 'no such file' : `unreadable file (${code})`, expected: 'a readable YAML file' }]);
  }
  return parseYamlText(file, utf8Text(file, bytes), schema);
}

/** Alias expansions a file may make (YAML "billion laughs" files make billions). */
export const MAX_ALIAS_EXPANSIONS = 100;

/** The file's text, or one line saying it is not UTF-8 (a UTF-16 file is not echoed back). */
function utf8Text(file: string, bytes: Buffer): string {
  const bom16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
  let text: string | undefined;
  if (!bom16) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      text = undefined;
    }
  }
  if (text === undefined || text.includes('\u0000')) {
    const what = bom16 ? 'UTF-16 text (byte order mark)' : text === undefined ? 'bytes that are not UTF-8' : 'NUL bytes (binary or UTF-16 text)';
    throw new InputError([{ file, line: 1, column: 1, path: '', found: what, expected: 'a UTF-8 text file' }]);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses YAML text and checks it. A sound file takes the fast path: js-yaml
 * builds the value (a 1 MB topology of 10,000 nodes in about 0.1 s), and the
 * positions are read only if a later check needs one. Anything it refuses —
 * malformed YAML, a duplicate key, an alias, a value the schema rejects — is
 * parsed again by `yaml`, which keeps every node's position, so that each
 * problem is reported with file:line:column.
 */
export function parseYamlText<S extends z.ZodType>(file: string, text: string, schema: S): Loaded<z.infer<S>> {
  const value = fastLoad(text);
  if (value !== undefined && value !== null) {
    const parsed = schema.safeParse(value);
    if (parsed.success) return { value: parsed.data, source: lazySourceMap(file, text) };
  }
  return parseWithPositions(file, text, schema);
}

/** The value of a plain YAML file (YAML 1.2 core schema, no aliases, no duplicate keys), or undefined if js-yaml refuses it. */
function fastLoad(text: string): unknown {
  try {
    return loadFast(text, { schema: CORE_SCHEMA, maxAliases: 0 });
  } catch {
    return undefined;
  }
}

/** A source map that parses the text with positions the first time something is located in it. */
function lazySourceMap(file: string, text: string): SourceMap {
  let map: SourceMap | undefined;
  return {
    file,
    locate(path, keyOf) {
      if (!map) {
        const lineCounter = new LineCounter();
        map = sourceMap(file, parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, strict: true }), lineCounter);
      }
      return map.locate(path, keyOf);
    },
  };
}

function parseWithPositions<S extends z.ZodType>(file: string, text: string, schema: S): Loaded<z.infer<S>> {
  const lineCounter = new LineCounter();
  // Duplicate keys are found by duplicateKeys() below, in one pass: the parser's own check compares
  // every key with every other one of its mapping, which a lab of thousands of nodes cannot afford.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((err) => {
        const message = err.message.split('\n')[0] ?? '';
        // An unclosed "[" or "{" is reported where the parser gave up; point at the bracket instead.
        const flow = /^Flow (sequence|map) .* end with a ([\]}])$/.exec(message);
        const open = flow ? unclosedFlowStart(doc, err.pos[0], flow[1] === 'map') : undefined;
        const pos = lineCounter.linePos(open ?? skipIndent(text, err.pos[0]));
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: '',
          found: open !== undefined ? `invalid YAML (a "${text[open]}" that is never closed)` : `invalid YAML (${message})`,
          expected: open !== undefined ? `a matching "${flow?.[2]}"` : 'well-formed YAML',
        } satisfies InputIssue;
      }),
    );
  }
  const duplicates = duplicateKeys(doc);
  if (duplicates.length > 0) {
    throw new InputError(
      duplicates.map(({ path, offset }) => {
        const pos = lineCounter.linePos(offset);
        const name = path[path.length - 1] ?? '';
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: formatPath(path),
          found: `"${name}" a second time`,
          expected: 'each key once in a mapping',
        } satisfies InputIssue;
      }),
    );
  }
  const source = sourceMap(file, doc, lineCounter);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (e) {
    if (!(e instanceof ReferenceError) || !/alias/i.test(e.message)) throw e;
    throw new InputError([
      {
        file,
        line: 1,
        column: 1,
        path: '',
        found: `aliases that expand to more than ${MAX_ALIAS_EXPANSIONS} nodes (an alias bomb, or a file of that size)`,
        expected: `at most ${MAX_ALIAS_EXPANSIONS} alias expansions; write the repeated parts out`,
      },
    ]);
  }
  if (data === null || data === undefined) {
    throw new InputError([{ file, line: 1, column: 1, path: '', found: 'an empty file', expected: 'a YAML mapping' }]);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const all = parsed.error.issues;
    const shown = all.slice(0, MAX_LISTED_ISSUES).flatMap((issue) => zodIssueToInput(issue, data, source, schema));
    throw new InputError(shown, all.length - Math.min(all.length, MAX_LISTED_ISSUES));
  }
  return { value: parsed.data, source };
}

function sourceMap(file: string, doc: Document, lineCounter: LineCounter): SourceMap {
  return {
    file,
    locate(path, keyOf) {
      // Walk down as far as the path exists; report the deepest node found.
      let node: unknown = doc.contents;
      let best: YamlNode | undefined = doc.contents ?? undefined;
      for (const key of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
          if (!pair) break;
          node = pair.value;
          if (pair.value && (pair.value as YamlNode).range) best = pair.value as YamlNode;
          else if (pair.key && (pair.key as YamlNode).range) best = pair.key as YamlNode;
        } else if (isSeq(node) && typeof key === 'number') {
          const item = node.items[key];
          if (!item) break;
          node = item;
          best = item as YamlNode;
        } else break;
      }
      if (keyOf !== undefined && isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === keyOf);
        if (pair && isScalar(pair.key) && pair.key.range) best = pair.key;
      }
      const offset = best?.range?.[0];
      if (offset === undefined) return undefined;
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, column: pos.col };
    },
  };
}

/** Moves an offset at the start of an indented line to the line's first non-blank character. */
function skipIndent(text: string, offset: number): number {
  let i = offset;
  while (text[i] === ' ') i++;
  return text[i] === '\n' || i >= text.length ? offset : i;
}

/** Start of the flow collection (`[` or `{`) still open at `offset`: the innermost one that runs up to it. */
function unclosedFlowStart(doc: Document, offset: number, map: boolean): number | undefined {
  let best: [number, number] | undefined;
  visitYaml(doc, (_key, node) => {
    if (!(isMap(node) || isSeq(node)) || isMap(node) !== map || !node.flow || !node.range) return;
    const [start, end] = node.range;
    if (start >= offset || end > offset) return;
    if (!best || end > best[1] || (end === best[1] && start > best[0])) best = [start, end];
  });
  return best?.[0];
}

/** Every key that repeats an earlier key of the same mapping, with its path and where it is (one pass over the document). */
function duplicateKeys(doc: Document): { path: (string | number)[]; offset: number }[] {
  const out: { path: (string | number)[]; offset: number }[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = pair.key as YamlNode | null;
        const name = isScalar(k) ? String(k.value) : undefined;
        if (name !== undefined) {
          if (seen.has(name)) out.push({ path: [...path, name], offset: k?.range?.[0] ?? 0 });
          seen.add(name);
        }
        walk(pair.value, name === undefined ? path : [...path, name]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);
  return out;
}

/** `links[2].endpoints[1]` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k as string];
  }
  return v;
}

function zodIssueToInput(issue: z.core.$ZodIssue, data: unknown, source: SourceMap, schema: z.ZodType): InputIssue[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const pos = source.locate(path, key);
      const allowed = allowedKeys(schema, path);
      return {
        file: source.file,
        ...(pos ? { line: pos.line, column: pos.column } : {}),
        path: formatPath([...path, key]),
        found: `unknown key "${key}"`,
        expected: allowed.length > 0 ? `one of ${allowed.join(', ')}` : 'only the keys this section defines',
      };
    });
  }
  if (issue.code === 'invalid_key') {
    // A record key (a node or network name) that breaks the name rules: point at the key itself.
    const key = String(path[path.length - 1]);
    const pos = source.locate(path.slice(0, -1), key);
    return [
      {
        file: source.file,
        ...(pos ? { line: pos.line, column: pos.column } : {}),
        path: formatPath(path),
        found: `the name ${JSON.stringify(key)}`,
        expected: issue.issues.map((i) => i.message).join('; ') || 'a valid name',
      },
    ];
  }
  const pos = source.locate(path);
  const found = describe(valueAt(data, path));
  return [
    {
      file: source.file,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      path: formatPath(path),
      found,
      expected: expectedText(issue),
    },
  ];
}

interface SchemaDef {
  type?: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  valueType?: unknown;
  element?: unknown;
  items?: unknown[];
  options?: unknown[];
}

function defOf(schema: unknown): SchemaDef {
  return (schema as { _zod?: { def?: SchemaDef } })._zod?.def ?? {};
}

/** Unwraps optional/default/prefault/nullable/pipe wrappers. */
function unwrap(schema: unknown): unknown {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = defOf(s);
    if (def.innerType) s = def.innerType;
    else return s;
  }
  return s;
}

/** The keys a strict object at `path` of `schema` allows (best effort; [] if unknown). */
function allowedKeys(schema: unknown, path: readonly PropertyKey[]): string[] {
  let s = unwrap(schema);
  for (const key of path) {
    const def = defOf(s);
    if (def.type === 'object' && def.shape) s = unwrap(def.shape[String(key)]);
    else if (def.type === 'record') s = unwrap(def.valueType);
    else if (def.type === 'array') s = unwrap(def.element);
    else if (def.type === 'tuple' && typeof key === 'number') s = unwrap(def.items?.[key]);
    else return [];
  }
  const def = defOf(s);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function expectedText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'object' || issue.expected === 'record' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `at least ${String(issue.minimum)} item(s)` : `at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array' ? `at most ${String(issue.maximum)} item(s)` : `at most ${String(issue.maximum)}`;
    case 'invalid_format':
    case 'custom':
    case 'invalid_union':
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/** Raises an InputError if `issues` is not empty. */
export function throwIfIssues(issues: InputIssue[]): void {
  if (issues.length > 0) throw new InputError(issues);
}
