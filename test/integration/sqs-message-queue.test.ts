import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { collectMessages, createQueue, sqsClient, uniqueName } from "../support/aws.js";

const client = sqsClient();
const queue = new SqsMessageQueue(client);
let queueUrl: string;

beforeAll(async () => {
  queueUrl = await createQueue(client, uniqueName("q"));
});

describe("SqsMessageQueue (against fauxqs)", () => {
  it("sends a message with its string attributes", async () => {
    await queue.send(queueUrl, { body: "hello", attributes: { "webhooks.attempt": "2" } });
    const [message] = await collectMessages(client, queueUrl, { until: (all) => all.length >= 1 });
    expect(message?.Body).toBe("hello");
    expect(message?.MessageAttributes?.["webhooks.attempt"]?.StringValue).toBe("2");
  });

  it("holds a delayed message back until its delay has passed", async () => {
    await queue.send(queueUrl, { body: "later", delaySeconds: 2 });
    const early = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    expect(early.Messages ?? []).toEqual([]);
    const [message] = await collectMessages(client, queueUrl, { until: (all) => all.length >= 1 });
    expect(message?.Body).toBe("later");
  });

  it("sends 25 messages in batches of at most ten and reports no failure", async () => {
    const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
    const failed = await queue.sendBatch(
      queueUrl,
      bodies.map((body) => ({ body })),
    );
    expect(failed).toEqual([]);
    const received = await collectMessages(client, queueUrl, { until: (all) => all.length >= 25 });
    expect(received.map((m) => m.Body).sort()).toEqual([...bodies].sort());
  });

  it("reports exactly the entries SQS refused, by index", async () => {
    const tooBig = "x".repeat(1_048_577);
    const failed = await queue.sendBatch(queueUrl, [{ body: "a" }, { body: tooBig }, { body: "b" }]);
    expect(failed).toEqual([1]);
    const received = await collectMessages(client, queueUrl, { until: (all) => all.length >= 2 });
    expect(received.map((m) => m.Body).sort()).toEqual(["a", "b"]);
  });
});
