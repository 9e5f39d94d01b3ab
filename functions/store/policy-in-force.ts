// The policy a system's promotions are judged under (docs/adr/0023-policy-in-force.md): the copy of the version in
// force on the system's META, so no organisation-wide item enters a promotion's transaction. A META without a copy
// (a table the genesis migration has not reached, a test that skips it) is judged under DEFAULT_POLICY.
import { type ApprovalPolicy, DEFAULT_POLICY, validatePolicy } from '../domain/policy.js';
import { laterPolicy } from '../domain/policy-version.js';
import type { Condition } from './expressions.js';
import { keys } from './keys.js';
import { getItem } from './query.js';
import type { Item, StoreContext } from './unit-of-work.js';

/** The policy copied onto a system's META item, or DEFAULT_POLICY when it holds none. */
export function policyOfMeta(meta: Item): ApprovalPolicy {
  // Validated, so that a document stored before a field existed reads with that field's default.
  return meta.policy === undefined ? DEFAULT_POLICY : validatePolicy(meta.policy);
}

/**
 * The policy a promotion is judged under: the later (higher version) of the META's copy and the version that opened
 * the candidate's approval round. The round's is read only in the case a META lags it, which the never-older copy
 * makes rare; both are immutable once active.
 */
export async function judgingPolicy(
  ctx: StoreContext,
  meta: Item,
  roundVersion: number | null,
): Promise<ApprovalPolicy> {
  const own = policyOfMeta(meta);
  if (roundVersion === null || roundVersion <= own.version) return own;
  const round = await getItem(ctx, keys.policy(roundVersion));
  return laterPolicy(round ? validatePolicy(round.document) : null, own);
}

/** The condition that a META still holds the copy a verdict read: a promotion racing an activation then retries. */
export function samePolicyCopy(policyVersion: number | undefined): Condition {
  return policyVersion === undefined
    ? { path: 'policyVersion', op: 'not_exists' }
    : { path: 'policyVersion', op: '=', value: policyVersion };
}
