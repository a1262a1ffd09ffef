// Writes the JSON Schemas of the topology and scenario files into schema/ so that
// editors (e.g. the YAML language server) complete and check them.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { jsonSchemas } = await import(`${root}dist/cli/schemas.js`);
await mkdir(`${root}schema`, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  await writeFile(`${root}schema/${name}.schema.json`, JSON.stringify(schema, null, 2) + '\n');
}
