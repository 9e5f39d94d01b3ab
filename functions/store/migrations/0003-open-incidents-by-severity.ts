// Gives each system's META its per-severity counters of unresolved incidents (`openIncidents`), recounted from the
// incident items, in place of the one `openBlockingIncidents` counter the store kept before (which counted high and
// critical only, so it cannot be split). The policy then says which severities block, per tier and environment.
//
// Only a META without the counters is written, under the condition that it still has none: today's code creates
// systems with them and refuses to change an incident of a system that lacks them (functions/store/incidents.ts), so
// while a META has none its incidents cannot change, the recount is exact, and once it has them the transactions keep
// them. A second run finds every META counted and changes nothing; a run that dies part-way is resumed by the next.
// The old attribute is removed in the same write: nothing reads it.
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type OpenIncidentCounts, SEVERITIES, type Severity } from '../../domain/types.js';
import { keys, queries } from '../keys.js';
import type { Migration, MigrationContext } from './index.js';

/** Systems recounted at once: each is a Query of its incidents and one conditional update. */
const PARALLEL_SYSTEMS = 10;

async function queryAll(
  context: MigrationContext,
  index: string,
  partition: string,
  projection: string,
  names: Record<string, string> = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await context.doc.send(
      new QueryCommand({
        TableName: context.tableName,
        IndexName: index,
        KeyConditionExpression: '#ipk = :partition',
        ExpressionAttributeNames: { '#ipk': `${index}pk`, ...names },
        ExpressionAttributeValues: { ':partition': partition },
        ProjectionExpression: projection,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The unresolved incidents of one system per severity, from its incident items. */
async function recount(context: MigrationContext, systemId: string): Promise<OpenIncidentCounts> {
  const counts: OpenIncidentCounts = { low: 0, medium: 0, high: 0, critical: 0 };
  const { index = 'gsi1', partition } = queries.incidentsOfSystem(systemId);
  const incidents = await queryAll(context, index, partition, 'severity, #status', { '#status': 'status' });
  for (const incident of incidents) {
    const severity = incident.severity as Severity;
    if (incident.status !== 'resolved' && SEVERITIES.includes(severity)) counts[severity] += 1;
  }
  return counts;
}

/** Writes the counters of one system if its META has none yet; answers whether it wrote them. */
async function countSystem(context: MigrationContext, systemId: string): Promise<boolean> {
  const openIncidents = await recount(context, systemId);
  try {
    await context.doc.send(
      new UpdateCommand({
        TableName: context.tableName,
        Key: keys.system(systemId),
        UpdateExpression: 'SET openIncidents = :counts REMOVE openBlockingIncidents',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(openIncidents)',
        ExpressionAttributeValues: { ':counts': openIncidents },
      }),
    );
    return true;
  } catch (error) {
    // Counted already (by an earlier run, or created by today's code): its transactions keep the counters.
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

export const openIncidentsBySeverity: Migration = {
  id: '0003-open-incidents-by-severity',
  description: "recounts each system's unresolved incidents per severity onto its META",
  async run(context) {
    const { index, shards } = queries.systems();
    let changed = 0;
    for (const shard of shards) {
      const systems = await queryAll(context, index, shard, 'pk, sk, openIncidents');
      // The index copies META, so a system it already shows counted is skipped without a write.
      const pending = systems
        .filter((item) => item.sk === keys.system('').sk && item.openIncidents === undefined)
        .map((item) => String(item.pk).slice('SYS#'.length));
      for (let i = 0; i < pending.length; i += PARALLEL_SYSTEMS) {
        const wrote = await Promise.all(pending.slice(i, i + PARALLEL_SYSTEMS).map((id) => countSystem(context, id)));
        changed += wrote.filter(Boolean).length;
      }
    }
    return { changed };
  },
};
