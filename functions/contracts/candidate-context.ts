// GET /api/release-candidates/{id}/context: what a reviewer needs to decide on a candidate, in one answer.
import * as z from 'zod';
import { METRIC_NAMES } from '../domain/types.js';
import {
  approvalRecordResponse,
  evalDatasetResponse,
  evalRunResponse,
  gateResponse,
  incidentResponse,
  judgeConfigVersionResponse,
  modelConfigVersionResponse,
  promptVersionResponse,
  releaseCandidateResponse,
  rollbackRecordResponse,
} from './responses.js';

const contextRole = z.enum(['candidate', 'active', 'last_known_good']);
const baselineRole = z.enum(['active', 'last_known_good']);

const contextSide = z.object({
  role: contextRole,
  candidate: releaseCandidateResponse,
  prompt: promptVersionResponse.nullable(),
  modelConfig: modelConfigVersionResponse.nullable(),
  datasets: z.array(evalDatasetResponse),
  judgeConfigs: z
    .array(judgeConfigVersionResponse)
    .describe(
      'the judge config versions the release pins (name, version, rubric, schema), which grade its llm-rubric assertions; empty when it pins none',
    ),
  run: evalRunResponse
    .nullable()
    .describe("the candidate's latest passed gate run, else its latest run; a baseline's approval-time run"),
  datasetDifference: z
    .object({ missing: z.array(z.string()), added: z.array(z.string()) })
    .nullable()
    .describe(
      "a baseline's dataset ids the candidate is not judged on (missing) and the candidate's it was not (added)",
    ),
});

const metricComparison = z.object({
  metric: z.enum(METRIC_NAMES),
  improves: z.enum(['min', 'max']).describe('min: higher is better; max: lower is better'),
  threshold: z
    .object({
      metric: z.enum(METRIC_NAMES),
      direction: z.enum(['min', 'max']),
      value: z.number(),
      regressionTolerance: z.number().nullable(),
    })
    .nullable(),
  candidate: z.number().nullable(),
  thresholdPassed: z.boolean().nullable(),
  baselines: z.array(
    z.object({
      role: baselineRole,
      value: z.number().nullable(),
      delta: z.number().nullable().describe('candidate minus baseline, in the metric unit'),
      tolerance: z.number().nullable(),
      verdict: z.enum(['within_tolerance', 'regressed', 'better', 'worse', 'same', 'no_data']),
    }),
  ),
});

/** GET /api/release-candidates/{id}/context. */
export const candidateContextResponse = z.object({
  candidate: releaseCandidateResponse,
  system: z.object({ id: z.string(), name: z.string(), ownerTeam: z.string(), riskTier: z.string() }),
  gate: gateResponse,
  approvals: z.array(approvalRecordResponse),
  sides: z
    .array(contextSide)
    .describe('the candidate first, then the active and the last-known-good release when there are such'),
  metrics: z.array(metricComparison).describe('every metric of the candidate beside each baseline'),
  rollback: z
    .object({
      record: rollbackRecordResponse,
      target: releaseCandidateResponse.nullable(),
      incident: incidentResponse.nullable(),
    })
    .nullable(),
});

export type CandidateContextAnswer = z.infer<typeof candidateContextResponse>;
