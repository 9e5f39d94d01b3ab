// Separation of duties over everything a candidate's approval approves (issue 15, ADR 0022): whoever created or
// submitted the prompt version, the model config version, a dataset the candidate names or the candidate itself is
// one of its authors, by user id (`sub`) or, for a pipeline's write, by the GitHub logins of the CI token (`actor`,
// `triggering_actor`). A person whose admin-managed GitHub login matches such a login counts as that author.
// The author list is computed from the snapshot's artefacts: the judge configs a candidate pins (ADR 0036) add their
// creators and submitters, and so do the model config versions those judges call.
import type {
  Actor,
  AuthorStep,
  CiActors,
  CiAuthor,
  EvalDataset,
  JudgeConfigVersion,
  ModelConfigVersion,
  PromptVersion,
  ReleaseCandidate,
} from './types.js';

/** The kinds of item whose authors may not approve a candidate that contains them. */
export type AuthoredKind = 'prompt' | 'model_config' | 'judge_config' | 'dataset' | 'candidate';

/** What an authored item records of its authors; `submittedBy` and `ciAuthors` are absent on older items. */
export interface Authorship {
  id: string;
  createdBy: string;
  submittedBy?: string | null;
  ciAuthors?: CiAuthor[];
}

/** One identity that counts as an author of one artefact of a snapshot, and why. */
export interface SnapshotAuthor {
  kind: AuthoredKind;
  artefactId: string;
  step: AuthorStep;
  identity: { by: 'sub'; userId: string } | { by: 'actor' | 'triggering_actor'; login: string };
}

/** Who is about to approve (or approved): their user id and, when an admin linked it, their GitHub login. */
export interface Approver {
  userId: string;
  githubLogin?: string | null;
}

/** The verdict of separation of duties: allowed, or refused with every authorship that conflicts and why. */
export type DutiesVerdict = { allowed: true } | { allowed: false; conflicts: SnapshotAuthor[]; message: string };

const LABELS: Readonly<Record<AuthoredKind, string>> = {
  prompt: 'prompt version',
  model_config: 'model config',
  judge_config: 'judge config',
  dataset: 'dataset',
  candidate: 'candidate',
};

/** The CI authors a write by `actor` records: the GitHub logins of its CI token, once each (actor first). */
export function ciAuthorsOf(actor: Pick<Actor, 'ci'>, step: AuthorStep): CiAuthor[] {
  const ci: CiActors | undefined = actor.ci;
  if (!ci) return [];
  const authors: CiAuthor[] = [];
  if (ci.actor) authors.push({ login: ci.actor, claim: 'actor', step });
  if (ci.triggeringActor && !sameLogin(ci.triggeringActor, ci.actor)) {
    authors.push({ login: ci.triggeringActor, claim: 'triggering_actor', step });
  }
  return authors;
}

/** The CI authors of a write as members of its audit event's `after`: none when the writer's token named nobody. */
export function ciAuthorsForAudit(actor: Pick<Actor, 'ci'>, step: AuthorStep): { ciAuthors?: CiAuthor[] } {
  const authors = ciAuthorsOf(actor, step);
  return authors.length > 0 ? { ciAuthors: authors } : {};
}

/** Every identity that authored one item: its creator and submitter (by sub) and the CI logins of those writes. */
export function authorsOf(kind: AuthoredKind, item: Authorship): SnapshotAuthor[] {
  const of = (step: AuthorStep, identity: SnapshotAuthor['identity']): SnapshotAuthor => ({
    kind,
    artefactId: item.id,
    step,
    identity,
  });
  const authors = [of('created', { by: 'sub', userId: item.createdBy })];
  if (item.submittedBy) authors.push(of('submitted', { by: 'sub', userId: item.submittedBy }));
  for (const ci of item.ciAuthors ?? []) authors.push(of(ci.step, { by: ci.claim, login: ci.login }));
  return authors;
}

/** The items of a snapshot whose authors count; a missing artefact (null) contributes nobody. */
export interface AuthoredSnapshot {
  candidate: ReleaseCandidate;
  prompt: PromptVersion | null;
  config: ModelConfigVersion | null;
  datasets: EvalDataset[];
  /** The judge config versions the candidate pins that exist; absent, none. */
  judges?: JudgeConfigVersion[];
  /** The model config versions those judges call that exist; absent, none. */
  judgeModelConfigs?: ModelConfigVersion[];
}

/**
 * Every author of what an approval of `snapshot.candidate` approves: its prompt, model config, judge configs and
 * the model configs they call, datasets and itself. A model config that is both the candidate's and a judge's is
 * listed once.
 */
export function snapshotAuthors(snapshot: AuthoredSnapshot): SnapshotAuthor[] {
  const judgeConfigs = (snapshot.judgeModelConfigs ?? []).filter(
    (c, i, all) => c.id !== snapshot.config?.id && all.findIndex((o) => o.id === c.id) === i,
  );
  return [
    ...(snapshot.prompt ? authorsOf('prompt', snapshot.prompt) : []),
    ...(snapshot.config ? authorsOf('model_config', snapshot.config) : []),
    ...(snapshot.judges ?? []).flatMap((j) => authorsOf('judge_config', j)),
    ...judgeConfigs.flatMap((c) => authorsOf('model_config', c)),
    ...snapshot.datasets.flatMap((d) => authorsOf('dataset', d)),
    ...authorsOf('candidate', snapshot.candidate),
  ];
}

/** The authorships of `authors` that are `approver`: the same sub, or a CI login equal to the approver's link. */
export function authorshipConflicts(authors: readonly SnapshotAuthor[], approver: Approver): SnapshotAuthor[] {
  return authors.filter((a) =>
    a.identity.by === 'sub'
      ? a.identity.userId === approver.userId
      : approver.githubLogin != null && sameLogin(a.identity.login, approver.githubLogin),
  );
}

/** Whether `approver` may approve what `authors` authored (separation of duties), and if not, who and why. */
export function separationOfDuties(authors: readonly SnapshotAuthor[], approver: Approver): DutiesVerdict {
  const conflicts = authorshipConflicts(authors, approver);
  if (conflicts.length === 0) return { allowed: true };
  return {
    allowed: false,
    conflicts,
    message: `${approver.userId} authored what is to be approved: ${conflicts.map(describeAuthorship).join('; ')}`,
  };
}

/** One authorship in words: which artefact, which step, and through which identity. */
export function describeAuthorship(a: SnapshotAuthor): string {
  const what = `${a.step} ${LABELS[a.kind]} ${a.artefactId}`;
  return a.identity.by === 'sub'
    ? `${what} as ${a.identity.userId}`
    : `${what} as GitHub login ${a.identity.login} (the ${a.identity.by} of a pipeline's token)`;
}

/** GitHub logins are case-insensitive. */
function sameLogin(a: string, b: string | null | undefined): boolean {
  return b != null && a.toLowerCase() === b.toLowerCase();
}
