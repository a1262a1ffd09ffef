import { z } from 'zod';
import { topologySchema } from './topology/schema.js';

/** JSON Schemas of the input files, by file stem (schema/<name>.schema.json). */
export function jsonSchemas(): Record<string, unknown> {
  return {
    topology: {
      $id: 'https://dmmlab.dev/schema/topology.schema.json',
      title: 'dmmlab topology',
      ...z.toJSONSchema(topologySchema, { io: 'input', target: 'draft-7' }),
    },
  };
}
