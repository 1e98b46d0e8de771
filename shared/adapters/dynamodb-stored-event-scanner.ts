import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import type { StoredEvent } from "../ports/event-store.js";
import type { ScannedEvent, ScanPage, ScanQuery, StoredEventScanner } from "../ports/stored-event-scanner.js";
import { fromItem } from "./event-item.js";

/**
 * A parallel `Scan` of the event table (layout in `event-item.ts`) filtered on the received-at attribute
 * `rcv` and the TTL `exp`, projecting the key fields only. DynamoDB bills a scan by the items it reads,
 * not by what the filter keeps or the projection returns: eventually consistent, a scan of the whole
 * table costs about its size / 4 KB / 2 read units. The projection keeps what crosses the network small;
 * the few events to route are read back whole by id (`read`, one `GetItem` each).
 */
export class DynamoDbStoredEventScanner implements StoredEventScanner {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async page(query: ScanQuery): Promise<ScanPage> {
    if (query.windows.length === 0) throw new Error("a scan of the event table needs a time window");
    const values: Record<string, AttributeValue> = { ":now": { N: String(query.nowSeconds) } };
    // `rcv` is whole milliseconds: since ≤ rcv < until is rcv BETWEEN since AND until - 1.
    const ranges = query.windows.map((w, i) => {
      values[`:s${i}`] = { N: String(Math.ceil(w.since)) };
      values[`:u${i}`] = { N: String(Math.ceil(w.until) - 1) };
      return `#rcv BETWEEN :s${i} AND :u${i}`;
    });
    // DynamoDB refuses redundant parentheses: a single range goes without.
    const inWindows = ranges.length === 1 ? ranges[0] : `(${ranges.join(" OR ")})`;
    const out = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        Segment: query.segment,
        TotalSegments: query.totalSegments,
        FilterExpression: `#exp >= :now AND ${inWindows}`,
        ProjectionExpression: "#pk, #src, #typ, #rcv",
        ExpressionAttributeNames: { "#pk": "pk", "#src": "src", "#typ": "typ", "#rcv": "rcv", "#exp": "exp" },
        ExpressionAttributeValues: values,
        ConsistentRead: false,
        ReturnConsumedCapacity: "TOTAL",
        ...(query.limit === undefined ? {} : { Limit: query.limit }),
        ...(query.after === undefined ? {} : { ExclusiveStartKey: { pk: { S: query.after } } }),
      }),
    );
    const events: ScannedEvent[] = [];
    for (const item of out.Items ?? []) {
      const id = item.pk?.S;
      const receivedAt = Number(item.rcv?.N);
      if (id === undefined || !Number.isFinite(receivedAt)) continue;
      events.push({ id, sourceId: item.src?.S ?? "", type: item.typ?.S ?? "", receivedAt });
    }
    const next = out.LastEvaluatedKey?.pk?.S;
    return {
      events,
      ...(next === undefined ? {} : { next }),
      scannedItems: out.ScannedCount ?? 0,
      readUnits: out.ConsumedCapacity?.CapacityUnits ?? 0,
    };
  }

  async read(
    id: string,
    nowSeconds: number,
  ): Promise<StoredEvent | { readonly invalid: string } | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: id } }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    let event: StoredEvent;
    try {
      event = fromItem(out.Item);
    } catch (error) {
      // What the router's stream reader says of the same item (`stream-records.ts`).
      return { invalid: `unreadable event item: ${(error as Error).message}` };
    }
    return event.expiresAt < nowSeconds ? undefined : event;
  }
}
