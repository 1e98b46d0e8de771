import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord, DynamoDBStreamEvent, AttributeValue as LambdaAttributeValue } from "aws-lambda";
import { type EventPattern, matchesPattern } from "./event-pattern.js";

/** What a Lambda event source mapping on a DynamoDB stream is configured with (the topology's trigger). */
export interface StreamMappingOptions {
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Records matching none of the patterns are dropped before batching (Lambda event filtering). */
  readonly filters: readonly EventPattern[];
  readonly bisectBatchOnFunctionError: boolean;
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeSeconds: number;
}

/** What Lambda sends an on-failure destination for a stream batch it gave up on. */
export interface StreamFailureRecord {
  readonly requestContext: { readonly condition: "RetryAttemptsExhausted" | "RecordAgeExceeded" };
  readonly timestamp: string;
  readonly version: "1.0";
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

export interface StreamPollerOptions extends StreamMappingOptions {
  readonly streams: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly invoke: (event: DynamoDBStreamEvent) => Promise<unknown>;
  readonly onFailure: (failure: StreamFailureRecord) => Promise<void>;
  readonly onError: (message: string, error: unknown) => void;
  /** Pause between polls of an idle shard, and before a retry. */
  readonly idleMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** The Streams API's attribute values as Lambda puts them in its JSON event (binary as base64). */
function toLambdaValue(value: unknown): LambdaAttributeValue {
  const out: Record<string, unknown> = {};
  for (const [type, inner] of Object.entries(value as Record<string, unknown>)) {
    if (inner === undefined) continue;
    if (type === "B") out.B = Buffer.from(inner as Uint8Array).toString("base64");
    else if (type === "BS") out.BS = (inner as Uint8Array[]).map((b) => Buffer.from(b).toString("base64"));
    else if (type === "M")
      out.M = Object.fromEntries(Object.entries(inner as object).map(([k, v]) => [k, toLambdaValue(v)]));
    else if (type === "L") out.L = (inner as unknown[]).map(toLambdaValue);
    else out[type] = inner;
  }
  return out as LambdaAttributeValue;
}

const toImage = (image: Record<string, unknown> | undefined) =>
  image === undefined
    ? undefined
    : Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toLambdaValue(v)]));

function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  const keys = toImage(d.Keys as Record<string, unknown> | undefined);
  const newImage = toImage(d.NewImage as Record<string, unknown> | undefined);
  const oldImage = toImage(d.OldImage as Record<string, unknown> | undefined);
  return {
    eventID: record.eventID ?? "",
    eventName: record.eventName as DynamoDBRecord["eventName"],
    eventVersion: record.eventVersion ?? "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: record.awsRegion ?? "us-east-1",
    eventSourceARN: streamArn,
    ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
    dynamodb: {
      ...(d.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
      ...(keys ? { Keys: keys } : {}),
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      SequenceNumber: d.SequenceNumber ?? "",
      SizeBytes: d.SizeBytes ?? 0,
      StreamViewType: d.StreamViewType as NonNullable<DynamoDBRecord["dynamodb"]>["StreamViewType"],
    },
  };
}

interface Batch {
  readonly records: readonly DynamoDBRecord[];
  attempts: number;
}

/**
 * What a Lambda event source mapping does with a DynamoDB stream, against DynamoDB Local: one loop per
 * shard, in order (parallelization factor 1); records filtered by the mapping's patterns, then batched
 * up to `batchSize` within the batching window; a partial batch response retries from the lowest failed
 * sequence number; an invocation that throws is retried, split in halves first when bisecting is on;
 * after `maximumRetryAttempts` retries, or once a record is older than `maximumRecordAgeSeconds`, the
 * batch's metadata goes to the on-failure destination and the shard moves on.
 */
export class StreamPoller {
  private readonly abort = new AbortController();
  private readonly shards = new Map<string, Promise<void>>();
  private readonly finished = new Set<string>();
  private discovery?: Promise<void>;

  constructor(private readonly options: StreamPollerOptions) {}

  start(): void {
    this.discovery = this.discover();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.discovery;
    await Promise.allSettled(this.shards.values());
  }

  private get idleMs(): number {
    return this.options.idleMs ?? 100;
  }

  /** Finds new shards (DynamoDB rolls shards over time) and starts each after its parent finished. */
  private async discover(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const out = await this.options.streams.send(
          new DescribeStreamCommand({ StreamArn: this.options.streamArn }),
        );
        for (const shard of out.StreamDescription?.Shards ?? []) {
          const id = shard.ShardId;
          if (!id || this.shards.has(id)) continue;
          const parent = shard.ParentShardId;
          if (parent && this.shards.has(parent) && !this.finished.has(parent)) continue;
          this.shards.set(
            id,
            this.pollShard(id).finally(() => this.finished.add(id)),
          );
        }
      } catch (error) {
        if (!signal.aborted) this.options.onError("describing the stream failed", error);
      }
      await sleep(1_000, signal);
    }
  }

  /** An iterator just after `after` (the last record read), or at the shard's oldest record. */
  private async openShard(shardId: string, after: string | undefined): Promise<string | undefined> {
    const { streams, streamArn } = this.options;
    const out = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after === undefined
          ? { ShardIteratorType: "TRIM_HORIZON" }
          : { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: after }),
      }),
    );
    return out.ShardIterator;
  }

  private async pollShard(shardId: string): Promise<void> {
    const { streams, streamArn } = this.options;
    const signal = this.abort.signal;
    let iterator: string | undefined;
    /** The checkpoint: the sequence number of the last record read from the shard (wanted or not). */
    let lastRead: string | undefined;
    try {
      iterator = await this.openShard(shardId, undefined);
    } catch (error) {
      this.options.onError(`opening shard ${shardId} failed`, error);
      return;
    }
    const pending: DynamoDBRecord[] = [];
    let windowStart: number | undefined;
    while (!signal.aborted && (iterator !== undefined || pending.length > 0)) {
      if (iterator !== undefined && pending.length < this.options.batchSize) {
        try {
          const out = await streams.send(
            new GetRecordsCommand({
              ShardIterator: iterator,
              Limit: this.options.batchSize - pending.length,
            }),
          );
          iterator = out.NextShardIterator;
          lastRead = out.Records?.at(-1)?.dynamodb?.SequenceNumber ?? lastRead;
          const wanted = (out.Records ?? [])
            .map((r) => toLambdaRecord(r, streamArn))
            .filter((r) => this.options.filters.some((p) => matchesPattern(p, r)));
          if (wanted.length > 0 && windowStart === undefined) windowStart = Date.now();
          pending.push(...wanted);
          if ((out.Records ?? []).length === 0 && pending.length === 0) await sleep(this.idleMs, signal);
        } catch (error) {
          if (signal.aborted) continue;
          const name = (error as Error).name;
          if (name === "TrimmedDataAccessException" || name === "ExpiredIteratorException") {
            // The iterator is no good any more (it expired, or DynamoDB Local refuses the first iterator
            // of a shard whose table was created alongside others): resume from the checkpoint, as
            // Lambda's mapping does, instead of retrying it forever.
            try {
              iterator = await this.openShard(shardId, lastRead);
              await sleep(this.idleMs, signal);
              continue;
            } catch (reopenError) {
              this.options.onError(`reopening shard ${shardId} failed`, reopenError);
            }
          } else {
            this.options.onError(`reading shard ${shardId} failed`, error);
          }
          await sleep(this.idleMs * 5, signal);
          continue;
        }
      }
      const windowOver =
        windowStart !== undefined && Date.now() - windowStart >= this.options.maxBatchingWindowSeconds * 1000;
      const shardClosed = iterator === undefined;
      if (pending.length >= this.options.batchSize || (pending.length > 0 && (windowOver || shardClosed))) {
        const records = pending.splice(0, this.options.batchSize);
        windowStart = pending.length > 0 ? Date.now() : undefined;
        await this.process(shardId, { records, attempts: 0 });
      } else if (pending.length > 0) {
        await sleep(Math.min(this.idleMs, 50), signal);
      }
    }
  }

  /** Invokes until the batch succeeds, is split, or is given up on; never throws. */
  private async process(shardId: string, first: Batch): Promise<void> {
    const signal = this.abort.signal;
    const queue: Batch[] = [first];
    while (queue.length > 0 && !signal.aborted) {
      const batch = queue.shift() as Batch;
      const oldest = batch.records[0]?.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000;
      if (Date.now() / 1000 - oldest > this.options.maximumRecordAgeSeconds) {
        await this.giveUp(shardId, batch, "RecordAgeExceeded");
        continue;
      }
      let failedFrom: number | undefined;
      try {
        const response = (await this.options.invoke({ Records: [...batch.records] })) as
          | { batchItemFailures?: { itemIdentifier?: string }[] }
          | undefined;
        const failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        if (failedIds.size > 0) {
          const index = batch.records.findIndex((r) => failedIds.has(r.dynamodb?.SequenceNumber));
          // An identifier that names no record of the batch fails the whole batch, as Lambda does.
          failedFrom = index === -1 ? 0 : index;
        }
      } catch (error) {
        this.options.onError(`invoking with ${batch.records.length} stream record(s) failed`, error);
        if (this.options.bisectBatchOnFunctionError && batch.records.length > 1) {
          const half = Math.ceil(batch.records.length / 2);
          queue.unshift(
            { records: batch.records.slice(0, half), attempts: batch.attempts + 1 },
            { records: batch.records.slice(half), attempts: batch.attempts + 1 },
          );
          continue;
        }
        failedFrom = 0;
      }
      if (failedFrom === undefined) continue;
      const rest = { records: batch.records.slice(failedFrom), attempts: batch.attempts + 1 };
      if (rest.attempts > this.options.maximumRetryAttempts) {
        await this.giveUp(shardId, rest, "RetryAttemptsExhausted");
        continue;
      }
      await sleep(this.idleMs, signal);
      queue.unshift(rest);
    }
  }

  private async giveUp(
    shardId: string,
    batch: Batch,
    condition: StreamFailureRecord["requestContext"]["condition"],
  ): Promise<void> {
    const first = batch.records[0]?.dynamodb;
    const last = batch.records[batch.records.length - 1]?.dynamodb;
    const at = (seconds: number | undefined) => new Date((seconds ?? Date.now() / 1000) * 1000).toISOString();
    try {
      await this.options.onFailure({
        requestContext: { condition },
        timestamp: new Date().toISOString(),
        version: "1.0",
        DDBStreamBatchInfo: {
          shardId,
          startSequenceNumber: first?.SequenceNumber ?? "",
          endSequenceNumber: last?.SequenceNumber ?? "",
          approximateArrivalOfFirstRecord: at(first?.ApproximateCreationDateTime),
          approximateArrivalOfLastRecord: at(last?.ApproximateCreationDateTime),
          batchSize: batch.records.length,
          streamArn: this.options.streamArn,
        },
      });
    } catch (error) {
      this.options.onError("sending a stream batch to the on-failure destination failed", error);
    }
  }
}
