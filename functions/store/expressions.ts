// Pure builders of DynamoDB update and condition expressions: params as data, tested without a client.

export type Condition =
  | { path: string; op: '=' | '<>' | '<' | '<=' | '>' | '>='; value: unknown }
  | { path: string; op: 'exists' | 'not_exists' }
  | { path: string; op: 'in'; values: unknown[] };

export interface UpdateSpec {
  set?: Record<string, unknown>;
  add?: Record<string, number>;
  remove?: string[];
  conditions?: Condition[];
}

export interface BuiltExpression {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

class Namer {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly nameIds = new Map<string, string>();
  private valueCount = 0;

  path(dotted: string): string {
    return dotted
      .split('.')
      .map((segment) => {
        let id = this.nameIds.get(segment);
        if (!id) {
          id = `#n${this.nameIds.size}`;
          this.nameIds.set(segment, id);
          this.names[id] = segment;
        }
        return id;
      })
      .join('.');
  }

  value(v: unknown): string {
    const id = `:v${this.valueCount++}`;
    this.values[id] = v;
    return id;
  }
}

function conditionText(namer: Namer, c: Condition): string {
  const path = namer.path(c.path);
  switch (c.op) {
    case 'exists':
      return `attribute_exists(${path})`;
    case 'not_exists':
      return `attribute_not_exists(${path})`;
    case 'in':
      return `${path} IN (${c.values.map((v) => namer.value(v)).join(', ')})`;
    default:
      return `${path} ${c.op} ${namer.value(c.value)}`;
  }
}

/** Builds UpdateExpression, ConditionExpression and their names and values from a spec. */
export function buildUpdate(spec: UpdateSpec): BuiltExpression {
  const namer = new Namer();
  const clauses: string[] = [];
  const sets = Object.entries(spec.set ?? {}).map(([p, v]) => `${namer.path(p)} = ${namer.value(v)}`);
  if (sets.length) clauses.push(`SET ${sets.join(', ')}`);
  const adds = Object.entries(spec.add ?? {}).map(([p, v]) => `${namer.path(p)} ${namer.value(v)}`);
  if (adds.length) clauses.push(`ADD ${adds.join(', ')}`);
  const removes = (spec.remove ?? []).map((p) => namer.path(p));
  if (removes.length) clauses.push(`REMOVE ${removes.join(', ')}`);
  const conditions = (spec.conditions ?? []).map((c) => conditionText(namer, c));
  return finish(namer, clauses.join(' ') || undefined, conditions);
}

/** Builds a ConditionExpression alone (for Put and ConditionCheck). */
export function buildCondition(conditions: Condition[]): BuiltExpression {
  const namer = new Namer();
  return finish(
    namer,
    undefined,
    conditions.map((c) => conditionText(namer, c)),
  );
}

function finish(namer: Namer, update: string | undefined, conditions: string[]): BuiltExpression {
  const out: BuiltExpression = {};
  if (update) out.UpdateExpression = update;
  if (conditions.length) out.ConditionExpression = conditions.join(' AND ');
  if (Object.keys(namer.names).length) out.ExpressionAttributeNames = namer.names;
  if (Object.keys(namer.values).length) out.ExpressionAttributeValues = namer.values;
  return out;
}
