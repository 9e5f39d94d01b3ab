import { describe, expect, it } from 'vitest';
import { InvalidTransitionError } from '../../../functions/domain/errors.js';
import {
  assertTransition,
  canTransition,
  type LifecycleEntity,
  type LifecycleStatuses,
} from '../../../functions/domain/lifecycle.js';
import {
  APPROVAL_STATUSES,
  ARTEFACT_STATUSES,
  CANDIDATE_STATUSES,
  EVAL_RUN_STATUSES,
  INCIDENT_STATUSES,
  SYSTEM_STATUSES,
} from '../../../functions/domain/types.js';

// The specification, written independently of the implementation's tables: every pair not listed is refused.
const ALLOWED: { [E in LifecycleEntity]: { statuses: readonly LifecycleStatuses[E][]; allowed: string[] } } = {
  system: {
    statuses: SYSTEM_STATUSES,
    allowed: [
      'draft>active',
      'active>deprecated',
      'draft>retired',
      'active>retired',
      'deprecated>retired',
      'deprecated>active',
    ],
  },
  prompt: { statuses: ARTEFACT_STATUSES, allowed: ['draft>in_review', 'in_review>approved', 'in_review>rejected'] },
  model_config: {
    statuses: ARTEFACT_STATUSES,
    allowed: ['draft>in_review', 'in_review>approved', 'in_review>rejected'],
  },
  judge_config: {
    statuses: ARTEFACT_STATUSES,
    allowed: ['draft>in_review', 'in_review>approved', 'in_review>rejected'],
  },
  candidate: {
    statuses: CANDIDATE_STATUSES,
    allowed: [
      'draft>submitted',
      'submitted>evaluating',
      'eval_passed>evaluating',
      'eval_failed>evaluating',
      'evaluating>eval_passed',
      'evaluating>eval_failed',
      'evaluating>submitted',
      'eval_passed>awaiting_approval',
      'awaiting_approval>approved',
      'awaiting_approval>rejected',
      'awaiting_approval>eval_passed',
      'approved>active',
      'active>superseded',
      'active>rolled_back',
      'superseded>active',
    ],
  },
  eval_run: {
    statuses: EVAL_RUN_STATUSES,
    allowed: [
      'queued>running',
      'queued>error',
      'running>aggregating',
      'running>passed',
      'running>failed',
      'running>error',
      'aggregating>passed',
      'aggregating>failed',
      'aggregating>error',
    ],
  },
  approval: {
    statuses: APPROVAL_STATUSES,
    allowed: ['pending>approved', 'pending>rejected', 'pending>changes_requested', 'pending>expired'],
  },
  incident: {
    statuses: INCIDENT_STATUSES,
    allowed: ['open>mitigating', 'open>resolved', 'mitigating>resolved', 'mitigating>open'],
  },
};

function pairs<S extends string>(statuses: readonly S[]): [S, S][] {
  return statuses.flatMap((from) => statuses.map((to): [S, S] => [from, to]));
}

describe('lifecycle transitions', () => {
  for (const entity of Object.keys(ALLOWED) as LifecycleEntity[]) {
    const { statuses, allowed } = ALLOWED[entity] as { statuses: readonly string[]; allowed: string[] };

    it(`allows exactly the specified ${entity} transitions and refuses every other pair`, () => {
      // Prepare
      const all = pairs(statuses);

      // Act
      const permitted = all
        .filter(([from, to]) => canTransition(entity, from as never, to as never))
        .map(([from, to]) => `${from}>${to}`);

      // Assess
      expect(permitted.sort()).toEqual([...allowed].sort());
    });

    it(`throws InvalidTransitionError with INVALID_STATE for every refused ${entity} transition`, () => {
      // Prepare
      const refused = pairs(statuses).filter(([from, to]) => !allowed.includes(`${from}>${to}`));

      // Act / Assess
      for (const [from, to] of refused) {
        let error: unknown;
        try {
          assertTransition(entity, from as never, to as never);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(InvalidTransitionError);
        expect((error as InvalidTransitionError).detail).toEqual({ entity, from, to, code: 'INVALID_STATE' });
      }
    });
  }

  it('lets allowed transitions through without throwing', () => {
    // Act / Assess
    expect(() => assertTransition('candidate', 'approved', 'active')).not.toThrow();
    expect(() => assertTransition('system', 'deprecated', 'active')).not.toThrow();
  });

  it('refuses statuses that are not part of the lifecycle, including prototype member names', () => {
    // Act / Assess
    expect(canTransition('incident', 'closed' as never, 'open')).toBe(false);
    expect(canTransition('incident', 'constructor' as never, 'open')).toBe(false);
    expect(canTransition('approval', 'pending', 'toString' as never)).toBe(false);
  });

  it('never lets a submitted prompt or model config return to draft', () => {
    // Act / Assess
    for (const entity of ['prompt', 'model_config'] as const) {
      for (const from of ARTEFACT_STATUSES) expect(canTransition(entity, from, 'draft')).toBe(false);
    }
  });

  it('never re-activates a rolled back release', () => {
    // Act / Assess
    for (const to of CANDIDATE_STATUSES) expect(canTransition('candidate', 'rolled_back', to)).toBe(false);
  });
});
