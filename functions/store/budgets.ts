// Day budgets (ADR 0031): one counter item per scope and UTC day, `BUDGET#<scope>#<yyyy-mm-dd>`, that reservations
// move by an atomic ADD whose condition is the domain's rule (budgetAllows): what is reserved stays within the
// budget. Two racing reservations cannot both pass the condition on the same item, so no day overspends.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { budgetAllows } from '../domain/eval/cost-estimate.js';
import { getItem } from './query.js';
import { TTL_ATTRIBUTE } from './table-definition.js';
import type { StoreContext } from './unit-of-work.js';

/** What a day budget counts: monitoring runs today. */
type BudgetScope = 'monitoring';

/** Days a day's counter is kept before DynamoDB's TTL removes it. */
const KEEP_DAYS = 90;

/** The counter item of a scope's UTC day (its own key builder, so the shared keys.ts stays untouched). */
export const budgetKey = (scope: BudgetScope, day: string) => ({ pk: `BUDGET#${scope}#${day}`, sk: 'META' });

export interface Reservation {
  /** False when the reservation would have exceeded the budget: nothing was added. */
  reserved: boolean;
  /** USD reserved that day, this reservation included when it was made. */
  reservedToday: number;
}

/**
 * Reserves `usd` of a scope's day budget, atomically: the ADD holds only while the day's reservations plus this one
 * stay within `dailyBudget` (no budget: always). A reservation of 0 writes nothing.
 */
export async function reserveBudget(
  ctx: StoreContext,
  scope: BudgetScope,
  day: string,
  usd: number,
  dailyBudget: number | undefined,
): Promise<Reservation> {
  if (!budgetAllows(0, usd, dailyBudget))
    return { reserved: false, reservedToday: await budgetReserved(ctx, scope, day) };
  if (usd <= 0) return { reserved: true, reservedToday: await budgetReserved(ctx, scope, day) };
  const expires = Math.floor(Date.parse(`${day}T00:00:00.000Z`) / 1000) + KEEP_DAYS * 86_400;
  const within =
    dailyBudget === undefined
      ? {}
      : {
          // budgetAllows(reserved, usd, budget) as a condition: reserved <= budget - usd, or nothing reserved yet.
          ConditionExpression: 'attribute_not_exists(#reserved) OR #reserved <= :room',
          ExpressionAttributeValues: { ':room': dailyBudget - usd },
        };
  try {
    const out = await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: budgetKey(scope, day),
        UpdateExpression:
          'ADD #reserved :usd, #reservations :one SET itemType = :type, #ttl = if_not_exists(#ttl, :ttl)',
        ...within,
        ExpressionAttributeNames: {
          '#reserved': 'reservedUsd',
          '#reservations': 'reservations',
          '#ttl': TTL_ATTRIBUTE,
        },
        ExpressionAttributeValues: {
          ...within.ExpressionAttributeValues,
          ':usd': usd,
          ':one': 1,
          ':type': 'budget_day',
          ':ttl': expires,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    if (ctx.meter) ctx.meter.writes += 1;
    return { reserved: true, reservedToday: Number(out.Attributes?.reservedUsd ?? usd) };
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    return { reserved: false, reservedToday: await budgetReserved(ctx, scope, day) };
  }
}

/** USD reserved of a scope's day budget so far. */
export async function budgetReserved(ctx: StoreContext, scope: BudgetScope, day: string): Promise<number> {
  const item = await getItem(ctx, budgetKey(scope, day));
  return Number(item?.reservedUsd ?? 0);
}
