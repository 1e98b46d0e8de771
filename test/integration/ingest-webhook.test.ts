import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { signedTestWebhook } from "../../local/test-webhook.js";
import { CachingSecretResolver } from "../../shared/adapters/caching-secret-resolver.js";
import { DynamoDbEventStore } from "../../shared/adapters/dynamodb-event-store.js";
import { parseConfig } from "../../shared/config/load-config.js";
import { eventIdFor } from "../../shared/domain/cloud-event.js";
import { InvalidRequestError, SignatureVerificationError } from "../../shared/domain/errors.js";
import { createIngestWebhook, type IngestDeps } from "../../shared/use-cases/ingest-webhook.js";
import { verifierFor } from "../../shared/verify/registry.js";
import { signStripe } from "../../shared/verify/sign.js";
import { dynamoDbClient, uniqueName } from "../support/aws.js";

const config = parseConfig({
  sources: [{ id: "stripe", provider: "stripe", secrets: ["whsec_integration"], retentionDays: 2 }],
  subscriptions: [],
});
const source = config.sources[0] as (typeof config.sources)[number];
const dynamodb = dynamoDbClient();
const table = uniqueName("events");
let nowMs = Date.now();
const clock = { now: () => nowMs };
const noPayloads = () => {
  throw new Error("no body here is too large for the item");
};
const store = new DynamoDbEventStore(dynamodb, table, noPayloads);

const deps = (overrides: Partial<IngestDeps> = {}): IngestDeps => ({
  config,
  verifierFor,
  secrets: new CachingSecretResolver(),
  events: store,
  clock,
  ...overrides,
});

const requestFor = (signed: ReturnType<typeof signedTestWebhook>) => ({
  sourceId: "stripe",
  headers: signed.headers,
  rawBody: Buffer.from(signed.body),
});

/** The event id ingest derives for a Stripe body (its signed `id` is the dedupe key). */
const stripeEventId = (body: string) =>
  eventIdFor("stripe", `stripe#id:${(JSON.parse(body) as { id: string }).id}`);

beforeAll(async () => {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
});

describe("ingest use case (DynamoDB Local)", () => {
  it("accepts a verified webhook with one write, keeps it for its lifetime, and answers retries with the same id", async () => {
    nowMs = Date.now();
    const ingest = createIngestWebhook(deps());
    const signed = signedTestWebhook(source, { nowSeconds: Math.floor(nowMs / 1000) });
    const first = await ingest(requestFor(signed));
    const retry = await ingest(requestFor(signed));
    expect(first.duplicate).toBe(false);
    expect(first.id).toBe(stripeEventId(signed.body));
    expect(retry).toMatchObject({ id: first.id, duplicate: true });
    const stored = await store.get(first.id, Math.floor(nowMs / 1000));
    expect(stored).toMatchObject({
      id: first.id,
      sourceId: "stripe",
      provider: "stripe",
      type: "invoice.paid",
      deliveryId: JSON.parse(signed.body).id,
      receivedAt: nowMs,
      headers: { "content-type": "application/json" },
    });
    expect(stored?.body?.toString()).toBe(signed.body);
    // The longer of the dedupe window (Stripe retries for 4 days) and the source's 2-day retention.
    expect(stored?.expiresAt).toBe(Math.floor(nowMs / 1000) + 4 * 86_400);
    // The signature header is not kept.
    expect(Object.keys(stored?.headers ?? {})).not.toContain("stripe-signature");
  });

  it("rejects a bad signature before writing anything", async () => {
    const ingest = createIngestWebhook(deps());
    const signed = signedTestWebhook(source, { nowSeconds: Math.floor(nowMs / 1000) });
    const tampered = { ...requestFor(signed), rawBody: Buffer.from(signed.body.replace("4200", "4201")) };
    await expect(ingest(tampered)).rejects.toBeInstanceOf(SignatureVerificationError);
    expect(await store.get(stripeEventId(signed.body), Math.floor(nowMs / 1000))).toBeUndefined();
  });

  it("accepts nothing when DynamoDB is unreachable, and the sender's retry gets the event in", async () => {
    nowMs = Date.now();
    // A real network failure: a DynamoDB client aimed at a closed port (no emulator can refuse on demand).
    const unreachable = new DynamoDbEventStore(
      new DynamoDBClient({
        endpoint: "http://127.0.0.1:9",
        region: "us-east-1",
        maxAttempts: 1,
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
      }),
      table,
      noPayloads,
    );
    const signed = signedTestWebhook(source, { nowSeconds: Math.floor(nowMs / 1000) });
    await expect(createIngestWebhook(deps({ events: unreachable }))(requestFor(signed))).rejects.toThrow();
    expect(await store.get(stripeEventId(signed.body), Math.floor(nowMs / 1000))).toBeUndefined();
    const retry = await createIngestWebhook(deps())(requestFor(signed));
    expect(retry.duplicate).toBe(false);
  });

  it("accepts exactly one of two copies racing each other; the other is a duplicate with the same id", async () => {
    nowMs = Date.now();
    const ingest = createIngestWebhook(deps());
    const signed = signedTestWebhook(source, { nowSeconds: Math.floor(nowMs / 1000) });
    const results = await Promise.all([ingest(requestFor(signed)), ingest(requestFor(signed))]);
    expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
  });

  it("refuses an authentic body declared JSON that is not valid UTF-8, before writing", async () => {
    nowMs = Date.now();
    const body = Buffer.concat([
      Buffer.from('{"id":"evt_bad_utf8","type":"invoice.paid","note":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const signature = signStripe({ timestamp: Math.floor(nowMs / 1000), body, secret: "whsec_integration" });
    const request = {
      sourceId: "stripe",
      headers: { "content-type": "application/json", "stripe-signature": signature },
      rawBody: body,
    };
    await expect(createIngestWebhook(deps())(request)).rejects.toBeInstanceOf(InvalidRequestError);
    expect(
      await store.get(eventIdFor("stripe", "stripe#id:evt_bad_utf8"), Math.floor(nowMs / 1000)),
    ).toBeUndefined();
  });
});
