import * as z from 'zod';
import { idPatternSource } from '../domain/id-format.js';
import { METRICS_MAX_RANGE_DAYS as MAX_RANGE_DAYS, MAX_REGISTRY_SYSTEMS, RISK_TIERS } from '../domain/types.js';
import { artefactName, idOf } from './common.js';

const day = z.iso.date().describe('a UTC day, YYYY-MM-DD');
const dayNumber = (d: string) => Date.parse(`${d}T00:00:00Z`);

/** GET /api/metrics/overview: the scope and range of the rollups (ADR 0043). */
export const metricsOverviewQuery = z
  .object({
    systemId: idOf('sys').optional().describe('only this system (its own days, and its eval-run figures by day)'),
    team: artefactName.optional().describe('only systems of this owner team (the team when the event was counted)'),
    tier: z
      .enum(RISK_TIERS)
      .optional()
      .describe('only systems of this risk tier (the tier when the event was counted)'),
    from: day.optional().describe('the first day (default: 29 days before `to`)'),
    to: day.optional().describe('the last day, included (default: today, UTC)'),
    limit: z.coerce.number().int().min(1).max(50).optional().describe('slowest systems per page (default 10)'),
    cursor: z.string().max(64).optional().describe("the slowest systems' next page"),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || dayNumber(q.from) <= dayNumber(q.to), {
    path: ['to'],
    message: 'must not be before from',
  })
  .refine(
    (q) =>
      q.from === undefined ||
      q.to === undefined ||
      (dayNumber(q.to) - dayNumber(q.from)) / 86_400_000 + 1 <= MAX_RANGE_DAYS,
    { path: ['from'], message: `the range must be at most ${MAX_RANGE_DAYS} days` },
  );

const systemIdSource = idPatternSource('sys').slice(1, -1);

/** GET /api/metrics/registry: the systems whose rows are wanted (ADR 0048). */
export const registrySummaryQuery = z
  .object({
    systemIds: z
      .string()
      .regex(
        new RegExp(`^${systemIdSource}(?:,${systemIdSource}){0,${MAX_REGISTRY_SYSTEMS - 1}}$`),
        `must be at most ${MAX_REGISTRY_SYSTEMS} sys_ ids separated by commas`,
      )
      .optional()
      .describe(
        `the systems to answer a row for, comma-separated, at most ${MAX_REGISTRY_SYSTEMS} (the ids the caller shows); one that does not exist or that the caller may not read is a 404 naming it. Without it, no rows`,
      ),
  })
  .strict();
