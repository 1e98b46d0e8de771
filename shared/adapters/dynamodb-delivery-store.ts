import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { type BreakerState, CLOSED } from "../domain/circuit-breaker.js";
import type { AttemptLog, AttemptLogReader, AttemptRecord } from "../ports/attempt-log.js";
import type { BreakerStore, VersionedBreaker } from "../ports/breaker-store.js";
import type { RateLimiter } from "../ports/rate-limiter.js";
import type { SubscriptionState, SubscriptionStateStore } from "../ports/subscription-state.js";
import type {
  BeginInput,
  BeginResult,
  DeliveryKey,
  SuccessInput,
  SuccessLedger,
} from "../ports/success-ledger.js";

const PENDING = "pending";
const DELIVERED = "delivered";
const pad = (n: number) => String(n).padStart(4, "0");
const deliveryKey = (eventId: string, subscriptionId: string) => ({
  pk: { S: `evt#${eventId}` },
  sk: { S: `sub#${subscriptionId}#delivery` },
});

function toAttempt(item: Record<string, AttributeValue>): AttemptRecord {
  const n = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  const s = (name: string) => item[name]?.S;
  const status = n("status");
  const errorClass = s("errorClass");
  const detail = s("detail");
  return {
    eventId: s("eventId") ?? "",
    subscriptionId: s("subscriptionId") ?? "",
    attempt: n("attempt") ?? 0,
    at: n("at") ?? 0,
    latencyMs: n("latencyMs") ?? 0,
    ...(status === undefined ? {} : { status }),
    ...(errorClass === undefined ? {} : { errorClass }),
    ...(detail === undefined ? {} : { detail }),
    result: (s("result") ?? "retry-scheduled") as AttemptRecord["result"],
  };
}

function attemptItem(record: AttemptRecord, ttlSeconds: number): Record<string, AttributeValue> {
  const iso = new Date(record.at).toISOString();
  return {
    pk: { S: `evt#${record.eventId}` },
    sk: { S: `sub#${record.subscriptionId}#attempt#${pad(record.attempt)}#${record.at}` },
    gsi1pk: { S: `sub#${record.subscriptionId}` },
    gsi1sk: { S: `${iso}#${record.eventId}#${pad(record.attempt)}` },
    eventId: { S: record.eventId },
    subscriptionId: { S: record.subscriptionId },
    attempt: { N: String(record.attempt) },
    at: { N: String(record.at) },
    latencyMs: { N: String(record.latencyMs) },
    result: { S: record.result },
    ...(record.status === undefined ? {} : { status: { N: String(record.status) } }),
    ...(record.errorClass === undefined ? {} : { errorClass: { S: record.errorClass } }),
    ...(record.detail === undefined ? {} : { detail: { S: record.detail.slice(0, 1024) } }),
    expiresAt: { N: String(Math.floor(record.at / 1000) + ttlSeconds) },
  };
}

/**
 * The delivery-state table (`pk`/`sk`, TTL on `expiresAt`, `bySubscription` index), one adapter for
 * every port kept in it:
 * - `SuccessLedger`: `evt#<eventId>` / `sub#<id>#delivery`, the lease and then the success record of one delivery;
 * - `AttemptLog`, `AttemptLogReader`: `evt#<eventId>` / `sub#<id>#attempt#<n>#<at>`, one item per attempt
 *   (also indexed by subscription and time);
 * - `SubscriptionStateStore`: `sub#<id>` / `state`, paused / disabled;
 * - `BreakerStore`: `dest#<origin>` / `breaker`, versioned;
 * - `RateLimiter`: `rate#<id>` / `<epoch second>`, a counter per second.
 * Expired items count as absent in every condition (TTL deletion lags).
 */
export class DynamoDbDeliveryStore
  implements SuccessLedger, AttemptLog, AttemptLogReader, SubscriptionStateStore, BreakerStore, RateLimiter
{
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly indexName = "bySubscription",
  ) {}

  /** A strongly consistent read of one item. */
  private async item(pk: string, sk: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: pk }, sk: { S: sk } },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }

  private async put(item: Record<string, AttributeValue>): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item }));
  }

  // SuccessLedger

  async begin(input: BeginInput): Promise<BeginResult> {
    const token = randomUUID();
    const now = Math.floor(input.nowMs / 1000);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...deliveryKey(input.eventId, input.subscriptionId),
            status: { S: PENDING },
            token: { S: token },
            leaseUntil: { N: String(now + input.leaseSeconds) },
            expiresAt: { N: String(now + input.leaseSeconds + 86_400) },
          },
          ConditionExpression:
            "attribute_not_exists(pk) OR expiresAt < :now OR (#status = :pending AND leaseUntil < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":now": { N: String(now) }, ":pending": { S: PENDING } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { status: "go", token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (error.Item?.status?.S === DELIVERED) return { status: "delivered" };
      const leaseUntil = Number(error.Item?.leaseUntil?.N ?? now + input.leaseSeconds);
      return { status: "busy", retryAfterSeconds: Math.max(1, leaseUntil - now) };
    }
  }

  async recordSuccess(input: SuccessInput): Promise<void> {
    // One BatchWriteItem: the success record (replacing the lease) and the attempt's log entry.
    let items: WriteRequest[] = [
      {
        PutRequest: {
          Item: {
            ...deliveryKey(input.eventId, input.subscriptionId),
            status: { S: DELIVERED },
            expiresAt: { N: String(input.expiresAtSeconds) },
          },
        },
      },
      { PutRequest: { Item: attemptItem(input.attempt, input.attemptTtlSeconds) } },
    ];
    for (let round = 0; items.length > 0; round++) {
      if (round === 5) throw new Error("DynamoDB left delivery records unprocessed after 5 rounds");
      if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
      const out = await this.client.send(
        new BatchWriteItemCommand({ RequestItems: { [this.tableName]: items } }),
      );
      items = out.UnprocessedItems?.[this.tableName] ?? [];
    }
  }

  async release(input: DeliveryKey & { readonly token: string }): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: deliveryKey(input.eventId, input.subscriptionId),
          ConditionExpression: "#token = :token AND #status = :pending",
          ExpressionAttributeNames: { "#token": "token", "#status": "status" },
          ExpressionAttributeValues: { ":token": { S: input.token }, ":pending": { S: PENDING } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  // AttemptLog, AttemptLogReader

  async recordAttempt(record: AttemptRecord, ttlSeconds: number): Promise<void> {
    await this.put(attemptItem(record, ttlSeconds));
  }

  async attemptsForEvent(eventId: string): Promise<AttemptRecord[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        FilterExpression: "attribute_exists(attempt)",
        ExpressionAttributeValues: { ":pk": { S: `evt#${eventId}` } },
      }),
    );
    return (out.Items ?? []).map(toAttempt).sort((a, b) => a.at - b.at);
  }

  async attemptsForSubscription(subscriptionId: string, limit: number): Promise<AttemptRecord[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: this.indexName,
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: `sub#${subscriptionId}` } },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(toAttempt);
  }

  // SubscriptionStateStore

  async subscriptionState(subscriptionId: string): Promise<SubscriptionState> {
    const item = await this.item(`sub#${subscriptionId}`, "state");
    if (!item) return { paused: false };
    return {
      paused: item.paused?.BOOL === true,
      ...(item.disabledReason?.S ? { disabledReason: item.disabledReason.S } : {}),
      ...(item.changedAt?.S ? { changedAt: item.changedAt.S } : {}),
    };
  }

  async setSubscriptionState(subscriptionId: string, state: SubscriptionState): Promise<void> {
    await this.put({
      pk: { S: `sub#${subscriptionId}` },
      sk: { S: "state" },
      paused: { BOOL: state.paused },
      ...(state.disabledReason ? { disabledReason: { S: state.disabledReason } } : {}),
      changedAt: { S: state.changedAt ?? new Date().toISOString() },
    });
  }

  // BreakerStore

  async breaker(destination: string): Promise<VersionedBreaker> {
    const item = await this.item(`dest#${destination}`, "breaker");
    if (!item) return { state: CLOSED, version: 0 };
    const n = (name: string) => Number(item[name]?.N ?? 0);
    return {
      state: {
        state: (item.state?.S ?? "closed") as BreakerState["state"],
        failures: n("failures"),
        openUntil: n("openUntil"),
        probeUntil: n("probeUntil"),
        opens: n("opens"),
        windowStart: n("windowStart"),
        windowAttempts: n("windowAttempts"),
        windowFailures: n("windowFailures"),
      },
      version: n("version"),
    };
  }

  async saveBreaker(destination: string, next: BreakerState, expectedVersion: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: `dest#${destination}` },
            sk: { S: "breaker" },
            state: { S: next.state },
            failures: { N: String(next.failures) },
            openUntil: { N: String(next.openUntil) },
            probeUntil: { N: String(next.probeUntil) },
            opens: { N: String(next.opens) },
            windowStart: { N: String(next.windowStart) },
            windowAttempts: { N: String(next.windowAttempts) },
            windowFailures: { N: String(next.windowFailures) },
            version: { N: String(expectedVersion + 1) },
          },
          ConditionExpression: expectedVersion === 0 ? "attribute_not_exists(pk)" : "version = :v",
          ...(expectedVersion === 0
            ? {}
            : { ExpressionAttributeValues: { ":v": { N: String(expectedVersion) } } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  // RateLimiter

  async takeRateToken(subscriptionId: string, nowMs: number, perSecond: number): Promise<boolean> {
    const second = Math.floor(nowMs / 1000);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: `rate#${subscriptionId}` }, sk: { S: String(second) } },
          UpdateExpression: "ADD used :one SET expiresAt = :expires",
          ConditionExpression: "attribute_not_exists(used) OR used < :limit",
          ExpressionAttributeValues: {
            ":one": { N: "1" },
            ":limit": { N: String(perSecond) },
            ":expires": { N: String(second + 120) },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
