// A page of a run's per-case evidence as the API answers it: the stored results, and for each schema-invalid case the
// reason in words, derived on read from the prompt's output contract (pinned by the candidate, so the same answer
// every time) rather than stored: runs recorded before reasons existed explain their failures too.
import { schemaViolation } from '../domain/eval/index.js';
import type { EvalRun } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import { type EvidenceOptions, listCaseEvidence } from './eval-steps.js';

type CaseEvidence = Awaited<ReturnType<typeof listCaseEvidence>>['items'][number];

/** One case of a page: its result and execution record, and why its output fails the contract when it does. */
export type ExplainedCaseEvidence = CaseEvidence & { schemaReason?: string };

/** A page of the run's per-case evidence, each schema-invalid case with `schemaReason`. */
export async function explainedCaseEvidence(
  store: GovernanceStore,
  run: Pick<EvalRun, 'id' | 'executor' | 'candidateId'>,
  page: { limit?: number; cursor?: string | null },
  options: EvidenceOptions,
): Promise<{ items: ExplainedCaseEvidence[]; nextCursor: string | null }> {
  const out = await listCaseEvidence(store, run, page, options);
  if (out.items.every((item) => item.schemaValid)) return out;
  const candidate = await store.candidates.getCandidate(run.candidateId);
  const { outputContract } = await store.artefacts.getPrompt(candidate.promptVersionId);
  return {
    nextCursor: out.nextCursor,
    items: out.items.map((item) => {
      if (item.schemaValid) return item;
      const reason = schemaViolation(outputContract, item.output);
      return reason === null ? item : { ...item, schemaReason: reason };
    }),
  };
}
