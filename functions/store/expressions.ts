// Pure builders of DynamoDB update and condition expressions: params as data, tested without a client.

export type Condition =
  | { path: string; op: '=' | '<>' | '<' | '<=' | '>' | '>='; value: unknown }
  | { path: string; op: 'exists' | 'not_exists' }
  | { path: string; op: 'in'; values: unknown[] }
  /** Holds when every condition of at least one group holds (OR of ANDs). */
  | { anyOf: Condition[][] };

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
  if ('anyOf' in c) {
    return c.anyOf.map((group) => `(${group.map((g) => conditionText(namer, g)).join(' AND ')})`).join(' OR ');
  }
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
  return finish(
    namer,
    clauses.join(' ') || undefined,
    conditions.map((c) => (spec.conditions?.length === 1 ? c : wrap(c))),
  );
}

/** Builds a ConditionExpression alone (for Put and ConditionCheck). */
export function buildCondition(conditions: Condition[]): BuiltExpression {
  const namer = new Namer();
  return finish(
    namer,
    undefined,
    conditions.map((c) => conditionText(namer, c)).map((c) => (conditions.length === 1 ? c : wrap(c))),
  );
}

/** Parenthesises an OR group joined with others by AND; leaves a plain comparison as it is. */
function wrap(text: string): string {
  return text.includes(' OR ') ? `(${text})` : text;
}

/** The key condition of a Query: the partition, and optionally a sort key prefix or an upper bound. */
export interface KeyConditionSpec {
  index?: 'gsi1' | 'gsi2';
  partition: string;
  prefix?: string;
  /** Sort keys at or before this value. */
  upTo?: string;
  /** Sort keys from the first to the second value, both included (a batch's key range). */
  between?: readonly [string, string];
  /** Conditions on other attributes, applied after the key condition. */
  filters?: Condition[];
}

export interface BuiltKeyCondition {
  KeyConditionExpression: string;
  FilterExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** Builds a Query's KeyConditionExpression (and FilterExpression) with their names and values. */
export function buildKeyCondition(spec: KeyConditionSpec): BuiltKeyCondition {
  const filter = spec.filters?.length ? buildCondition(spec.filters) : undefined;
  const names: Record<string, string> = {
    '#pk': spec.index ? `${spec.index}pk` : 'pk',
    ...(filter?.ExpressionAttributeNames ?? {}),
  };
  const values: Record<string, unknown> = { ':pk': spec.partition, ...(filter?.ExpressionAttributeValues ?? {}) };
  let text = '#pk = :pk';
  if (spec.prefix || spec.upTo !== undefined || spec.between) names['#sk'] = spec.index ? `${spec.index}sk` : 'sk';
  if (spec.between) {
    values[':from'] = spec.between[0];
    values[':to'] = spec.between[1];
    text += ' AND #sk BETWEEN :from AND :to';
  } else if (spec.prefix) {
    values[':prefix'] = spec.prefix;
    text += ' AND begins_with(#sk, :prefix)';
  } else if (spec.upTo !== undefined) {
    values[':upTo'] = spec.upTo;
    text += ' AND #sk <= :upTo';
  }
  return {
    KeyConditionExpression: text,
    ...(filter?.ConditionExpression ? { FilterExpression: filter.ConditionExpression } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function finish(namer: Namer, update: string | undefined, conditions: string[]): BuiltExpression {
  const out: BuiltExpression = {};
  if (update) out.UpdateExpression = update;
  if (conditions.length) out.ConditionExpression = conditions.join(' AND ');
  if (Object.keys(namer.names).length) out.ExpressionAttributeNames = namer.names;
  if (Object.keys(namer.values).length) out.ExpressionAttributeValues = namer.values;
  return out;
}

/** An UpdateItem's expression params for a spec that changes something (an UpdateExpression is required there). */
export function updateParams(spec: UpdateSpec): BuiltExpression & { UpdateExpression: string } {
  const built = buildUpdate(spec);
  if (!built.UpdateExpression) throw new Error('an update must set, add or remove something');
  return { ...built, UpdateExpression: built.UpdateExpression };
}
