import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jsonSchemas } from '../../../cli/schemas.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

type Schema = Record<string, unknown>;

/** Keywords that only annotate; every other keyword must be one `violations` understands. */
const ANNOTATIONS = new Set(['$id', '$schema', 'title', 'description', 'default']);
const KNOWN = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'pattern',
  'enum',
  'const',
  'items',
  'additionalItems',
  'minItems',
  'maxItems',
  'anyOf',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);

const typeOk: Record<string, (v: unknown) => boolean> = {
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  array: Array.isArray,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  null: (v) => v === null,
};

/**
 * The draft-7 subset that schema/topology.schema.json uses, checked structurally.
 * Returns one line per violation (empty when `value` conforms). Throws on a
 * keyword it does not know, so the check cannot silently pass a new construct.
 */
function violations(schema: Schema, value: unknown, at = '$'): string[] {
  const out: string[] = [];
  for (const k of Object.keys(schema)) if (!ANNOTATIONS.has(k) && !KNOWN.has(k)) throw new Error(`schema keyword ${k} at ${at} is not supported by this check`);
  const s = schema as {
    type?: string;
    properties?: Record<string, Schema>;
    required?: string[];
    additionalProperties?: boolean | Schema;
    propertyNames?: Schema;
    pattern?: string;
    enum?: unknown[];
    const?: unknown;
    items?: Schema | Schema[];
    additionalItems?: boolean | Schema;
    minItems?: number;
    maxItems?: number;
    anyOf?: Schema[];
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
    exclusiveMaximum?: number;
  };
  if (s.type !== undefined && !typeOk[s.type]?.(value)) return [`${at}: not ${s.type}`];
  if (s.enum && !s.enum.includes(value)) out.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if ('const' in s && s.const !== value) out.push(`${at}: not ${JSON.stringify(s.const)}`);
  if (s.anyOf && !s.anyOf.some((sub) => violations(sub, value, at).length === 0)) out.push(`${at}: matches no anyOf branch`);
  if (typeof value === 'string' && s.pattern && !new RegExp(s.pattern, 'u').test(value)) out.push(`${at}: ${JSON.stringify(value)} !~ ${s.pattern}`);
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) out.push(`${at}: < ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) out.push(`${at}: > ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) out.push(`${at}: <= ${s.exclusiveMinimum}`);
    if (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum) out.push(`${at}: >= ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) out.push(`${at}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > s.maxItems) out.push(`${at}: more than ${s.maxItems} items`);
    value.forEach((item, i) => {
      const tuple = Array.isArray(s.items);
      const sub = tuple ? ((s.items as Schema[])[i] ?? s.additionalItems) : s.items;
      if (sub === false) out.push(`${at}[${i}]: no item allowed here`);
      else if (sub && sub !== true) out.push(...violations(sub as Schema, item, `${at}[${i}]`));
    });
  }
  if (typeOk.object!(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in obj)) out.push(`${at}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      if (s.propertyNames) out.push(...violations(s.propertyNames, k, `${at} key ${k}`));
      const sub = s.properties?.[k] ?? s.additionalProperties;
      if (sub === false) out.push(`${at}.${k}: not allowed`);
      else if (sub && sub !== true) out.push(...violations(sub, v, `${at}.${k}`));
    }
  }
  return out;
}

async function yamlFiles(dir: string): Promise<string[]> {
  return (await readdir(root + dir)).filter((f) => f.endsWith('.yaml')).map((f) => `${dir}/${f}`);
}

describe('schema/topology.schema.json', () => {
  it('is what jsonSchemas() produces now (run `npm run build` after changing the schema)', async () => {
    const schemas = jsonSchemas();
    expect(Object.keys(schemas)).toContain('topology');
    for (const [name, schema] of Object.entries(schemas)) {
      const onDisk = await readFile(`${root}schema/${name}.schema.json`, 'utf8');
      // Byte for byte what scripts/export-schemas.js writes.
      expect(onDisk, `schema/${name}.schema.json is stale`).toBe(JSON.stringify(schema, null, 2) + '\n');
    }
  });

  const schema = jsonSchemas().topology as Schema;

  it('is a draft-7 schema that forbids unknown keys at every level', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const props = schema.properties as Record<string, Schema>;
    expect(schema.additionalProperties).toBe(false);
    expect((props.networks?.additionalProperties as Schema).additionalProperties).toBe(false);
    expect((props.nodes?.additionalProperties as Schema).additionalProperties).toBe(false);
    expect((props.links?.items as Schema).additionalProperties).toBe(false);
    expect((props.access?.items as Schema).additionalProperties).toBe(false);
    expect(props.mobility?.additionalProperties).toBe(false);
  });

  it.each(['topologies', 'test/fixtures/topologies/valid'])('accepts every file in %s', async (dir) => {
    const list = await yamlFiles(dir);
    expect(list.length).toBeGreaterThan(0);
    for (const f of list) {
      const doc: unknown = parse(await readFile(root + f, 'utf8'));
      expect(violations(schema, doc), f).toEqual([]);
    }
  });

  // The check above must be able to fail: the structural mistakes among the
  // invalid fixtures are refused by the JSON Schema as well as by zod.
  it.each([
    ['unknown-key-top-level', '$.descripton: not allowed'],
    ['unknown-key-nested', '$.nodes.mr1: missing roles'],
    ['unknown-key-in-link', '$.links[0].latency: not allowed'],
    ['unknown-role', '$.nodes.mr1.roles[3]: "hha" not in enum'],
    ['wrong-type', '$.nodes.cn1.roles: not array'],
    ['bad-enum', '$.mobility.tunnel: "gre" not in enum'],
    ['bad-lab-name', '$.name: "Smoke_Lab" !~'],
    ['bad-link-param', '$.links[0].delay: matches no anyOf branch'],
    ['bad-node-name', '$.nodes key Core_1: "Core_1" !~'],
    ['missing-required', '$: missing nodes'],
    ['prefix-not-ipv6', '$.networks.home.prefix: "10.0.0.0/8" !~'],
  ])('refuses invalid/%s (%s)', async (fixture, violation) => {
    const doc: unknown = parse(await readFile(`${root}test/fixtures/topologies/invalid/${fixture}.yaml`, 'utf8'));
    expect(violations(schema, doc).join('\n')).toContain(violation);
  });
});
