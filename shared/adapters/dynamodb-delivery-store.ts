import {
  type AttributeValue,
  ConditionalCheckFailedException,
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
import {
  type BatchStats,
  type DeliveryKey,
  deliveryKeyOf,
  type SuccessLedger,
  type SuccessRecord,
} from "../ports/success-ledger.js";
import { batchGetAll, batchWriteAll } from "./dynamodb-batch.js";

const DELIVERED = "delivered";
const pad = (n: number) => String(n).padStart(4, "0");
/**
 * The success record of one delivery: `evt#<id>` / `sub#<subscription>#delivery`, and for an operator's
 * resend `…#delivery#<resendId>`, so a resend is a delivery of its own (the event's earlier success does
 * not stop it, and a copy of the resend is still never POSTed twice).
 */
const deliveryKey = (key: DeliveryKey) => ({
  pk: { S: `evt#${key.eventId}` },
  sk: {
    S:
      key.resendId === undefined
        ? `sub#${key.subscriptionId}#delivery`
        : `sub#${key.subscriptionId}#delivery#${key.resendId}`,
  },
});

function toAttempt(item: Record<string, AttributeValue>): AttemptRecord {
  const n = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  const s = (name: string) => item[name]?.S;
  const status = n("status");
  const errorClass = s("errorClass");
  const detail = s("detail");
  const resendId = s("resendId");
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
    ...(resendId === undefined ? {} : { resendId }),
  };
}

/** An attempt's fields, without its key. */
function attemptFields(record: AttemptRecord): Record<string, AttributeValue> {
  return {
    eventId: { S: record.eventId },
    subscriptionId: { S: record.subscriptionId },
    attempt: { N: String(record.attempt) },
    at: { N: String(record.at) },
    latencyMs: { N: String(record.latencyMs) },
    result: { S: record.result },
    ...(record.status === undefined ? {} : { status: { N: String(record.status) } }),
    ...(record.errorClass === undefined ? {} : { errorClass: { S: record.errorClass } }),
    ...(record.detail === undefined ? {} : { detail: { S: record.detail.slice(0, 1024) } }),
    ...(record.resendId === undefined ? {} : { resendId: { S: record.resendId } }),
  };
}

/** A failed attempt: its own item, in the per-subscription index (successes stay out of it: no index write). */
function attemptItem(record: AttemptRecord, ttlSeconds: number): Record<string, AttributeValue> {
  const iso = new Date(record.at).toISOString();
  return {
    pk: { S: `evt#${record.eventId}` },
    sk: { S: `sub#${record.subscriptionId}#attempt#${pad(record.attempt)}#${record.at}` },
    gsi1pk: { S: `sub#${record.subscriptionId}` },
    gsi1sk: { S: `${iso}#${record.eventId}#${pad(record.attempt)}` },
    ...attemptFields(record),
    expiresAt: { N: String(Math.floor(record.at / 1000) + ttlSeconds) },
  };
}

/** `stats#<subscription>#2026-12-06T21`: one partition per subscription and hour. */
export const statsPartition = (subscriptionId: string, at: number): string =>
  `stats#${subscriptionId}#${new Date(at).toISOString().slice(0, 13)}`;

function statsItem(stats: BatchStats, ttlSeconds: number): Record<string, AttributeValue> {
  return {
    pk: { S: statsPartition(stats.subscriptionId, stats.at) },
    sk: { S: `${String(stats.at).padStart(13, "0")}#${stats.batchKey}` },
    ok: { N: String(stats.delivered) },
    ko: { N: String(stats.failed) },
    lat: { S: JSON.stringify(stats.latenciesMs) },
    ...(stats.lastError === undefined ? {} : { err: { S: stats.lastError.slice(0, 200) } }),
    expiresAt: { N: String(Math.floor(stats.at / 1000) + ttlSeconds) },
  };
}

/**
 * The delivery-state table (`pk`/`sk`, TTL on `expiresAt`, `bySubscription` index), one adapter for
 * every port kept in it:
 * - `SuccessLedger`: `evt#<eventId>` / `sub#<id>#delivery`, the success record of one delivery (also the
 *   log entry of its attempt), and `stats#<id>#<hour>` / `<at>#<batch>`, one statistics item per batch;
 * - `AttemptLog`, `AttemptLogReader`: `evt#<eventId>` / `sub#<id>#attempt#<n>#<at>`, one item per failed
 *   attempt (also indexed by subscription and time);
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

  async delivered(keys: readonly DeliveryKey[], nowMs: number): Promise<ReadonlySet<string>> {
    const now = Math.floor(nowMs / 1000);
    const unique = [...new Map(keys.map((k) => [deliveryKeyOf(k), k])).values()];
    const items = await batchGetAll(
      this.client,
      this.tableName,
      unique.map(deliveryKey),
      {
        ConsistentRead: true,
        ProjectionExpression: "eventId, subscriptionId, resendId, #result, expiresAt",
        ExpressionAttributeNames: { "#result": "result" },
      },
      "success records",
    );
    const found = new Set<string>();
    for (const item of items) {
      const expired = Number(item.expiresAt?.N ?? "0") < now;
      if (item.result?.S === DELIVERED && !expired) {
        found.add(
          deliveryKeyOf({
            eventId: item.eventId?.S ?? "",
            subscriptionId: item.subscriptionId?.S ?? "",
            ...(item.resendId?.S === undefined ? {} : { resendId: item.resendId.S }),
          }),
        );
      }
    }
    return found;
  }

  async recordBatch(
    successes: readonly SuccessRecord[],
    stats: readonly BatchStats[],
    statsTtlSeconds: number,
  ): Promise<void> {
    // One BatchWriteItem: each success record (which is its attempt's log entry) and the statistics.
    const items: WriteRequest[] = [
      ...successes.map((success) => ({
        PutRequest: {
          Item: {
            ...deliveryKey(success.attempt),
            ...attemptFields(success.attempt),
            expiresAt: { N: String(success.expiresAtSeconds) },
          },
        },
      })),
      ...stats.map((s) => ({ PutRequest: { Item: statsItem(s, statsTtlSeconds) } })),
    ];
    await batchWriteAll(this.client, this.tableName, items, "delivery records");
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
