// The local stream pump: reads the real stream of DynamoDB Local (DescribeStream, GetShardIterator, GetRecords)
// and invokes a stream handler with the event shape Lambda gives it, with Lambda's checkpointing semantics:
// a batch's reported failures (ReportBatchItemFailures) make the pump resume at the lowest failed record; a thrown
// error retries the whole batch; after `maxAttempts` the first record of the batch goes to a local dead-letter file
// and the pump moves past it. Closed shards are read to their end before their children (shard rollover).
import { appendFile } from 'node:fs/promises';
import { type AttributeValue, DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export interface StreamPumpOptions {
  endpoint: string;
  tableName: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;
  /** Records per invocation (Lambda's BatchSize). */
  batchSize?: number;
  /** Milliseconds between polls while records flow (default 100). */
  pollMs?: number;
  /** The longest wait between polls of an idle stream (default 500): idle waits double from pollMs up to it. */
  idleMaxMs?: number;
  /** Invocations of one batch before its first record is sent to the dead-letter file. */
  maxAttempts?: number;
  /** Records that kept failing, one JSON per line; without it they are only logged. */
  deadLetterFile?: string;
  /** Only records whose NEW_IMAGE matches (Lambda's filter criteria, evaluated here). */
  filter?: (record: DynamoDBRecord) => boolean;
  log?: (line: string) => void;
}

interface StreamPumpStats {
  invocations: number;
  records: number;
  retries: number;
  deadLettered: number;
}

export interface StreamPump {
  stats: StreamPumpStats;
  /** Where the pump is: its rounds, shards and last error, for a test that waited in vain to say why. */
  describe(): Record<string, unknown>;
  /** Resolves once every record committed before the call has been handled (or dead-lettered). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface ShardState {
  shardId: string;
  parentId?: string;
  iterator?: string;
  /** Sequence number of the last record handled. */
  checkpoint?: string;
  /** DescribeStream gave the shard an ending sequence number: no record will be added to it. */
  closed: boolean;
  done: boolean;
  attempts: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A record of the Streams API in the shape Lambda delivers (epoch seconds, the stream ARN, the region). */
function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'local',
    eventSourceARN: streamArn,
    dynamodb: {
      ...(record.dynamodb as DynamoDBRecord['dynamodb']),
      ...(created ? { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) } : {}),
    },
  };
}

/**
 * Whether an image holds an attribute value with no type: the Streams client of this SDK version reads an empty map
 * (`{"M":{}}`) as `{}`, which unmarshall refuses ("No value defined"). Lambda's event JSON keeps `{"M":{}}`.
 */
export function hasUntypedValue(image: Record<string, unknown>): boolean {
  const untyped = (value: unknown): boolean => {
    if (value === null || typeof value !== 'object') return false;
    const av = value as { M?: Record<string, unknown>; L?: unknown[] };
    if (Object.keys(av).length === 0) return true;
    if (av.M) return Object.values(av.M).some(untyped);
    if (av.L) return av.L.some(untyped);
    return false;
  };
  return Object.values(image).some(untyped);
}

export async function startStreamPump(options: StreamPumpOptions): Promise<StreamPump> {
  const log = options.log ?? (() => undefined);
  const clientConfig = {
    endpoint: options.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const dynamo = new DynamoDBClient(clientConfig);
  const streams = new DynamoDBStreamsClient(clientConfig);
  const table = await dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);

  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollMs ?? 100;
  const maxAttempts = options.maxAttempts ?? 10;
  const shards = new Map<string, ShardState>();
  const stats: StreamPumpStats = { invocations: 0, records: 0, retries: 0, deadLettered: 0 };
  let stopped = false;
  let idleRounds = 0;
  let round = 0;
  let lastError: string | undefined;
  // While idle the pump polls less often (pollMs, doubling to idleMaxMs), as a Lambda event source mapping backs off
  // on an empty shard; a drain wakes it at once.
  const idleMaxMs = Math.max(pollMs, options.idleMaxMs ?? 500);
  let wake: (() => void) | undefined;
  const idleSleep = (ms: number) =>
    new Promise<void>((done) => {
      const timer = setTimeout(done, ms);
      wake = () => {
        clearTimeout(timer);
        done();
      };
    }).finally(() => {
      wake = undefined;
    });

  async function refreshShards(): Promise<void> {
    let start: string | undefined;
    do {
      const out = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      for (const shard of out.StreamDescription?.Shards ?? []) {
        if (!shard.ShardId) continue;
        const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        const known = shards.get(shard.ShardId);
        if (known) {
          // A shard that was open when first seen may have been closed since (a child shard took over).
          known.closed ||= closed;
          continue;
        }
        shards.set(shard.ShardId, {
          shardId: shard.ShardId,
          ...(shard.ParentShardId ? { parentId: shard.ParentShardId } : {}),
          closed,
          done: false,
          attempts: 0,
        });
      }
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
  }

  async function iteratorFor(shard: ShardState, at?: string): Promise<string | undefined> {
    const out = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.shardId,
        ...(at
          ? { ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: at }
          : shard.checkpoint
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.checkpoint }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return out.ShardIterator;
  }

  /**
   * A record whose new image lost an empty map in the Streams client's reading (hasUntypedValue) gets the item as
   * the table holds it now. Only for inserts: an inserted audit event is never updated, so the item read is the
   * image the stream carried; other records are passed on as read.
   */
  async function repaired(record: DynamoDBRecord): Promise<DynamoDBRecord> {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image || !record.dynamodb?.Keys || !hasUntypedValue(image)) return record;
    const out = await dynamo.send(
      new GetItemCommand({
        TableName: options.tableName,
        Key: record.dynamodb.Keys as Record<string, AttributeValue>,
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return record;
    return { ...record, dynamodb: { ...record.dynamodb, NewImage: out.Item as typeof image } };
  }

  async function deadLetter(record: DynamoDBRecord, reason: string): Promise<void> {
    stats.deadLettered++;
    log(`stream pump: record ${record.dynamodb?.SequenceNumber} sent to the dead-letter file (${reason})`);
    if (options.deadLetterFile)
      await appendFile(options.deadLetterFile, `${JSON.stringify({ reason, record })}\n`, { mode: 0o600 });
  }

  const readRecords = (iterator: string) =>
    streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));

  /** Reads one batch of a shard and hands it to the handler; true when records were read. */
  async function pumpShard(shard: ShardState): Promise<boolean> {
    shard.iterator ??= await iteratorFor(shard);
    if (!shard.iterator) {
      shard.done = true;
      return false;
    }
    let out: Awaited<ReturnType<typeof readRecords>>;
    try {
      out = await readRecords(shard.iterator);
    } catch (error) {
      // An iterator that points before the shard's oldest record (TrimmedDataAccessException, which DynamoDB Local
      // answers for a TRIM_HORIZON iterator taken while the shard was empty) or that expired is not retried as is:
      // a fresh one is taken from the checkpoint (or the trim horizon), as Lambda's event source mapping does.
      const name = (error as Error).name;
      if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
      log(`stream pump: ${name} on ${shard.shardId}; taking a fresh iterator`);
      shard.iterator = undefined;
      return false;
    }
    const raw = out.Records ?? [];
    if (!out.NextShardIterator) shard.done = raw.length === 0;
    // A closed shard read to its end is finished even when the service still hands out an iterator for it
    // (DynamoDB Local may), so its child shard, which waits for it, is read.
    if (shard.closed && raw.length === 0) shard.done = true;
    if (raw.length === 0) {
      shard.iterator = out.NextShardIterator;
      return false;
    }
    const all = await Promise.all(raw.map((r) => repaired(toLambdaRecord(r, streamArn as string))));
    const records = options.filter ? all.filter(options.filter) : all;
    const lastSeq = all.at(-1)?.dynamodb?.SequenceNumber;
    let failedAt: string | undefined;
    if (records.length) {
      stats.invocations++;
      try {
        const response = await options.handler({ Records: records });
        const failed = (response?.batchItemFailures ?? [])
          .map((f) => f.itemIdentifier)
          .filter((id) => records.some((r) => r.dynamodb?.SequenceNumber === id));
        // Lambda resumes at the lowest failed sequence number; the records before it count as handled.
        failedAt = failed.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))[0];
      } catch (error) {
        log(`stream pump: the handler failed: ${(error as Error).message}`);
        failedAt = records[0]?.dynamodb?.SequenceNumber;
      }
    }
    if (failedAt === undefined) {
      stats.records += records.length;
      shard.checkpoint = lastSeq;
      shard.iterator = out.NextShardIterator;
      shard.attempts = 0;
      return true;
    }
    stats.records += records.filter((r) => BigInt(r.dynamodb?.SequenceNumber ?? 0) < BigInt(failedAt)).length;
    shard.attempts++;
    if (shard.attempts >= maxAttempts) {
      const poison = records.find((r) => r.dynamodb?.SequenceNumber === failedAt) as DynamoDBRecord;
      await deadLetter(poison, `failed ${shard.attempts} times`);
      shard.checkpoint = failedAt;
      shard.iterator = await iteratorFor(shard);
      shard.attempts = 0;
    } else {
      stats.retries++;
      shard.iterator = await iteratorFor(shard, failedAt);
    }
    return true;
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        if (round++ % 20 === 0) await refreshShards();
        let busy = false;
        for (const shard of shards.values()) {
          if (shard.done) continue;
          const parent = shard.parentId ? shards.get(shard.parentId) : undefined;
          if (parent && !parent.done) continue;
          if (await pumpShard(shard)) busy = true;
        }
        idleRounds = busy ? 0 : idleRounds + 1;
        if (!busy) await idleSleep(Math.min(idleMaxMs, pollMs * 2 ** Math.min(idleRounds - 1, 10)));
      } catch (error) {
        if (stopped) break;
        lastError = `${new Date().toISOString()} ${(error as Error).message}`;
        log(`stream pump: ${(error as Error).message}`);
        await sleep(pollMs * 5);
      }
    }
  })();

  return {
    stats,
    describe: () => ({
      table: options.tableName,
      round,
      idleRounds,
      stopped,
      lastError,
      stats: { ...stats },
      shards: [...shards.values()].map(({ shardId, parentId, closed, done, checkpoint, iterator }) => ({
        shardId,
        parentId,
        closed,
        done,
        checkpoint,
        hasIterator: iterator !== undefined,
      })),
    }),
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      wake?.();
      const seen = round;
      // Two idle rounds after the call: every shard was read to its current end.
      while (!(round > seen + 2 && idleRounds >= 2)) {
        if (Date.now() > deadline) throw new Error('stream pump: drain timed out');
        await sleep(pollMs / 2);
        wake?.();
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      streams.destroy();
      dynamo.destroy();
    },
  };
}
