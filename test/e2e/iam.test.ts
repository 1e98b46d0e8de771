import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { signedTestWebhook } from "../../local/test-webhook.js";
import type { Grant } from "../../shared/topology/grants.js";
import type { FunctionKey, Topology } from "../../shared/topology/topology.js";
import { collectMessages, dynamoDbClient, sqsClient } from "../support/aws.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";
import { startTestPlatform } from "../support/test-platform.js";

/**
 * The local runtime enforces each function's IAM grants (from the topology CDK deploys) on every AWS
 * SDK call. These platforms run with one grant taken away, and the pipeline fails exactly where the
 * deployed stack would: with AccessDeniedException, nothing recorded as done.
 */
const OUTBOUND_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const stripe = { id: "stripe", provider: "stripe" as const, secrets: ["whsec_e2e_iam"] };

/** The topology with `action` removed from every grant of function `key`. */
const without =
  (key: FunctionKey, action: string) =>
  (topology: Topology): Topology => ({
    ...topology,
    functions: topology.functions.map((fn) =>
      fn.key !== key
        ? fn
        : {
            ...fn,
            grants: fn.grants
              .map((g): Grant => ({ ...g, actions: g.actions.filter((a) => a !== action) }))
              .filter((g) => g.actions.length > 0),
          },
    ),
  });

async function post(platform: LocalPlatform) {
  const request = signedTestWebhook(stripe, { type: "invoice.paid" });
  const response = await fetch(`${platform.ingestUrl}stripe`, {
    method: "POST",
    headers: request.headers,
    body: request.body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("deliver without dynamodb:BatchWriteItem (the grant the deployed stack once lacked)", () => {
  let sink: HttpSink;
  let platform: LocalPlatform;
  const logs: string[] = [];

  beforeAll(async () => {
    sink = await startHttpSink();
    platform = await startTestPlatform(
      "iam-deliver",
      {
        sources: [stripe],
        subscriptions: [
          { id: "billing", target: { type: "http", url: `${sink.url}/billing`, secret: OUTBOUND_SECRET } },
        ],
      },
      {},
      { onLog: (line) => logs.push(line), alterTopology: without("deliver", "dynamodb:BatchWriteItem") },
    );
  });
  afterAll(async () => {
    await platform?.stop();
    await sink?.close();
  });

  it("POSTs, then fails to record the success with AccessDeniedException, so nothing is marked delivered", async () => {
    const { status, body } = await post(platform);
    expect(status).toBe(202);
    const denial = await eventually(() => logs.find((l) => l.includes("AccessDeniedException")));
    expect(denial).toContain("[deliver]");
    expect(denial).toContain("is not authorized to perform: dynamodb:BatchWriteItem on resource:");
    expect(denial).toContain(`table/${platform.topology.tables.delivery.name}`);
    expect(sink.receivedOn("/billing").length).toBeGreaterThanOrEqual(1);

    const success = await dynamoDbClient().send(
      new GetItemCommand({
        TableName: platform.topology.tables.delivery.name,
        Key: { pk: { S: `evt#${String(body.id)}` }, sk: { S: "sub#billing#delivery" } },
        ConsistentRead: true,
      }),
    );
    expect(success.Item?.status?.S).not.toBe("delivered");
  });
});

describe("ingest without dynamodb:PutItem", () => {
  let platform: LocalPlatform;
  const logs: string[] = [];

  beforeAll(async () => {
    platform = await startTestPlatform(
      "iam-ingest",
      { sources: [stripe], subscriptions: [{ id: "audit", target: { type: "queue" } }] },
      {},
      { onLog: (line) => logs.push(line), alterTopology: without("ingest", "dynamodb:PutItem") },
    );
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("answers a valid webhook 500 internal_error, logs the denial and accepts nothing", async () => {
    const { status, body } = await post(platform);
    expect(status).toBe(500);
    expect(body).toEqual({ code: "internal_error", detail: expect.any(String) });
    const denial = logs.find((l) => l.includes("AccessDeniedException"));
    expect(denial).toContain("[ingest]");
    expect(denial).toContain(
      `dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/${platform.tableNames.events}`,
    );
    const enqueued = await collectMessages(sqsClient(), platform.queues.audit?.url ?? "", {
      timeoutMs: 2_500,
    });
    expect(enqueued).toEqual([]);
  });
});
