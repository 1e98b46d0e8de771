import { randomUUID } from "node:crypto";
import { CreateTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { type SignedRequest, signedTestWebhook } from "../../local/test-webhook.js";
import { CachingSecretResolver } from "../../shared/adapters/caching-secret-resolver.js";
import { DynamoDbEventStore } from "../../shared/adapters/dynamodb-event-store.js";
import { parseConfig } from "../../shared/config/load-config.js";
import { createIngestWebhook } from "../../shared/use-cases/ingest-webhook.js";
import { verifierFor } from "../../shared/verify/registry.js";
import { dynamoDbClient, uniqueName } from "../support/aws.js";

const config = parseConfig({
  sources: [
    { id: "sw", provider: "standard-webhooks", secrets: ["whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE"] },
    { id: "gh", provider: "github", secrets: ["integration-github-secret"] },
    { id: "stripe", provider: "stripe", secrets: ["whsec_integration"] },
  ],
  subscriptions: [],
});
const sourceOf = (id: string) => {
  const source = config.sources.find((s) => s.id === id);
  if (!source) throw new Error(`no source ${id}`);
  return source;
};
const dynamodb = dynamoDbClient();
const table = uniqueName("dedupe-keys");
const store = new DynamoDbEventStore(dynamodb, table, () => {
  throw new Error("no body here is too large for the item");
});
const now = () => Math.floor(Date.now() / 1000);

const ingestFor = () =>
  createIngestWebhook({
    config,
    verifierFor,
    secrets: new CachingSecretResolver(),
    events: store,
    clock: { now: () => Date.now() },
  });

/** Data no other test sends: GitHub's dedupe key is the body's hash. */
const fresh = () => ({ nonce: randomUUID() });

const requestOf = (sourceId: string, signed: SignedRequest) => ({
  sourceId,
  headers: signed.headers,
  rawBody: Buffer.from(signed.body),
});

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

describe("ingest dedupe keys (DynamoDB Local)", () => {
  // A 3,000-character id: far past DynamoDB's 2,048-byte partition key limit when used verbatim.
  const LONG_ID = `id-${"x".repeat(2_997)}`;

  it.each(["sw", "gh", "stripe"])(
    "accepts a signed %s webhook whose delivery id is 3,000 characters, and answers its retry as a duplicate",
    async (sourceId) => {
      const ingest = ingestFor();
      const signed = signedTestWebhook(sourceOf(sourceId), { deliveryId: LONG_ID, data: fresh() });
      const first = await ingest(requestOf(sourceId, signed));
      const retry = await ingest(requestOf(sourceId, signed));
      expect(first).toMatchObject({ duplicate: false, deliveryId: LONG_ID });
      expect(retry).toMatchObject({ id: first.id, duplicate: true });

      // The whole id is kept with the event, whatever the key it was deduped under.
      expect((await store.get(first.id, now()))?.deliveryId).toBe(LONG_ID);
    },
  );

  it("keys every stored event by its fixed-length event id, far below DynamoDB's 2,048-byte limit", async () => {
    const ingest = ingestFor();
    await ingest(requestOf("sw", signedTestWebhook(sourceOf("sw"), { deliveryId: `é${"ü".repeat(2_000)}` })));
    const items = await dynamodb.send(new ScanCommand({ TableName: table }));
    const keys = (items.Items ?? []).map((item) => item.pk?.S ?? "");
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const key of keys) expect(key).toMatch(/^evt_[A-Za-z0-9_-]{22}$/);
  });

  it("treats a GitHub body replayed under a new X-GitHub-Delivery as a duplicate of the first", async () => {
    const ingest = ingestFor();
    const signed = signedTestWebhook(sourceOf("gh"), { deliveryId: "first-delivery-id", data: fresh() });
    const first = await ingest(requestOf("gh", signed));
    const replay = await ingest(
      requestOf("gh", { ...signed, headers: { ...signed.headers, "x-github-delivery": "replayed-id" } }),
    );
    expect(first.duplicate).toBe(false);
    expect(replay).toMatchObject({ id: first.id, duplicate: true });
    // The unsigned id is kept as metadata on the event: the first one's.
    expect((await store.get(first.id, now()))?.deliveryId).toBe("first-delivery-id");
  });

  it("still tells two different signed GitHub bodies apart", async () => {
    const ingest = ingestFor();
    const a = await ingest(
      requestOf("gh", signedTestWebhook(sourceOf("gh"), { data: { n: 1, ...fresh() } })),
    );
    const b = await ingest(
      requestOf("gh", signedTestWebhook(sourceOf("gh"), { data: { n: 2, ...fresh() } })),
    );
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(false);
    expect(b.id).not.toBe(a.id);
    expect(await store.get(a.id, now())).toBeDefined();
    expect(await store.get(b.id, now())).toBeDefined();
  });
});
