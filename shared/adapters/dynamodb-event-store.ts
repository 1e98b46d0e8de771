import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { AcceptResult, EventStore, NewEvent, PayloadStore, StoredEvent } from "../ports/event-store.js";
import { payloadKey } from "../topology/names.js";
import { fromItem, INLINE_BLOB_LIMIT_BYTES, packBlob, toItem } from "./event-item.js";

/**
 * The event table: one conditional `PutItem` per accepted event, keyed by the event id. An item past
 * its TTL counts as absent (TTL deletion lags), so an event seen again after its window is accepted
 * again. A body whose item would pass `INLINE_BLOB_LIMIT_BYTES` goes to the payload store first: a
 * crash in between leaves an unreferenced object (expired by the store's lifecycle), never an item
 * that points at nothing.
 */
export class DynamoDbEventStore implements EventStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Where bodies too large for the item go; resolved only when one arrives. */
    private readonly payloads: () => PayloadStore,
  ) {}

  async accept(event: NewEvent, nowSeconds: number): Promise<AcceptResult> {
    const packed = packBlob(event.headers, event.body);
    const blob =
      packed.bytes.length <= INLINE_BLOB_LIMIT_BYTES
        ? packed
        : {
            ref: await this.payloads().put(payloadKey(event.sourceId, event.id), event.body, event.expiresAt),
          };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(event, blob),
          ConditionExpression: "attribute_not_exists(pk) OR #exp < :now",
          ExpressionAttributeNames: { "#exp": "exp" },
          ExpressionAttributeValues: { ":now": { N: String(nowSeconds) } },
        }),
      );
      return { status: "accepted" };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { status: "duplicate" };
      throw error;
    }
  }

  async get(id: string, nowSeconds: number): Promise<StoredEvent | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: id } }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const event = fromItem(out.Item);
    return event.expiresAt < nowSeconds ? undefined : event;
  }

  async erasePayload(id: string, at: Date): Promise<boolean> {
    const event = await this.get(id, Math.floor(at.getTime() / 1000));
    if (!event) return false;
    if (event.erasedAt) return true;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: id } },
          UpdateExpression: "SET #hd = :hd, #er = :true, #era = :at REMOVE #z, #b, #ref",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: {
            "#hd": "hd",
            "#er": "er",
            "#era": "era",
            "#z": "z",
            "#b": "b",
            "#ref": "ref",
          },
          ExpressionAttributeValues: {
            ":hd": { S: JSON.stringify(event.headers) },
            ":true": { BOOL: true },
            ":at": { S: at.toISOString() },
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    if (event.bodyRef) await this.payloads().delete(event.bodyRef);
    return true;
  }
}
