import { randomBytes } from "node:crypto";
import { GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { signedTestWebhook } from "../../local/test-webhook.js";
import { INLINE_BLOB_LIMIT_BYTES } from "../../shared/adapters/event-item.js";
import { parseCloudEvent } from "../../shared/domain/cloud-event.js";
import { collectMessages, dynamoDbClient, s3Client, sqsClient } from "../support/aws.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";
import { startTestPlatform } from "../support/test-platform.js";

/**
 * The event store end to end: a body too large for its event item travels by claim check (the payload
 * bucket, a `dataref` on the queue) and reaches an HTTP receiver whole; a Function URL is an ingress of
 * its own; an operator's payload erasure is not routed again.
 */
const OUTBOUND_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const sw = {
  id: "sw",
  provider: "standard-webhooks" as const,
  secrets: ["whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE"],
  maxBodyBytes: 1_000_000,
};
const sqs = sqsClient();
const s3 = s3Client();
let sink: HttpSink;
let platform: LocalPlatform;

const config = (sinkUrl: string, extra: Record<string, unknown> = {}) => ({
  sources: [sw],
  subscriptions: [
    { id: "billing", target: { type: "http", url: `${sinkUrl}/billing`, secret: OUTBOUND_SECRET } },
    { id: "audit", target: { type: "queue" } },
  ],
  ...extra,
});

async function post(url: string, request: { headers: Record<string, string>; body: string }) {
  const response = await fetch(url, { method: "POST", headers: request.headers, body: request.body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function auditFor(id: string) {
  const messages = await collectMessages(sqs, platform.queues.audit?.url ?? "", {
    until: (all) => all.some((m) => parseCloudEvent(m.Body ?? "").id === id),
    timeoutMs: 15_000,
  });
  return messages.map((m) => parseCloudEvent(m.Body ?? "")).find((e) => e.id === id);
}

beforeAll(async () => {
  sink = await startHttpSink();
  platform = await startTestPlatform("store", config(sink.url, { ingress: "both" }));
});

afterAll(async () => {
  await platform?.stop();
  await sink?.close();
});

describe("the event store, end to end", () => {
  it("keeps a large body in the payload bucket and delivers it whole, the queue carrying a dataref", async () => {
    // Random text does not compress: the item would pass its inline limit.
    const blob = randomBytes(INLINE_BLOB_LIMIT_BYTES).toString("base64");
    const request = signedTestWebhook(sw, { type: "invoice.large", data: { blob } });
    expect(request.body.length).toBeGreaterThan(INLINE_BLOB_LIMIT_BYTES);
    const accepted = await post(`${platform.ingestUrl}sw`, request);
    expect(accepted.status).toBe(202);
    const id = String(accepted.body.id);

    const item = await dynamoDbClient().send(
      new GetItemCommand({ TableName: platform.tableNames.events, Key: { pk: { S: id } } }),
    );
    const ref = item.Item?.ref?.S ?? "";
    expect(ref).toBe(`events/sw/${id}`);
    expect(item.Item?.z).toBeUndefined();
    const object = await s3.send(new GetObjectCommand({ Bucket: platform.bucketName, Key: ref }));
    expect(await object.Body?.transformToString()).toBe(request.body);

    const queued = await auditFor(id);
    expect(queued).toMatchObject({ id, dataref: ref, datacontenttype: "application/json" });
    expect(queued?.data).toBeUndefined();

    const delivery = await eventually(() =>
      sink.receivedOn("/billing").find((r) => r.headers["webhook-id"] === id),
    );
    const verified = new Webhook(OUTBOUND_SECRET).verify(delivery.body, {
      "webhook-id": String(delivery.headers["webhook-id"]),
      "webhook-timestamp": String(delivery.headers["webhook-timestamp"]),
      "webhook-signature": String(delivery.headers["webhook-signature"]),
    }) as { data: unknown; dataref?: string };
    expect(verified.data).toEqual(JSON.parse(request.body));
    expect(verified.dataref).toBeUndefined();
  });

  it("takes webhooks through the Function URL too, into the same pipeline", async () => {
    expect(platform.functionIngestUrl).toBeDefined();
    const request = signedTestWebhook(sw, { type: "invoice.url" });
    const accepted = await post(`${platform.functionIngestUrl}sw`, request);
    expect(accepted.status).toBe(202);
    const id = String(accepted.body.id);
    await eventually(() => sink.receivedOn("/billing").find((r) => r.headers["webhook-id"] === id));
    // The same event through the other door is the same event.
    expect(await post(`${platform.ingestUrl}sw`, request)).toEqual({
      status: 202,
      body: { id, duplicate: true },
    });
    // A Function URL hands every request over: the ingest function routes it the same way.
    const wrong = await fetch(`${platform.functionIngestUrl}sw`, { method: "GET" });
    expect(wrong.status).toBe(405);
    expect(await wrong.json()).toMatchObject({ code: "method_not_allowed" });
  });

  it("does not route an event again when an operator erases its payload", async () => {
    const request = signedTestWebhook(sw, { type: "invoice.erased" });
    const accepted = await post(`${platform.ingestUrl}sw`, request);
    const id = String(accepted.body.id);
    await eventually(() => sink.receivedOn("/billing").find((r) => r.headers["webhook-id"] === id));
    await dynamoDbClient().send(
      new UpdateItemCommand({
        TableName: platform.tableNames.events,
        Key: { pk: { S: id } },
        UpdateExpression: "SET er = :t REMOVE z",
        ExpressionAttributeValues: { ":t": { BOOL: true } },
      }),
    );
    await new Promise((r) => setTimeout(r, 2_000));
    expect(sink.receivedOn("/billing").filter((r) => r.headers["webhook-id"] === id)).toHaveLength(1);
  });
});
