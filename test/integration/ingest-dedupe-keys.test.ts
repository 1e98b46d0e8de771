import { randomUUID } from "node:crypto";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { type SignedRequest, signedTestWebhook } from "../../local/test-webhook.js";
import { CachingSecretResolver } from "../../shared/adapters/caching-secret-resolver.js";
import { DynamoDbDedupeStore } from "../../shared/adapters/dynamodb-dedupe-store.js";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { parseConfig } from "../../shared/config/load-config.js";
import { parseCloudEvent } from "../../shared/domain/cloud-event.js";
import { createIngestWebhook } from "../../shared/use-cases/ingest-webhook.js";
import { verifierFor } from "../../shared/verify/registry.js";
import {
  collectMessages,
  createDedupeTable,
  createQueue,
  dynamoDbClient,
  sqsClient,
  uniqueName,
} from "../support/aws.js";

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
const sqs = sqsClient();
const table = uniqueName("dedupe-keys");
let queueUrl: string;

const ingestFor = () =>
  createIngestWebhook({
    config,
    verifierFor,
    secrets: new CachingSecretResolver(),
    dedupe: new DynamoDbDedupeStore(dynamodb, table),
    queue: new SqsMessageQueue(sqs),
    ingressQueueUrl: queueUrl,
    clock: { now: () => Date.now() },
    leaseSeconds: 15,
  });

/** Data no other test sends: GitHub's dedupe key is the body's hash. */
const fresh = () => ({ nonce: randomUUID() });

const requestOf = (sourceId: string, signed: SignedRequest) => ({
  sourceId,
  headers: signed.headers,
  rawBody: Buffer.from(signed.body),
});

beforeAll(async () => {
  await createDedupeTable(dynamodb, table);
  queueUrl = await createQueue(sqs, uniqueName("ingress-keys"));
});

describe("ingest dedupe keys (DynamoDB Local + fauxqs)", () => {
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

      const messages = await collectMessages(sqs, queueUrl, { timeoutMs: 2_000 });
      expect(messages.map((m) => parseCloudEvent(m.Body ?? "").id)).toEqual([first.id]);
      // The whole id travels with the event, whatever the key it was deduped under.
      expect(parseCloudEvent(messages[0]?.Body ?? "").webhookdeliveryid).toBe(LONG_ID);
    },
  );

  it("keeps every stored dedupe key far below DynamoDB's 2,048-byte limit", async () => {
    const ingest = ingestFor();
    await ingest(requestOf("sw", signedTestWebhook(sourceOf("sw"), { deliveryId: `é${"ü".repeat(2_000)}` })));
    const items = await dynamodb.send(new ScanCommand({ TableName: table }));
    const keys = (items.Items ?? []).map((item) => item.pk?.S ?? "");
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const key of keys) expect(Buffer.byteLength(key, "utf8")).toBeLessThanOrEqual(300);
    await collectMessages(sqs, queueUrl, { timeoutMs: 1_000 });
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
    const messages = await collectMessages(sqs, queueUrl, { timeoutMs: 2_000 });
    expect(messages).toHaveLength(1);
    // The unsigned id is kept as metadata on the event.
    expect(parseCloudEvent(messages[0]?.Body ?? "").webhookdeliveryid).toBe("first-delivery-id");
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
    const messages = await collectMessages(sqs, queueUrl, {
      until: (all) => all.length >= 2,
      timeoutMs: 3_000,
    });
    expect(messages).toHaveLength(2);
  });
});
