// Writes the JSON Schemas of the topology and scenario files into schema/ so that
// editors (e.g. the YAML language server) complete and check them.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// The compiled module is loaded by path once the build wrote it; its types are the TypeScript source's (cli/schemas.ts).
/** @type {{ jsonSchemas(): Record<string, unknown> }} */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- a plain script: the import is untyped here
const schemas = await import(`${root}dist/cli/schemas.js`);
await mkdir(`${root}schema`, { recursive: true });
for (const [name, schema] of Object.entries(schemas.jsonSchemas())) {
  await writeFile(`${root}schema/${name}.schema.json`, JSON.stringify(schema, null, 2) + '\n');
}
