// The eval datasets and threshold profiles of the seeded systems, read from `evals/<system-key>/`: a manifest
// (datasets.json) naming each dataset's kind, one JSONL file of cases per dataset, and thresholds.json. Everything
// is validated with the API's own contracts, so the seed cannot register what the API would refuse.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { threshold } from '../functions/contracts/candidates.js';
import { evalCase as caseSchema } from '../functions/contracts/datasets.js';
import { DATASET_KINDS, type DatasetKind, type EvalCase, type Threshold } from '../functions/domain/types.js';

/** The folder of the eval material, resolved from this module so that it works from any working directory. */
const EVALS_DIR = new URL('../evals/', import.meta.url);

export interface DatasetFile {
  name: string;
  kind: DatasetKind;
  description: string;
  cases: EvalCase[];
  collectedAfterRelease?: boolean;
}

export interface ThresholdProfile {
  system: string;
  description: string;
  thresholds: Threshold[];
}

const manifestSchema = z
  .object({
    system: z.string(),
    datasets: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/),
            kind: z.enum(DATASET_KINDS),
            description: z.string(),
            /** Registered late in the scenario (for monitoring), so no release candidate of the demo includes it. */
            collectedAfterRelease: z.boolean().optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

const profileSchema = z
  .object({ system: z.string(), description: z.string(), thresholds: z.array(threshold).min(1).max(20) })
  .strict();

function readText(relative: string): string {
  return readFileSync(new URL(relative, EVALS_DIR), 'utf8');
}

function readJson(relative: string): unknown {
  try {
    return JSON.parse(readText(relative));
  } catch (error) {
    throw new Error(`evals/${relative}: ${(error as Error).message}`);
  }
}

/** Parses JSONL: one case per non-empty line, each validated; line numbers name the culprit. */
function parseCases(text: string, source: string): EvalCase[] {
  const cases: EvalCase[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new Error(`${source}:${index + 1}: ${(error as Error).message}`);
    }
    const result = caseSchema.safeParse(parsed);
    if (!result.success) throw new Error(`${source}:${index + 1}: ${result.error.message}`);
    cases.push(result.data as EvalCase);
  });
  const ids = new Set(cases.map((c) => c.caseId));
  if (ids.size !== cases.length) throw new Error(`${source}: case ids are not unique`);
  return cases;
}

/** The datasets of one system, in manifest order. */
export function loadDatasets(systemKey: string): DatasetFile[] {
  const manifest = manifestSchema.parse(readJson(`${systemKey}/datasets.json`));
  if (manifest.system !== systemKey) throw new Error(`evals/${systemKey}/datasets.json names ${manifest.system}`);
  return manifest.datasets.map((d) => {
    const file = `${systemKey}/${d.name}.jsonl`;
    return { ...d, cases: parseCases(readText(file), `evals/${file}`) };
  });
}

/** The threshold profile of one system. */
export function loadThresholds(systemKey: string): ThresholdProfile {
  const profile = profileSchema.parse(readJson(`${systemKey}/thresholds.json`));
  if (profile.system !== systemKey) throw new Error(`evals/${systemKey}/thresholds.json names ${profile.system}`);
  return { ...profile, thresholds: profile.thresholds as Threshold[] };
}
