import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { signedTestWebhook } from "../../local/test-webhook.js";
import { CachingSecretResolver } from "../../shared/adapters/caching-secret-resolver.js";
import { DynamoDbDedupeStore } from "../../shared/adapters/dynamodb-dedupe-store.js";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { parseConfig } from "../../shared/config/load-config.js";
import { parseCloudEvent } from "../../shared/domain/cloud-event.js";
import {
  InFlightError,
  InvalidRequestError,
  SignatureVerificationError,
} from "../../shared/domain/errors.js";
import type { MessageQueue } from "../../shared/ports/message-queue.js";
import { createIngestWebhook, type IngestDeps } from "../../shared/use-cases/ingest-webhook.js";
import { verifierFor } from "../../shared/verify/registry.js";
import { signStripe } from "../../shared/verify/sign.js";
import {
  collectMessages,
  createDedupeTable,
  createQueue,
  dynamoDbClient,
  sqsClient,
  uniqueName,
} from "../support/aws.js";

const config = parseConfig({
  sources: [{ id: "stripe", provider: "stripe", secrets: ["whsec_integration"] }],
  subscriptions: [],
});
const source = config.sources[0] as (typeof config.sources)[number];
const dynamodb = dynamoDbClient();
const sqs = sqsClient();
const table = uniqueName("dedupe");
let queueUrl: string;
let nowMs = Date.now();
const clock = { now: () => nowMs };

const deps = (overrides: Partial<IngestDeps> = {}): IngestDeps => ({
  config,
  verifierFor,
  secrets: new CachingSecretResolver(),
  dedupe: new DynamoDbDedupeStore(dynamodb, table),
  queue: new SqsMessageQueue(sqs),
  ingressQueueUrl: queueUrl,
  clock,
  leaseSeconds: 15,
  ...overrides,
});

const requestFor = (signed: ReturnType<typeof signedTestWebhook>) => ({
  sourceId: "stripe",
  headers: signed.headers,
  rawBody: Buffer.from(signed.body),
});

beforeAll(async () => {
  await createDedupeTable(dynamodb, table);
  queueUrl = await createQueue(sqs, uniqueName("ingress"));
});

describe("ingest use case (DynamoDB Local + fauxqs)", () => {
  it("enqueues a verified webhook once as a CloudEvent and acknowledges retries with the same id", async () => {
    nowMs = Date.now();
    const ingest = createIngestWebhook(deps());
    const signed = signedTestWebhook(source, { nowSeconds: Math.floor(nowMs / 1000) });
    const first = await ingest(requestFor(signed));
    const retry = await ingest(requestFor(signed));
    expect(first.duplicate).toBe(false);
    expect(retry).toMatchObject({ id: first.id, duplicate: true });
    const messages = await collectMessages(sqs, queueUrl, { timeoutMs: 2_000 });
    expect(messages).toHaveLength(1);
    const event = parseCloudEvent(messages[0]?.Body ?? "");
    expect(event).toMatchObject({ id: first.id, type: "invoice.paid", webhooksourceid: "stripe" });
    expect(event.webhookdeliveryid).toBe(JSON.parse(signed.body).id);
  });

  it("rejects a bad signature before touching the dedupe table", async () => {
    const ingest = createIngestWebhook(deps());
    const signed = signedTestWebhook(source, { nowSeconds: Math.floor(nowMs / 1000) });
    const tampered = { ...requestFor(signed), rawBody: Buffer.from(signed.body.replace("4200", "4201")) };
    await expect(ingest(tampered)).rejects.toBeInstanceOf(SignatureVerificationError);
    const key = `stripe#id:${JSON.parse(signed.body).id}`;
    const item = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } } }));
    expect(item.Item).toBeUndefined();
  });

  it("gets the event in on the retry when SQS was unreachable the first time", async () => {
    nowMs = Date.now();
    // A real network failure: an SQS client aimed at a closed port (no emulator can refuse on demand).
    const unreachable = new SqsMessageQueue(
      new SQSClient({
        endpoint: "http://127.0.0.1:9",
        region: "us-east-1",
        maxAttempts: 1,
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
      }),
    );
    const signed = signedTestWebhook(source, { nowSeconds: Math.floor(nowMs / 1000) });
    await expect(createIngestWebhook(deps({ queue: unreachable }))(requestFor(signed))).rejects.toThrow();
    const retry = await createIngestWebhook(deps())(requestFor(signed));
    expect(retry.duplicate).toBe(false);
    const messages = await collectMessages(sqs, queueUrl, { timeoutMs: 2_000 });
    expect(messages.map((m) => parseCloudEvent(m.Body ?? "").id)).toEqual([retry.id]);
  });

  it("gets the event in on a retry after the lease when the process died between claim and enqueue", async () => {
    nowMs = Date.now();
    // The port's contract lets us stop "mid-request": a queue that never resolves stands for a process that died.
    const dies: MessageQueue = {
      send: () => new Promise<never>(() => {}),
      sendBatch: () => new Promise<never>(() => {}),
    };
    const signed = signedTestWebhook(source, { nowSeconds: Math.floor(nowMs / 1000) });
    void createIngestWebhook(deps({ queue: dies }))(requestFor(signed));
    await new Promise((r) => setTimeout(r, 200));

    const ingest = createIngestWebhook(deps());
    await expect(ingest(requestFor(signed))).rejects.toBeInstanceOf(InFlightError);
    nowMs += 16_000;
    const retry = await ingest(requestFor(signed));
    expect(retry.duplicate).toBe(false);
    const again = await ingest(requestFor(signed));
    expect(again).toMatchObject({ id: retry.id, duplicate: true });
    const messages = await collectMessages(sqs, queueUrl, { timeoutMs: 2_000 });
    expect(messages).toHaveLength(1);
  });

  it("refuses an authentic body declared JSON that is not valid UTF-8, before claiming or enqueueing", async () => {
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
    const messages = await collectMessages(sqs, queueUrl, { timeoutMs: 1_500 });
    expect(messages).toHaveLength(0);
  });
});
