import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { EventIndex, IndexedEvent } from "../ports/event-index.js";

/** `idx#2026-12-06T21` — one partition per hour of arrival. */
export const indexPartition = (receivedAt: number): string =>
  `idx#${new Date(receivedAt).toISOString().slice(0, 13)}`;

/**
 * The event index in the delivery table: per batch and hour, one item `pk = idx#<hour>`,
 * `sk = <newest arrival, 13 digits>#<batch key>` whose `ev` holds `[id, source, type, received]` of each
 * event, so a query of an hour's partition, newest sort key first, lists that hour's events newest
 * first (within an item, by arrival). A batch usually falls in one hour: one PutItem.
 */
export class DynamoDbEventIndex implements EventIndex {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async append(events: readonly IndexedEvent[], batchKey: string): Promise<void> {
    const byHour = new Map<string, IndexedEvent[]>();
    for (const event of events) {
      const pk = indexPartition(event.receivedAt);
      byHour.set(pk, [...(byHour.get(pk) ?? []), event]);
    }
    await Promise.all(
      [...byHour].map(([pk, list]) => {
        const sorted = [...list].sort((a, b) => b.receivedAt - a.receivedAt);
        const newest = sorted[0]?.receivedAt ?? 0;
        return this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              pk: { S: pk },
              sk: { S: `${String(newest).padStart(13, "0")}#${batchKey}` },
              ev: { S: JSON.stringify(sorted.map((e) => [e.id, e.sourceId, e.type, e.receivedAt])) },
              expiresAt: { N: String(Math.max(...sorted.map((e) => e.expiresAt))) },
            },
          }),
        );
      }),
    );
  }
}
