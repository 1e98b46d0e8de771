import { randomBytes } from "node:crypto";
import { CreateTableCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { itemSizeBytes, writeUnits } from "../../bench/item-size.js";
import { stripeLikeWebhook } from "../../bench/webhook.js";
import { DynamoDbEventStore } from "../../shared/adapters/dynamodb-event-store.js";
import { INLINE_BLOB_LIMIT_BYTES, packBlob, toItem } from "../../shared/adapters/event-item.js";
import { S3PayloadStore } from "../../shared/adapters/s3-payload-store.js";
import type { NewEvent } from "../../shared/ports/event-store.js";
import { dynamoDbClient, s3Client, uniqueName } from "../support/aws.js";

const dynamodb = dynamoDbClient();
const s3 = s3Client();
const bucket = uniqueName("payloads");
let table: string;
let store: DynamoDbEventStore;

/** A typical 1 KiB JSON webhook (the bench's Stripe invoice event) with the headers worth keeping. */
function stripeLikeEvent(id: string, overrides: Partial<NewEvent> = {}): NewEvent {
  const webhook = stripeLikeWebhook("whsec_event_store_test", 1_796_593_812);
  return {
    id,
    sourceId: "stripe",
    provider: "stripe",
    type: "invoice.paid",
    deliveryId: webhook.id,
    receivedAt: 1_796_593_812_345,
    contentType: "application/json; charset=utf-8",
    headers: {
      "content-type": webhook.headers["content-type"] ?? "",
      "user-agent": webhook.headers["user-agent"] ?? "",
    },
    body: Buffer.from(webhook.body),
    expiresAt: 1_796_593_812 + 7 * 86_400,
    ...overrides,
  };
}

beforeAll(async () => {
  table = uniqueName("events");
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  store = new DynamoDbEventStore(dynamodb, table, () => new S3PayloadStore(bucket, () => s3Client()));
});

const now = 1_796_593_900;

describe("the DynamoDB event store", () => {
  it("stores a 1 KiB JSON webhook with its headers in one write unit (compressed)", () => {
    const event = stripeLikeEvent("evt_size");
    expect(event.body.length).toBeGreaterThanOrEqual(1024);
    const packed = packBlob(event.headers, event.body);
    expect(packed.kind).toBe("z");
    const item = toItem(event, packed);
    expect(itemSizeBytes(item)).toBeLessThanOrEqual(1024);
    expect(writeUnits(item)).toBe(1);
  });

  it("accepts an event once, answers duplicate after, and reads it back byte for byte", async () => {
    const event = stripeLikeEvent("evt_once");
    expect(await store.accept(event, now)).toEqual({ status: "accepted" });
    expect(await store.accept({ ...event, receivedAt: event.receivedAt + 5_000 }, now + 5)).toEqual({
      status: "duplicate",
    });
    const read = await store.get("evt_once", now);
    expect(read?.body?.equals(event.body)).toBe(true);
    expect(read).toMatchObject({
      id: "evt_once",
      sourceId: "stripe",
      provider: "stripe",
      type: "invoice.paid",
      deliveryId: event.deliveryId,
      receivedAt: event.receivedAt,
      contentType: event.contentType,
      headers: event.headers,
      bodyBytes: event.body.length,
    });
  });

  it("accepts an event again once its item is past its TTL (TTL deletion lags)", async () => {
    const event = stripeLikeEvent("evt_expired", { expiresAt: now - 1 });
    expect(await store.accept(event, now - 10)).toEqual({ status: "accepted" });
    expect(await store.get("evt_expired", now)).toBeUndefined();
    expect(await store.accept({ ...event, expiresAt: now + 100 }, now)).toEqual({ status: "accepted" });
  });

  it("keeps a body too large for the item in the payload store, under the event id", async () => {
    // Random bytes do not compress: the blob passes the inline limit.
    const body = Buffer.from(randomBytes(2 * INLINE_BLOB_LIMIT_BYTES).toString("base64"));
    const event = stripeLikeEvent("evt_large", { body, contentType: "text/plain" });
    expect(await store.accept(event, now)).toEqual({ status: "accepted" });
    const read = await store.get("evt_large", now);
    expect(read?.bodyRef).toBe("events/stripe/evt_large");
    expect(read?.body).toBeUndefined();
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "events/stripe/evt_large" }));
    expect(Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array())).equals(body)).toBe(
      true,
    );
    const item = await dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: "evt_large" } } }),
    );
    expect(itemSizeBytes(item.Item ?? {})).toBeLessThan(1024);
  });

  it("erases a payload and keeps a tombstone with the metadata and headers", async () => {
    const event = stripeLikeEvent("evt_erase");
    await store.accept(event, now);
    const at = new Date(now * 1000);
    expect(await store.erasePayload("evt_erase", at)).toBe(true);
    const read = await store.get("evt_erase", now);
    expect(read?.body).toBeUndefined();
    expect(read).toMatchObject({
      id: "evt_erase",
      type: "invoice.paid",
      headers: event.headers,
      erasedAt: at.toISOString(),
    });
    expect(await store.erasePayload("evt_unknown", at)).toBe(false);
  });
});
