// Policy versions (docs/architecture/policy.md): the versions under keys.policy(n), the pointer to the one in force
// (keys.policyActive, holding its number and document), and every transition as a unit of work of the organisation
// chain, so each leaves its audit event in the same transaction and the chain's head serialises them. Activation
// then copies the version and its document onto every system's META, where promotions read it (ADR 0023).
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ORGANISATION_CHAIN_ID } from '../domain/audit-chain.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { type ApprovalPolicy, DEFAULT_POLICY, validatePolicy } from '../domain/policy.js';
import {
  activationQuorum,
  assertionMetricUses,
  assertNoRefusal,
  assertPolicyTransition,
  assertUndefinedAssertionMetrics,
  countedApprovals,
  type PolicyDocument,
  type PolicyVersion,
  policyActivationRefusal,
  policyApprovalRefusal,
  policyCreateRefusal,
  policyDocumentHash,
  policyEditRefusal,
  policyLoosenings,
  policySubmitRefusal,
  policyWithdrawRefusal,
  validatePolicyDraft,
} from '../domain/policy-version.js';
import type { Actor, AuditEvent, RiskTier } from '../domain/types.js';
import { systemsDefiningAssertion } from './datasets.js';
import type { Condition } from './expressions.js';
import { keys, queries } from './keys.js';
import { ensureOrganisationChain } from './organisation-chain.js';
import { allPages, type Page } from './pagination.js';
import { policyOfMeta } from './policy-in-force.js';
import { getItem, type PageRequest, queryPage } from './query.js';
import { type Item, meterRead, runUnitOfWork, type StoreContext, type SystemTx } from './unit-of-work.js';

/** The actor of the genesis version: no person activated it, the table's first start did. */
export const GENESIS_ACTOR: Actor = { userId: 'system:genesis', name: 'Genesis', roles: [] };

/** Layout attributes of a version item that are not part of the PolicyVersion. */
const STORAGE_ONLY = ['pk', 'sk', 'itemType', 'revision', 'approvalCount'] as const;

function toPolicyVersion(item: Item): PolicyVersion {
  const version: Record<string, unknown> = { ...item };
  for (const key of STORAGE_ONLY) delete version[key];
  return version as unknown as PolicyVersion;
}

function versionItem(version: PolicyVersion, revision: number): Item {
  return {
    ...keys.policy(version.version),
    itemType: 'policy',
    ...version,
    revision,
    approvalCount: countedApprovals(version),
  };
}

const entityId = (version: number) => `policy-v${version}`;

/** The version in force and its document, from the pointer (one strongly consistent read); null before genesis. */
export async function activePolicyPointer(
  ctx: StoreContext,
): Promise<{ version: number; document: PolicyDocument } | null> {
  const item = await getItem(ctx, keys.policyActive);
  return item ? { version: item.version as number, document: item.document as PolicyDocument } : null;
}

/**
 * The policy in force for the organisation: the ACTIVE pointer's document (which carries its effectiveFrom), or
 * DEFAULT_POLICY (version 1, equal to the genesis version) before genesis.
 */
export async function policyInForce(ctx: StoreContext): Promise<ApprovalPolicy> {
  const pointer = await activePolicyPointer(ctx);
  return pointer ? validatePolicy(pointer.document) : DEFAULT_POLICY;
}

/** The policy a system is judged under: the copy of the version in force on its META (ADR 0023), or a 404. */
export async function systemPolicy(ctx: StoreContext, systemId: string): Promise<ApprovalPolicy> {
  const meta = await getItem(ctx, keys.system(systemId));
  if (!meta) throw new NotFoundError(`system ${systemId} not found`, { systemId });
  return policyOfMeta(meta);
}

/**
 * The documents of stored versions, by number, each read once: what systems whose METAs name those versions are
 * judged under (a META's copy is the document of the version it names). A number the table lacks is left out.
 */
export async function policiesOfVersions(
  ctx: StoreContext,
  versions: readonly number[],
): Promise<Map<number, ApprovalPolicy>> {
  const unique = [...new Set(versions)];
  const items = await Promise.all(unique.map((v) => getItem(ctx, keys.policy(v))));
  const out = new Map<number, ApprovalPolicy>();
  for (const item of items) {
    if (item) out.set(item.version as number, validatePolicy(item.document));
  }
  return out;
}

/** One policy version, or a 404. */
export async function getPolicy(ctx: StoreContext, version: number): Promise<PolicyVersion> {
  const item = await getItem(ctx, keys.policy(version));
  if (!item) throw new NotFoundError(`policy version ${version} not found`, { version });
  return toPolicyVersion(item);
}

/** The version in force, or null before genesis. */
export async function getActivePolicy(ctx: StoreContext): Promise<PolicyVersion | null> {
  const pointer = await activePolicyPointer(ctx);
  return pointer ? getPolicy(ctx, pointer.version) : null;
}

/** Every version, newest first, a page at a time, with the version in force. */
export async function listPolicies(
  ctx: StoreContext,
  page: PageRequest,
): Promise<{ active: PolicyVersion | null } & Page<PolicyVersion>> {
  const [active, versions] = await Promise.all([
    getActivePolicy(ctx),
    queryPage<Item>(ctx, {
      partition: keys.policyVersionPrefix.pk,
      prefix: keys.policyVersionPrefix.skPrefix,
      newestFirst: true,
      ...page,
    }),
  ]);
  return { active, items: versions.items.map(toPolicyVersion), nextCursor: versions.nextCursor };
}

/** Every stored version, oldest first: a handful in a table's life, read a page at a time. */
export function allPolicyVersions(ctx: StoreContext): Promise<PolicyVersion[]> {
  return allPages(async (page) => {
    const versions = await queryPage<Item>(ctx, {
      partition: keys.policyVersionPrefix.pk,
      prefix: keys.policyVersionPrefix.skPrefix,
      ...page,
    });
    return { items: versions.items.map(toPolicyVersion), nextCursor: versions.nextCursor };
  });
}

/** The events of the organisation chain, newest first unless asked otherwise. */
export function listOrganisationEvents(
  ctx: StoreContext,
  order: 'asc' | 'desc',
  page: PageRequest,
): Promise<Page<AuditEvent>> {
  return queryPage(ctx, {
    partition: keys.auditPartition(ORGANISATION_CHAIN_ID),
    newestFirst: order === 'desc',
    ...page,
  });
}

/** The highest version number allocated so far (0 when none): read inside the unit of work, so it is current. */
async function latestVersionNumber(ctx: StoreContext): Promise<number> {
  const out = await ctx.doc.send(
    new QueryCommand({
      TableName: ctx.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.policyVersionPrefix.pk, ':prefix': keys.policyVersionPrefix.skPrefix },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
      ProjectionExpression: 'version',
    }),
  );
  meterRead(ctx);
  return (out.Items?.[0]?.version as number | undefined) ?? 0;
}

/** Loads a version inside a unit of work, or a 404. */
function loaded(tx: SystemTx, version: number): { version: PolicyVersion; revision: number } {
  const item = tx.get(keys.policy(version));
  if (!item) throw new NotFoundError(`policy version ${version} not found`, { version });
  return { version: toPolicyVersion(item), revision: (item.revision as number | undefined) ?? 0 };
}

/** The version item may only change from the revision that was read (every write increments it). */
const atRevision = (revision: number): Condition[] =>
  revision === 0 ? [{ path: 'revision', op: 'not_exists' }] : [{ path: 'revision', op: '=', value: revision }];

/** Writes a new revision of a version item in `tx`, conditioned on the revision read. */
function rewrite(tx: SystemTx, next: PolicyVersion, revision: number, extra: Condition[] = []): void {
  tx.put(versionItem(next, revision + 1), [{ path: 'pk', op: 'exists' }, ...atRevision(revision), ...extra]);
}

/**
 * Refuses a document whose floor or drift tolerance names an assertion (`assert.<name>`) that no dataset of the
 * systems it applies to defines: the facts (which systems define each name, and their tiers) gathered here, the
 * rule the domain's (assertUndefinedAssertionMetrics). A 400 naming each, before anything is written.
 */
async function assertAssertionMetricsDefined(ctx: StoreContext, document: PolicyDocument): Promise<void> {
  const uses = assertionMetricUses(document);
  if (uses.length === 0) return;
  const names = [...new Set(uses.map((u) => u.name))];
  const systemIds = await Promise.all(names.map((name) => systemsDefiningAssertion(ctx, name)));
  const tierOf = new Map<string, RiskTier>();
  for (const id of new Set(systemIds.flat())) {
    const system = await getItem(ctx, keys.system(id));
    if (system) tierOf.set(id, system.riskTier as RiskTier);
  }
  const tiersDefining = new Map(
    names.map((name, i) => [
      name,
      (systemIds[i] ?? []).flatMap((id) => {
        const tier = tierOf.get(id);
        return tier ? [tier] : [];
      }),
    ]),
  );
  assertUndefinedAssertionMetrics(uses, tiersDefining);
}

/**
 * Drafts a new version from an untrusted document: validated (a 400 naming each field, nothing written), numbered
 * one above the highest (the put's not-exists condition refuses a number taken meanwhile, and the unit of work
 * retries), based on the version in force.
 */
export async function createPolicyDraft(
  ctx: StoreContext,
  actor: Actor,
  input: { document: unknown; reason: string },
): Promise<PolicyVersion> {
  assertNoRefusal(policyCreateRefusal(actor));
  await assertAssertionMetricsDefined(ctx, validatePolicyDraft(input.document, 1));
  const { result } = await runUnitOfWork(ctx, ORGANISATION_CHAIN_ID, actor, [keys.policyActive], async (tx) => {
    const number = (await latestVersionNumber(ctx)) + 1;
    const document = validatePolicyDraft(input.document, number);
    const active = tx.get(keys.policyActive);
    const activeDocument = (active?.document as PolicyDocument | undefined) ?? null;
    const version: PolicyVersion = {
      version: number,
      status: 'draft',
      baseVersion: (active?.version as number | undefined) ?? null,
      document,
      documentHash: policyDocumentHash(document),
      reason: input.reason,
      createdBy: { userId: actor.userId, name: actor.name },
      createdAt: tx.now,
      submittedAt: null,
      approvals: [],
      quorum: activationQuorum(activeDocument, document),
      activatedAt: null,
      activatedBy: null,
      supersededAt: null,
    };
    tx.put(versionItem(version, 1));
    tx.audit({
      action: 'policy.draft_created',
      entityType: 'policy',
      entityId: entityId(number),
      after: {
        status: 'draft',
        baseVersion: version.baseVersion,
        documentHash: version.documentHash,
        quorum: version.quorum,
        loosens: policyLoosenings(activeDocument, document),
      },
      reason: input.reason,
    });
    return version;
  });
  return result;
}

/** Replaces the document of a draft (its author only, while it is a draft). */
export async function updatePolicyDraft(
  ctx: StoreContext,
  actor: Actor,
  number: number,
  input: { document: unknown; reason: string },
): Promise<PolicyVersion> {
  const { result } = await runUnitOfWork(
    ctx,
    ORGANISATION_CHAIN_ID,
    actor,
    [keys.policy(number), keys.policyActive],
    async (tx) => {
      const { version, revision } = loaded(tx, number);
      assertNoRefusal(policyEditRefusal(actor, version), number);
      const document = validatePolicyDraft(input.document, number);
      await assertAssertionMetricsDefined(ctx, document);
      const active = tx.get(keys.policyActive);
      const next: PolicyVersion = {
        ...version,
        document,
        documentHash: policyDocumentHash(document),
        reason: input.reason,
        quorum: activationQuorum((active?.document as PolicyDocument | undefined) ?? null, document),
      };
      rewrite(tx, next, revision, [{ path: 'status', op: '=', value: 'draft' }]);
      tx.audit({
        action: 'policy.draft_updated',
        entityType: 'policy',
        entityId: entityId(number),
        before: { documentHash: version.documentHash },
        after: {
          documentHash: next.documentHash,
          quorum: next.quorum,
          loosens: policyLoosenings((active?.document as PolicyDocument | undefined) ?? null, document),
        },
        reason: input.reason,
      });
      return next;
    },
  );
  return result;
}

/** Submits a draft for approval (its author only). */
export async function submitPolicy(ctx: StoreContext, actor: Actor, number: number): Promise<PolicyVersion> {
  const preload = [keys.policy(number), keys.policyActive];
  const { result } = await runUnitOfWork(ctx, ORGANISATION_CHAIN_ID, actor, preload, (tx) => {
    const { version, revision } = loaded(tx, number);
    assertNoRefusal(policySubmitRefusal(actor, version), number);
    const active = (tx.get(keys.policyActive)?.document as PolicyDocument | undefined) ?? null;
    assertPolicyTransition(version.status, 'submitted');
    const next: PolicyVersion = { ...version, status: 'submitted', submittedAt: tx.now };
    rewrite(tx, next, revision, [{ path: 'status', op: '=', value: 'draft' }]);
    tx.audit({
      action: 'policy.submitted',
      entityType: 'policy',
      entityId: entityId(number),
      before: { status: 'draft' },
      after: {
        status: 'submitted',
        documentHash: version.documentHash,
        loosens: policyLoosenings(active, version.document),
      },
    });
    return next;
  });
  return result;
}

/** Records one governance reviewer's approval of a submitted version (not its author, once per reviewer). */
export async function approvePolicy(
  ctx: StoreContext,
  actor: Actor,
  number: number,
  reason: string | null,
): Promise<PolicyVersion> {
  const { result } = await runUnitOfWork(ctx, ORGANISATION_CHAIN_ID, actor, [keys.policy(number)], (tx) => {
    const { version, revision } = loaded(tx, number);
    assertNoRefusal(policyApprovalRefusal(actor, version), number);
    const next: PolicyVersion = {
      ...version,
      approvals: [...version.approvals, { reviewerId: actor.userId, name: actor.name, at: tx.now, reason }],
    };
    rewrite(tx, next, revision, [{ path: 'status', op: '=', value: 'submitted' }]);
    tx.audit({
      action: 'policy.approved',
      entityType: 'policy',
      entityId: entityId(number),
      after: { approvals: countedApprovals(next), quorum: version.quorum, documentHash: version.documentHash },
      reason,
    });
    return next;
  });
  return result;
}

/** Withdraws a draft or a submitted version (its author or an admin). */
export async function withdrawPolicy(ctx: StoreContext, actor: Actor, number: number): Promise<PolicyVersion> {
  const { result } = await runUnitOfWork(ctx, ORGANISATION_CHAIN_ID, actor, [keys.policy(number)], (tx) => {
    const { version, revision } = loaded(tx, number);
    assertNoRefusal(policyWithdrawRefusal(actor, version), number);
    const next: PolicyVersion = { ...version, status: 'withdrawn' };
    rewrite(tx, next, revision, [{ path: 'status', op: 'in', values: ['draft', 'submitted'] }]);
    tx.audit({
      action: 'policy.withdrawn',
      entityType: 'policy',
      entityId: entityId(number),
      before: { status: version.status },
      after: { status: 'withdrawn' },
    });
    return next;
  });
  return result;
}

/**
 * Activates a submitted version: one transaction supersedes the version in force, moves the pointer (conditioned on
 * it still naming the draft's base: of two racing activations one commits, the other is refused) and marks the
 * version active (conditioned on its revision and on as many counted approvals as the quorum), with the
 * `policy.activated` event. Then the version is copied onto every system's META. Activating the version already in
 * force answers it and finishes the copy (a retry after a failure part-way through the copy).
 */
export async function activatePolicy(
  ctx: StoreContext,
  actor: Actor,
  number: number,
  reason: string | null,
): Promise<PolicyVersion> {
  const pointer = await activePolicyPointer(ctx);
  if (pointer?.version === number) {
    assertNoRefusal(policyCreateRefusal(actor), number);
    await copyPolicyToSystems(ctx, number, pointer.document);
    return getPolicy(ctx, number);
  }
  const { result } = await runUnitOfWork(
    ctx,
    ORGANISATION_CHAIN_ID,
    actor,
    [keys.policy(number), keys.policyActive],
    (tx) => {
      const { version, revision } = loaded(tx, number);
      const activeItem = tx.get(keys.policyActive);
      const active = activeItem
        ? { version: activeItem.version as number, document: activeItem.document as PolicyDocument }
        : null;
      assertNoRefusal(policyActivationRefusal(actor, version, active), number);
      const document: PolicyDocument = { ...version.document, effectiveFrom: tx.now };
      const next: PolicyVersion = {
        ...version,
        status: 'active',
        document,
        activatedAt: tx.now,
        activatedBy: { userId: actor.userId, name: actor.name },
      };
      writeActivation(tx, next, revision, active?.version ?? null);
      tx.audit({
        action: 'policy.activated',
        entityType: 'policy',
        entityId: entityId(number),
        before: { status: 'submitted', activeVersion: active?.version ?? null },
        after: {
          status: 'active',
          version: number,
          documentHash: version.documentHash,
          approvals: countedApprovals(version),
          quorum: activationQuorum(active?.document ?? null, version.document),
          loosens: policyLoosenings(active?.document ?? null, version.document),
          effectiveFrom: tx.now,
        },
        reason,
      });
      return next;
    },
  );
  await copyPolicyToSystems(ctx, number, result.document);
  return result;
}

/**
 * The activation's writes: the version (still submitted, at the revision read, with as many counted approvals as
 * the quorum), the superseded predecessor, and the pointer, conditioned on still naming the draft's base.
 */
function writeActivation(tx: SystemTx, next: PolicyVersion, revision: number, activeVersion: number | null): void {
  rewrite(tx, next, revision, [
    { path: 'status', op: '=', value: 'submitted' },
    { path: 'approvalCount', op: '>=', value: next.quorum },
  ]);
  if (activeVersion !== null) {
    tx.update(keys.policy(activeVersion), {
      set: { status: 'superseded', supersededAt: tx.now },
      add: { revision: 1 },
      conditions: [{ path: 'status', op: '=', value: 'active' }],
    });
  }
  tx.put(
    { ...keys.policyActive, itemType: 'policyActive', version: next.version, document: next.document },
    activeVersion !== null
      ? [{ path: 'version', op: '=', value: next.baseVersion }]
      : [{ path: 'pk', op: 'not_exists' }],
  );
}

/** Systems whose META is written at once while copying a policy. */
const PARALLEL_COPIES = 10;

/**
 * Copies `version` and its document onto every system's META (systems from the sharded systems index, never a Scan),
 * each an update conditioned on the META holding an older version or none: a newer copy is never overwritten, and a
 * second run changes nothing. Answers how many METAs it changed. No audit event per system: the organisation chain
 * records the activation.
 */
export async function copyPolicyToSystems(
  ctx: StoreContext,
  version: number,
  document: PolicyDocument | ApprovalPolicy,
): Promise<number> {
  const { index, shards } = queries.systems();
  let changed = 0;
  for (const shard of shards) {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await ctx.doc.send(
        new QueryCommand({
          TableName: ctx.tableName,
          IndexName: index,
          KeyConditionExpression: '#ipk = :shard',
          ExpressionAttributeNames: { '#ipk': `${index}pk` },
          ExpressionAttributeValues: { ':shard': shard },
          ProjectionExpression: 'pk, sk, policyVersion',
          ExclusiveStartKey: start,
        }),
      );
      meterRead(ctx);
      const pending = (out.Items ?? [])
        .filter((item) => item.sk === 'META' && ((item.policyVersion as number | undefined) ?? 0) < version)
        .map((item) => String(item.pk).slice('SYS#'.length));
      for (let i = 0; i < pending.length; i += PARALLEL_COPIES) {
        const wrote = await Promise.all(
          pending.slice(i, i + PARALLEL_COPIES).map((id) => copyToSystem(ctx, id, version, document)),
        );
        changed += wrote.filter(Boolean).length;
      }
      start = out.LastEvaluatedKey;
    } while (start);
  }
  return changed;
}

/** Writes `version` onto one system's META unless it holds that version or a newer one; true when it wrote. */
export async function copyToSystem(
  ctx: StoreContext,
  systemId: string,
  version: number,
  document: PolicyDocument | ApprovalPolicy,
): Promise<boolean> {
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: keys.system(systemId),
        UpdateExpression: 'SET policyVersion = :v, policy = :doc',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(policyVersion) OR policyVersion < :v)',
        ExpressionAttributeValues: { ':v': version, ':doc': document },
      }),
    );
    if (ctx.meter) ctx.meter.writes++;
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/**
 * Opens the organisation chain and activates version 1 = DEFAULT_POLICY (activation quorum 2) when there is no
 * version in force, with one `policy.activated` event by GENESIS_ACTOR, then copies the version in force onto every
 * META that lacks it. Idempotent: a second run, or a racing one, finds the pointer and only completes the copy.
 */
export async function policyGenesis(ctx: StoreContext): Promise<{ created: boolean; copied: number }> {
  await ensureOrganisationChain(ctx);
  let created = false;
  if (!(await activePolicyPointer(ctx))) {
    try {
      await runUnitOfWork(ctx, ORGANISATION_CHAIN_ID, GENESIS_ACTOR, [keys.policyActive, keys.policy(1)], (tx) => {
        if (tx.get(keys.policyActive) || tx.get(keys.policy(1))) throw new ConflictError('genesis ran already', {});
        // Version 1 is the constant as it stood, effectiveFrom included: systems judged under it see no change.
        const document: PolicyDocument = structuredClone(DEFAULT_POLICY) as ApprovalPolicy;
        const version: PolicyVersion = {
          version: 1,
          status: 'active',
          baseVersion: null,
          document,
          documentHash: policyDocumentHash(document),
          reason: 'genesis: the policy in force before policy versions were governed',
          createdBy: { userId: GENESIS_ACTOR.userId, name: GENESIS_ACTOR.name },
          createdAt: tx.now,
          submittedAt: null,
          approvals: [],
          quorum: document.governance.activationQuorum,
          activatedAt: tx.now,
          activatedBy: { userId: GENESIS_ACTOR.userId, name: GENESIS_ACTOR.name },
          supersededAt: null,
        };
        tx.put(versionItem(version, 1));
        tx.put({ ...keys.policyActive, itemType: 'policyActive', version: 1, document });
        tx.audit({
          action: 'policy.activated',
          entityType: 'policy',
          entityId: entityId(1),
          before: null,
          after: { status: 'active', version: 1, documentHash: version.documentHash, quorum: version.quorum },
          reason: version.reason,
        });
      });
      created = true;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  const pointer = await activePolicyPointer(ctx);
  const copied = pointer ? await copyPolicyToSystems(ctx, pointer.version, pointer.document) : 0;
  return { created, copied };
}
