// Separation of duties over the whole snapshot (issue 15, item 5; ADR 0022): the authors of the prompt version, the
// model config, every dataset and the candidate, by user id or through the GitHub login a pipeline's token named.
import { describe, expect, it } from 'vitest';
import {
  type AuthoredSnapshot,
  authorsOf,
  ciAuthorsForAudit,
  ciAuthorsOf,
  separationOfDuties,
  snapshotAuthors,
} from '../../../functions/domain/authorship.js';
import type {
  CiAuthor,
  EvalDataset,
  JudgeConfigVersion,
  ModelConfigVersion,
  PromptVersion,
  ReleaseCandidate,
} from '../../../functions/domain/types.js';

const item = <T>(fields: Record<string, unknown>) => fields as unknown as T;

/** A snapshot whose every item was written by someone else, so that each test adds the one author it is about. */
function snapshot(overrides: Partial<Record<'prompt' | 'config' | 'candidate', Record<string, unknown>>> = {}) {
  const written = { createdBy: 'u_writer', submittedBy: 'u_writer', ciAuthors: [] as CiAuthor[] };
  return {
    prompt: item<PromptVersion>({ id: 'pv_1', ...written, ...overrides.prompt }),
    config: item<ModelConfigVersion>({ id: 'mc_1', ...written, ...overrides.config }),
    datasets: [
      item<EvalDataset>({ id: 'ds_1', createdBy: 'u_writer' }),
      item<EvalDataset>({ id: 'ds_2', createdBy: 'u_writer' }),
    ],
    candidate: item<ReleaseCandidate>({ id: 'rc_1', ...written, ...overrides.candidate }),
  } satisfies AuthoredSnapshot;
}

const ci = (login: string, claim: CiAuthor['claim'], step: CiAuthor['step'] = 'created'): CiAuthor => ({
  login,
  claim,
  step,
});

describe('separation of duties over the snapshot', () => {
  it('allows a reviewer who authored nothing of it', () => {
    // Act
    const verdict = separationOfDuties(snapshotAuthors(snapshot()), { userId: 'u_tessa', githubLogin: 'tessa-gh' });

    // Assess
    expect(verdict).toEqual({ allowed: true });
  });

  it.each([
    ['created the prompt version', { prompt: { createdBy: 'u_tessa' } }, 'created prompt version pv_1 as u_tessa'],
    [
      'submitted the prompt version',
      { prompt: { submittedBy: 'u_tessa' } },
      'submitted prompt version pv_1 as u_tessa',
    ],
    ['created the model config', { config: { createdBy: 'u_tessa' } }, 'created model config mc_1 as u_tessa'],
    ['submitted the model config', { config: { submittedBy: 'u_tessa' } }, 'submitted model config mc_1 as u_tessa'],
    ['created the candidate', { candidate: { createdBy: 'u_tessa' } }, 'created candidate rc_1 as u_tessa'],
    ['submitted the candidate', { candidate: { submittedBy: 'u_tessa' } }, 'submitted candidate rc_1 as u_tessa'],
  ] as const)('refuses a reviewer who %s, naming the artefact and the identity', (_, overrides, why) => {
    // Act
    const verdict = separationOfDuties(snapshotAuthors(snapshot(overrides)), { userId: 'u_tessa' });

    // Assess
    expect(verdict).toEqual({
      allowed: false,
      conflicts: [expect.objectContaining({ identity: { by: 'sub', userId: 'u_tessa' } })],
      message: `u_tessa authored what is to be approved: ${why}`,
    });
  });

  it('refuses a reviewer who registered any dataset the candidate names', () => {
    // Prepare
    const s = snapshot();
    s.datasets[1] = item<EvalDataset>({ id: 'ds_2', createdBy: 'u_tessa' });

    // Act
    const verdict = separationOfDuties(snapshotAuthors(s), { userId: 'u_tessa' });

    // Assess
    expect(verdict).toMatchObject({
      allowed: false,
      conflicts: [{ kind: 'dataset', artefactId: 'ds_2', step: 'created' }],
    });
  });

  it('refuses a person whose GitHub login was the actor of the pipeline token that wrote the prompt', () => {
    // Prepare: the sub and the login differ, so only the admin's link can connect the two.
    const authors = snapshotAuthors(snapshot({ prompt: { ciAuthors: [ci('tessa-gh', 'actor')] } }));

    // Act
    const verdict = separationOfDuties(authors, { userId: 'tessa.technical', githubLogin: 'tessa-gh' });

    // Assess
    expect(verdict).toEqual({
      allowed: false,
      conflicts: [
        { kind: 'prompt', artefactId: 'pv_1', step: 'created', identity: { by: 'actor', login: 'tessa-gh' } },
      ],
      message:
        "tessa.technical authored what is to be approved: created prompt version pv_1 as GitHub login tessa-gh (the actor of a pipeline's token)",
    });
  });

  it('refuses a person who re-ran the pipeline that submitted the candidate (triggering_actor), whatever the case', () => {
    // Prepare
    const authors = snapshotAuthors(
      snapshot({
        candidate: {
          ciAuthors: [ci('omar-gh', 'actor', 'submitted'), ci('Tessa-GH', 'triggering_actor', 'submitted')],
        },
      }),
    );

    // Act
    const verdict = separationOfDuties(authors, { userId: 'tessa.technical', githubLogin: 'tessa-gh' });

    // Assess
    expect(verdict).toMatchObject({
      allowed: false,
      conflicts: [
        {
          kind: 'candidate',
          step: 'submitted',
          identity: { by: 'triggering_actor', login: 'Tessa-GH' },
        },
      ],
    });
  });

  it('allows a person with no linked login, even beside CI authors: nothing connects them', () => {
    // Prepare
    const authors = snapshotAuthors(snapshot({ prompt: { ciAuthors: [ci('tessa-gh', 'actor')] } }));

    // Act / Assess
    expect(separationOfDuties(authors, { userId: 'tessa.technical' })).toEqual({ allowed: true });
    expect(separationOfDuties(authors, { userId: 'tessa.technical', githubLogin: null })).toEqual({ allowed: true });
  });

  it('compares a sub with subs and a login with logins, never one with the other', () => {
    // Prepare: a user id that spells a CI login, and a login that spells a creator's user id.
    const authors = snapshotAuthors(
      snapshot({ prompt: { createdBy: 'tessa.technical', ciAuthors: [ci('omar-gh', 'actor')] } }),
    );

    // Act
    const userIdSpellsLogin = separationOfDuties(authors, { userId: 'omar-gh', githubLogin: 'someone-else' });
    const loginSpellsUserId = separationOfDuties(authors, { userId: 'u_other', githubLogin: 'tessa.technical' });

    // Assess
    expect(userIdSpellsLogin).toEqual({ allowed: true });
    expect(loginSpellsUserId).toEqual({ allowed: true });
  });

  it('counts an older item without submittedBy or CI authors by its creator alone', () => {
    // Act
    const authors = authorsOf('prompt', { id: 'pv_old', createdBy: 'omar.owner' });

    // Assess
    expect(authors).toEqual([
      { kind: 'prompt', artefactId: 'pv_old', step: 'created', identity: { by: 'sub', userId: 'omar.owner' } },
    ]);
  });

  it('leaves out an artefact that no longer exists rather than failing', () => {
    // Prepare
    const s: AuthoredSnapshot = { ...snapshot(), prompt: null, config: null, datasets: [] };

    // Act / Assess
    expect(snapshotAuthors(s).map((a) => a.kind)).toEqual(['candidate', 'candidate']);
  });
});

describe('the CI authors a write records', () => {
  it("records the token's actor and triggering_actor, in that order", () => {
    expect(ciAuthorsOf({ ci: { actor: 'omar-gh', triggeringActor: 'tessa-gh' } }, 'submitted')).toEqual([
      { login: 'omar-gh', claim: 'actor', step: 'submitted' },
      { login: 'tessa-gh', claim: 'triggering_actor', step: 'submitted' },
    ]);
  });

  it('records a login once when the same person started and re-ran the run', () => {
    expect(ciAuthorsOf({ ci: { actor: 'omar-gh', triggeringActor: 'Omar-GH' } }, 'created')).toEqual([
      { login: 'omar-gh', claim: 'actor', step: 'created' },
    ]);
  });

  it('records nobody for a person or a pipeline token without those claims', () => {
    expect(ciAuthorsOf({}, 'created')).toEqual([]);
    expect(ciAuthorsOf({ ci: { actor: null, triggeringActor: null } }, 'created')).toEqual([]);
  });

  it("adds them to the write's audit event only when the token named someone", () => {
    expect(ciAuthorsForAudit({}, 'created')).toEqual({});
    expect(ciAuthorsForAudit({ ci: { actor: 'omar-gh', triggeringActor: null } }, 'created')).toEqual({
      ciAuthors: [{ login: 'omar-gh', claim: 'actor', step: 'created' }],
    });
  });
});

describe('separation of duties over the judges a candidate pins (ADR 0036)', () => {
  const written = { createdBy: 'u_writer', submittedBy: 'u_writer', ciAuthors: [] as CiAuthor[] };
  const judge = (fields: Record<string, unknown> = {}) =>
    item<JudgeConfigVersion>({ id: 'jc_1', modelConfigId: 'mc_judge', ...written, ...fields });
  const judgeModel = (fields: Record<string, unknown> = {}) =>
    item<ModelConfigVersion>({ id: 'mc_judge', ...written, ...fields });

  it.each([
    ['created the judge config', { judges: [judge({ createdBy: 'u_tessa' })] }, 'created judge config jc_1 as u_tessa'],
    [
      'submitted the judge config',
      { judges: [judge({ submittedBy: 'u_tessa' })] },
      'submitted judge config jc_1 as u_tessa',
    ],
    [
      'created the model config the judge calls',
      { judges: [judge()], judgeModelConfigs: [judgeModel({ createdBy: 'u_tessa' })] },
      'created model config mc_judge as u_tessa',
    ],
    [
      "pushed the judge config through a pipeline's token",
      { judges: [judge({ ciAuthors: [ci('tessa-gh', 'actor')] })] },
      "created judge config jc_1 as GitHub login tessa-gh (the actor of a pipeline's token)",
    ],
  ])('refuses a reviewer who %s', (_, judges, described) => {
    // Prepare
    const s: AuthoredSnapshot = { ...snapshot(), ...judges };

    // Act
    const verdict = separationOfDuties(snapshotAuthors(s), { userId: 'u_tessa', githubLogin: 'tessa-gh' });

    // Assess
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed === false && verdict.message).toContain(described);
  });

  it('lists a model config that is both the candidate’s and a judge’s once', () => {
    // Prepare
    const s: AuthoredSnapshot = {
      ...snapshot({ config: { createdBy: 'u_tessa' } }),
      judges: [judge({ modelConfigId: 'mc_1' })],
      judgeModelConfigs: [item<ModelConfigVersion>({ id: 'mc_1', ...written, createdBy: 'u_tessa' })],
    };

    // Act
    const conflicts = snapshotAuthors(s).filter((a) => a.kind === 'model_config' && a.step === 'created');

    // Assess
    expect(conflicts).toHaveLength(1);
  });

  it('allows a reviewer who authored no judge nor the model it calls', () => {
    // Prepare
    const s: AuthoredSnapshot = { ...snapshot(), judges: [judge()], judgeModelConfigs: [judgeModel()] };

    // Act / Assess
    expect(separationOfDuties(snapshotAuthors(s), { userId: 'u_tessa', githubLogin: 'tessa-gh' })).toEqual({
      allowed: true,
    });
  });
});
