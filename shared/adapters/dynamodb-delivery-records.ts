import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
} from "@aws-sdk/client-dynamodb";
import { mapBounded } from "../domain/bounded.js";
import { type DeliveryOutcome, outcomeOf } from "../domain/delivery-outcome.js";
import type { DeliveryOutcomeReader, DeliveryStatsReader } from "../ports/delivery-records.js";
import { type BatchStats, type DeliveryKey, deliveryKeyOf } from "../ports/success-ledger.js";
import { batchGetAll } from "./dynamodb-batch.js";
import { statsPartition } from "./dynamodb-delivery-store.js";

const HOUR_MS = 3_600_000;
const pad13 = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(13, "0");

/**
 * The ops side of the delivery-state table (the deliver function writes it, `DynamoDbDeliveryStore`):
 * where many deliveries stand at once, and a subscription's recent statistics.
 *
 * `outcomes` reads in two steps: one `BatchGetItem` per 100 deliveries for their success records (most
 * deliveries succeed, so this usually answers everything), then, for the events still open, one `Query`
 * of the event's partition each (every attempt, and the success records of resends), 16 at a time.
 */
export class DynamoDbDeliveryRecords implements DeliveryOutcomeReader, DeliveryStatsReader {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: { readonly parallelReads?: number } = {},
  ) {}

  async outcomes(keys: readonly DeliveryKey[]): Promise<ReadonlyMap<string, DeliveryOutcome>> {
    const unique = [
      ...new Map(
        keys.map((k) => [deliveryKeyOf(k), { eventId: k.eventId, subscriptionId: k.subscriptionId }]),
      ).values(),
    ];
    const parallel = this.options.parallelReads ?? 16;
    const found = new Map<string, DeliveryOutcome>();
    const chunks: DeliveryKey[][] = [];
    for (let i = 0; i < unique.length; i += 100) chunks.push(unique.slice(i, i + 100));
    await mapBounded(chunks, 4, async (chunk) => {
      for (const key of await this.successes(chunk)) found.set(key, "delivered");
    });

    const open = new Map<string, Set<string>>();
    for (const key of unique) {
      if (found.has(deliveryKeyOf(key))) continue;
      open.set(key.eventId, (open.get(key.eventId) ?? new Set()).add(key.subscriptionId));
    }
    await mapBounded([...open], parallel, async ([eventId, subscriptions]) => {
      const bySubscription = new Map<string, { result: DeliveryOutcome; at: number; attempt: number }[]>();
      for (const item of await this.eventRecords(eventId)) {
        const subscriptionId = item.subscriptionId?.S;
        if (subscriptionId === undefined || !subscriptions.has(subscriptionId)) continue;
        const list = bySubscription.get(subscriptionId) ?? [];
        list.push({
          result: (item.result?.S ?? "retry-scheduled") as DeliveryOutcome,
          at: Number(item.at?.N ?? 0),
          attempt: Number(item.attempt?.N ?? 0),
        });
        bySubscription.set(subscriptionId, list);
      }
      for (const [subscriptionId, records] of bySubscription) {
        const outcome = outcomeOf(records);
        if (outcome) found.set(deliveryKeyOf({ eventId, subscriptionId }), outcome);
      }
    });
    return found;
  }

  /** Which of these deliveries have a success record (the routed delivery's), by `deliveryKeyOf`. */
  private async successes(keys: readonly DeliveryKey[]): Promise<string[]> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      keys.map((k) => ({ pk: { S: `evt#${k.eventId}` }, sk: { S: `sub#${k.subscriptionId}#delivery` } })),
      {
        ProjectionExpression: "eventId, subscriptionId, #result",
        ExpressionAttributeNames: { "#result": "result" },
      },
      "success records",
    );
    return items
      .filter((item) => item.result?.S === "delivered")
      .map((item) =>
        deliveryKeyOf({ eventId: item.eventId?.S ?? "", subscriptionId: item.subscriptionId?.S ?? "" }),
      );
  }

  /** Every attempt and success record of one event (all its subscriptions). */
  private async eventRecords(eventId: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :sub)",
          FilterExpression: "attribute_exists(attempt)",
          ProjectionExpression: "subscriptionId, #result, #at, attempt",
          ExpressionAttributeNames: { "#result": "result", "#at": "at" },
          ExpressionAttributeValues: { ":pk": { S: `evt#${eventId}` }, ":sub": { S: "sub#" } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async statsBetween(subscriptionId: string, sinceMs: number, nowMs: number): Promise<BatchStats[]> {
    const hours: number[] = [];
    for (let h = Math.floor(sinceMs / HOUR_MS) * HOUR_MS; h <= nowMs; h += HOUR_MS) hours.push(h);
    const perHour = await mapBounded(hours, 4, async (hour) => {
      const stats: BatchStats[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out: QueryCommandOutput = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: "pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues: {
              ":pk": { S: statsPartition(subscriptionId, hour) },
              ":lo": { S: pad13(sinceMs) },
              ":hi": { S: `${pad13(nowMs)}~` },
            },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of out.Items ?? []) stats.push(statsOf(subscriptionId, item));
        start = out.LastEvaluatedKey;
      } while (start);
      return stats;
    });
    return perHour.flat();
  }
}

function statsOf(subscriptionId: string, item: Record<string, AttributeValue>): BatchStats {
  const sk = item.sk?.S ?? "";
  let latencies: number[] = [];
  try {
    const parsed: unknown = JSON.parse(item.lat?.S ?? "[]");
    if (Array.isArray(parsed)) latencies = parsed.filter((n): n is number => typeof n === "number");
  } catch {
    // A statistics item is written by the deliver function only; an unreadable list counts as none.
  }
  const lastError = item.err?.S;
  return {
    subscriptionId,
    at: Number(sk.slice(0, 13)),
    delivered: Number(item.ok?.N ?? 0),
    failed: Number(item.ko?.N ?? 0),
    latenciesMs: latencies,
    ...(lastError === undefined ? {} : { lastError }),
    batchKey: sk.slice(14),
  };
}
