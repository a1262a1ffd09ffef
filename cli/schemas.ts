import { z } from 'zod';
import { topologySchema } from './topology/schema.js';
import { scenarioSchema } from './scenario/schema.js';
import { repeatReportSchema, runReportSchema } from './report/report-schema.js';
import { compareReportSchema, compareSchema, sweepReportSchema } from './compare/schema.js';

/** JSON Schemas of the input files, by file stem (schema/<name>.schema.json). */
export function jsonSchemas(): Record<string, unknown> {
  return {
    topology: {
      $id: 'https://dmmlab.dev/schema/topology.schema.json',
      title: 'dmmlab topology',
      ...z.toJSONSchema(topologySchema, { io: 'input', target: 'draft-7' }),
    },
    scenario: {
      $id: 'https://dmmlab.dev/schema/scenario.schema.json',
      title: 'dmmlab scenario',
      ...z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }),
    },
    report: {
      $id: 'https://dmmlab.dev/schema/report.schema.json',
      title: 'dmmlab run report (report.json)',
      ...z.toJSONSchema(runReportSchema, { target: 'draft-7' }),
    },
    compare: {
      $id: 'https://dmmlab.dev/schema/compare.schema.json',
      title: 'dmmlab comparison (one mobility pattern, several placements)',
      ...z.toJSONSchema(compareSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }),
    },
    'compare-report': {
      $id: 'https://dmmlab.dev/schema/compare-report.schema.json',
      title: 'dmmlab comparison report (compare.json)',
      ...z.toJSONSchema(compareReportSchema, { target: 'draft-7' }),
    },
    'sweep-report': {
      $id: 'https://dmmlab.dev/schema/sweep-report.schema.json',
      title: 'dmmlab comparison sweep (sweep.json)',
      ...z.toJSONSchema(sweepReportSchema, { target: 'draft-7' }),
    },
    'repeat-report': {
      $id: 'https://dmmlab.dev/schema/repeat-report.schema.json',
      title: 'dmmlab repeated run summary (summary.json)',
      ...z.toJSONSchema(repeatReportSchema, { target: 'draft-7' }),
    },
  };
}
